"""Every page fits a 360 px wide phone, as each role, in English, German and French; the
header's menu opens and closes with a button (also from the keyboard) and is still there
without JavaScript; a lesson's contents come before its text.

Screenshots of every page go to LMS_SCREENSHOT_DIR/phones/ (look at them: a page can fit and
still look wrong).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import SCREENSHOTS, unused_code

WIDTH, HEIGHT = 360, 740
LANGUAGES = ("en", "de", "fr")
COURSE = "accredited-cooperation-coach"
LOGINS = {
    "trainee": ("trainee@demo.example", "demo-trainee-pass-2026"),
    "graduate": ("ingrid@demo.example", "demo-extra-pass-2026"),
    "trainer": ("trainer@demo.example", "demo-trainer-pass-2026"),
    "admin": ("admin@demo.example", "demo-admin-pass-2026"),
}

#: What sticks out to the right of the screen, for the failure message: the innermost elements
#: wider than the page, with their width.
WIDER_THAN_SCREEN = """(width) => {
    const scrolledAway = element => {
        for (let box = element.parentElement; box && box !== document.body;
             box = box.parentElement) {
            if (getComputedStyle(box).overflowX !== 'visible') return true;
        }
        return false;
    };
    const wide = [...document.querySelectorAll('body *')].filter(element => {
        const box = element.getBoundingClientRect();
        return box.right > width + 0.5 && box.width > 0 && !scrolledAway(element);
    });
    const innermost = wide.filter(element => !wide.some(other => other !== element &&
                                                      element.contains(other)));
    return innermost.slice(0, 4).map(element => {
        const name = element.tagName.toLowerCase() +
            (element.id ? '#' + element.id : '') +
            (element.className && typeof element.className === 'string'
                ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
        return `${name} (right edge ${Math.round(element.getBoundingClientRect().right)})`;
    });
}"""


def _urls(live_app) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The pages each role opens, with the ids of the demo's data."""
    from lms.accounts.models import Organisation, User
    from lms.assessments.models import Submission
    from lms.certificates.models import Certificate
    from lms.cohorts.models import Cohort
    from lms.courses.models import Course, Lesson, Module, ToolboxItem
    from lms.db import db
    from lms.privacy.models import ErasureRequest

    with live_app.app_context():
        session = db.session
        course = session.scalar(sa.select(Course).filter_by(slug=COURSE))
        base = f"/courses/{COURSE}"
        lessons = session.scalars(
            sa.select(Lesson.slug).filter_by(course_id=course.id).order_by(Lesson.position)
        ).all()
        modules = session.scalars(sa.select(Module.slug).filter_by(course_id=course.id)).all()
        tools = session.scalars(sa.select(ToolboxItem.slug).filter_by(course_id=course.id)).all()
        certificates = session.scalars(sa.select(Certificate.public_id)).all()
        cohort = session.scalar(sa.select(Cohort.id).order_by(Cohort.id))
        organisation = session.scalar(sa.select(Organisation.id).order_by(Organisation.id))
        user = session.scalar(sa.select(User.id).filter_by(email="trainee@demo.example"))
        erasure = session.scalar(sa.select(ErasureRequest.id))
        submissions = session.scalars(sa.select(Submission.id).order_by(Submission.id)).all()
        own = session.scalars(sa.select(Submission.id).filter_by(user_id=user)).all()
        certificate_of_ingrid = session.scalar(
            sa.select(Certificate.public_id)
            .join(User, Certificate.user_id == User.id)
            .where(User.email == "ingrid@demo.example")
        )

    content = [
        *(f"{base}/lessons/{slug}" for slug in lessons),
        *(f"{base}/modules/{slug}/case-study" for slug in modules),
        f"{base}/toolbox",
        *(f"{base}/toolbox/{slug}" for slug in tools),
    ]
    learner = [
        "/",
        "/courses/",
        f"{base}/",
        f"{base}/derivation",
        f"{base}/progress",
        "/courses/search?q=partner",
        "/notifications/",
        "/notifications/preferences",
        "/account/",
        "/account/email",
        "/account/password",
        "/account/regional",
        "/account/tokens/",
        "/auth/two-factor/",
        "/privacy/my-data",
        "/privacy/",
    ]
    return {
        "anonymous": [
            "/auth/login",
            "/auth/forgot",
            "/verify",
            *(f"/verify/{public_id}" for public_id in certificates),
            "/verify/00000000-0000-0000-0000-000000000000",
            "/privacy/",
            "/api/v1/docs",
        ],
        "trainee": [
            *learner,
            *content,
            *(f"/assessments/submissions/{number}" for number in own),
            "/certificates/",
        ],
        "graduate": ["/", "/certificates/", f"/verify/{certificate_of_ingrid}"],
        "trainer": [
            "/",
            "/grading/",
            "/grading/snippets",
            "/grading/agreement",
            *(f"/grading/submissions/{number}" for number in submissions[:6]),
            *(f"/grading/submissions/{number}/history" for number in submissions[:2]),
            f"{base}/progress",
            f"{base}/",
            *content[:3],
        ],
        "admin": [
            "/",
            "/admin/users",
            "/admin/users/invite",
            f"/admin/users/{user}",
            "/admin/organisations",
            "/admin/organisations/new",
            f"/admin/organisations/{organisation}",
            "/admin/certificates",
            "/admin/certificates/pending",
            *(f"/admin/certificates/{public_id}" for public_id in certificates),
            "/admin/cohorts",
            "/admin/cohorts/new",
            f"/admin/cohorts/{cohort}",
            f"/admin/cohorts/{cohort}/edit",
            "/notifications/outbox",
            "/reports/",
            "/privacy/admin/",
            *([f"/privacy/admin/{erasure}"] if erasure else []),
            "/grading/",
            "/auth/two-factor/",
        ],
    }


@pytest.fixture(scope="module")
def urls(live_app):  # type: ignore[no-untyped-def]
    return _urls(live_app)


@pytest.fixture(scope="module")
def phones(browser, live_server):  # type: ignore[no-untyped-def]
    """One phone-sized tab per role, logged in once and reused for every language."""
    contexts, tabs = [], {}
    for role in ("anonymous", *LOGINS):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": WIDTH, "height": HEIGHT},
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        tabs[role] = context.new_page()
        if role in LOGINS:
            _log_in(tabs[role], *LOGINS[role])
    yield tabs
    for context in contexts:
        context.close()


def _log_in(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state()
    if page.url.endswith("/auth/login/code"):  # two-factor authentication (the demo admin)
        page.locator("input[name=code]").fill(unused_code(email))
        page.locator("form:has(input[name=code]) button[type=submit]").click()
        page.wait_for_load_state()
    assert "/auth/login" not in page.url, f"{email} could not log in"


def _shot_name(role: str, language: str, url: str) -> str:
    return f"{role}-{language}-" + (re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ["anonymous", *LOGINS])
def test_no_page_is_wider_than_a_phone(phones, urls, role, language):
    page = phones[role]
    page.set_extra_http_headers({"Accept-Language": language})
    folder = SCREENSHOTS / "phones"
    folder.mkdir(parents=True, exist_ok=True)
    too_wide: list[str] = []
    for url in urls[role]:
        response = page.goto(url)
        assert response is not None, url
        assert response.status < 500, url
        assert page.locator("html").get_attribute("lang") == language, url
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(folder / f"{_shot_name(role, language, url)}.png"), full_page=True)
        if width > WIDTH:
            culprits = ", ".join(page.evaluate(WIDER_THAN_SCREEN, WIDTH))
            too_wide.append(f"{url}: {width} px ({culprits})")
    assert not too_wide, f"{role}, {language}:\n" + "\n".join(too_wide)


def test_the_menu_opens_with_its_button_and_from_the_keyboard(phones):
    page = phones["trainee"]
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto("/")
    toggle = page.get_by_role("button", name="Menu")
    courses = page.locator("#site-menu").get_by_role("link", name="Courses")
    assert toggle.get_attribute("aria-controls") == "site-menu"
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not courses.is_visible()

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert courses.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "phones" / "menu-open.png"))

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not courses.is_visible()

    toggle.focus()
    page.keyboard.press("Enter")
    assert courses.is_visible()
    page.keyboard.press("Tab")  # into the menu, the next thing in the page's order
    assert page.evaluate("document.getElementById('site-menu').contains(document.activeElement)")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    page.keyboard.press("Space")
    assert courses.is_visible()


