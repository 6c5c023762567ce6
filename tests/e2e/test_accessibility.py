"""axe-core finds no serious or critical accessibility problem on the key pages, in English,
German and French.

axe-core comes from the npm registry (package-lock.json; `make test` runs `npm ci`). Without
it the test is skipped, saying why, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from lms import PROJECT_ROOT
from tests.e2e.conftest import unused_code

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("en", "de", "fr")
#: The rules of WCAG 2.1 levels A and AA.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COURSE = "/courses/accredited-cooperation-coach"


def _ids(live_app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The demo's certificates and the submission a trainer is reviewing."""
    from lms.accounts.models import User
    from lms.assessments.models import Submission, SubmissionState
    from lms.certificates.models import Certificate
    from lms.db import db

    with live_app.app_context():

        def certificate_of(email: str) -> str:
            query = (
                sa.select(Certificate.public_id)
                .join(User, Certificate.user_id == User.id)
                .where(User.email == email)
            )
            return str(db.session.scalars(query).first())

        in_review = db.session.scalars(
            sa.select(Submission.id)
            .join(User, Submission.user_id == User.id)
            .where(User.email == "jonas@demo.example")
            .where(Submission.state == SubmissionState.IN_REVIEW)
        ).first()
        return {
            "valid": certificate_of("ingrid@demo.example"),
            "revoked": certificate_of("luca@demo.example"),
            "submission": str(in_review),
        }


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Serious and critical axe-core violations on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            const lines = result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                          v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
            return {lines, passed: result.passes.length};
        }""",
        TAGS,
    )
    assert found["passed"] > 0, "axe-core checked nothing"  # proof that it really ran
    return list(found["lines"])


@pytest.fixture(scope="module")
def ids(live_app):  # type: ignore[no-untyped-def]
    if not AXE.exists():
        reason = f"{AXE} is missing: install Node.js and run `make test-tools` (npm ci)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return _ids(live_app)


def _pages_of(role: str, ids: dict[str, str]) -> list[str]:
    return {
        "anonymous": [
            "/auth/login",
            f"/verify/{ids['valid']}",
            f"/verify/{ids['revoked']}",
        ],
        "trainee": [
            "/",
            f"{COURSE}/lessons/from-idea-to-shared-vision",
            f"{COURSE}/modules/strategic-partnership/case-study",
        ],
        "trainer": [f"/grading/submissions/{ids['submission']}"],
        "admin": ["/admin/users"],
    }[role]


LOGINS = {
    "trainee": ("trainee@demo.example", "demo-trainee-pass-2026"),
    "trainer": ("trainer@demo.example", "demo-trainer-pass-2026"),
    "admin": ("admin@demo.example", "demo-admin-pass-2026"),
}


@pytest.fixture(scope="module")
def signed_in(browser, live_server):  # type: ignore[no-untyped-def]
    """One tab per role, logged in once and reused for every language."""
    contexts, tabs = [], {}
    for role in ("anonymous", "trainee", "trainer", "admin"):
        context = browser.new_context(
            base_url=live_server.url,
            bypass_csp=True,  # lets axe-core's script in; the pages themselves are unchanged
            viewport={"width": 1280, "height": 860},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        tabs[role] = context.new_page()
        if role in LOGINS:
            log_in_as(tabs[role], *LOGINS[role])
    yield tabs
    for context in contexts:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_key_pages_have_no_serious_accessibility_problems(signed_in, ids, language):
    problems: list[str] = []
    for role, page in signed_in.items():
        # Nobody in the demo has chosen a language, so the browser's decides.
        page.set_extra_http_headers({"Accept-Language": language})
        for url in _pages_of(role, ids):
            response = page.goto(url)
            assert response is not None, url
            assert response.ok, url
            assert page.locator("html").get_attribute("lang") == language, url
            problems += [f"{url}: {problem}" for problem in _violations(page)]
    assert not problems, f"{language}:\n" + "\n".join(problems)


def log_in_as(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the form whatever the language: by field names, not labels."""
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
