"""Two-factor authentication in the browser: set it up from the account page with the key
shown, then log in with a code from the "app" (computed here, as an app would)."""

import base64
import time

from tests.auth.two_factor_helpers import totp_code
from tests.e2e.conftest import log_in, screenshot

EMAIL, PASSWORD = "marta@demo.example", "demo-extra-pass-2026"


def _log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def _password_step(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_set_up_two_factor_and_log_in_with_a_code(page):
    log_in(page, EMAIL, PASSWORD)
    page.goto("/account/")
    page.get_by_role("link", name="Set up two-factor authentication").click()
    assert page.get_by_role("heading", name="Set up two-factor authentication").is_visible()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    assert qr.is_visible()
    assert qr.evaluate("image => image.naturalWidth") > 100  # the SVG loaded under the CSP
    screenshot(page, "two-factor-setup")

    key = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    page.get_by_label("Code from the app").fill("000000" if totp_code(secret) != "000000" else "1")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert page.get_by_text("That code is not right").first.is_visible()
    step = int(time.time() // 30)
    page.get_by_label("Code from the app").fill(totp_code(secret, step * 30))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    assert page.get_by_text("unused recovery codes left").is_visible()
    _log_out(page)

    _password_step(page)
    assert page.url.endswith("/auth/login/code")
    assert page.get_by_role("heading", name="Enter your code").is_visible()
    # A half-logged-in browser sees nothing else.
    page.goto("/account/")
    assert "/auth/login" in page.url
    _password_step(page)
    page.get_by_label("Code").fill(totp_code(secret, step * 30))  # used already: refused
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("used already").first.is_visible()
    screenshot(page, "two-factor-login-refused")
    page.get_by_label("Code").fill(totp_code(secret, (step + 1) * 30))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").is_visible()
    _log_out(page)

    _password_step(page)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.goto("/auth/two-factor/")
    assert page.get_by_text("9 unused recovery codes left").is_visible()
    screenshot(page, "two-factor-manage")