def test_without_javascript_the_menu_is_shown(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": WIDTH, "height": HEIGHT},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        page.goto("/auth/login")
        assert not page.locator(".menu-toggle").is_visible()
        assert (
            page.locator("#site-menu").get_by_role("link", name="Verify a certificate").is_visible()
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    finally:
        context.close()


def test_the_menu_button_is_not_shown_on_a_wide_screen(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        page.goto("/auth/login")
        assert not page.locator(".menu-toggle").is_visible()
        assert page.locator("#site-menu").get_by_role("link", name="Log in").is_visible()
    finally:
        context.close()


def test_a_lessons_contents_come_before_its_text_on_a_phone(phones):
    page = phones["trainee"]
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"/courses/{COURSE}/lessons/from-idea-to-shared-vision")
    contents = page.get_by_role("navigation", name="On this page").bounding_box()
    text = page.locator(".lesson .prose").bounding_box()
    assert contents is not None
    assert text is not None
    assert contents["y"] + contents["height"] <= text["y"]


def test_tables_scroll_inside_their_frame_and_the_keyboard_reaches_them(phones):
    page = phones["trainee"]
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"/courses/{COURSE}/toolbox")
    for url in page.locator("main a[href*='/toolbox/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    ):
        page.goto(url)
        if page.locator(".prose .table-scroll").count():
            break
    frame = page.locator(".prose .table-scroll").first
    assert frame.get_attribute("tabindex") == "0"
    assert frame.get_attribute("role") == "region"
    assert frame.get_attribute("aria-label")
    frame.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
