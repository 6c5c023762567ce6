"""Each role logs in through the real page and sees its own navigation."""

import pytest

from lms.demo import PEOPLE
from tests.e2e.conftest import log_in, screenshot

LOGINS = {roles[0].value: (email, password) for email, _n, roles, _o, password in PEOPLE[:3]}


def test_login_page(page):
    page.goto("/")
    assert page.url.endswith("/auth/login")
    assert page.get_by_role("heading", name="Log in").is_visible()
    screenshot(page, "login")


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("trainee", ["Home", "My account"], ["People", "Organisations"]),
        ("trainer", ["Home", "My account"], ["People", "Organisations"]),
        ("admin", ["Home", "People", "Organisations", "My account"], []),
    ],
)
def test_each_role_sees_its_navigation(page, role, visible, hidden):
    email, password = LOGINS[role]
    log_in(page, email, password)
    nav = page.get_by_role("navigation", name="Main")
    for label in visible:
        assert nav.get_by_role("link", name=label).is_visible(), label
    for label in hidden:
        assert nav.get_by_role("link", name=label).count() == 0, label
    screenshot(page, f"home-{role}")
    page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/auth/login")


def test_admin_pages_in_the_browser(page):
    email, password = LOGINS["admin"]
    log_in(page, email, password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    assert page.get_by_role("heading", name="People").is_visible()
    screenshot(page, "admin-users")
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("E-mail").fill("not-an-address")
    page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_role("alert").is_visible()
    screenshot(page, "admin-invite-errors")


def test_wrong_password_shows_a_clear_message(page):
    log_in(page, "trainee@demo.example", "not the right password")
    assert page.get_by_text("The e-mail address or the password is not correct.").is_visible()
    screenshot(page, "login-error")
