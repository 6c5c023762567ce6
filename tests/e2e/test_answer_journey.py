"""Journey 3 in the browser, at desktop and phone width: a trainee whose first attempt failed
writes the next one; the page saves while she types, says when, warns before she leaves with
changes unsaved, and gives back what she typed after her session ended."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in, screenshot

CASE = "/courses/accredited-cooperation-coach/modules/awareness/case-study"
EMAIL, PASSWORD = "trainee2@demo.example", "demo-trainee-pass-2026"


@pytest.fixture(params=[(1280, 860), (360, 740)], ids=["desktop", "phone"])
def tab(request, browser, live_server):  # type: ignore[no-untyped-def]
    width, height = request.param
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.screen_width = width  # type: ignore[attr-defined]
    yield page
    context.close()


def test_the_next_attempt_is_saved_as_she_types_and_survives_a_lost_session(tab):  # type: ignore[no-untyped-def]
    page = tab
    size = "phone" if page.screen_width < 600 else "desktop"
    log_in(page, EMAIL, PASSWORD)
    page.goto(CASE)
    box = page.get_by_role("textbox", name="Your answer")
    text = f"Second attempt ({size}): the awareness talk starts from the firm's own goals."
    box.fill(text)
    status = page.locator(".autosave-status")
    status.get_by_text(re.compile(r"Saved at \d")).wait_for()
    screenshot(page, f"answer-autosaved-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.screen_width

    page.reload()
    assert page.get_by_role("textbox", name="Your answer").input_value() == text

    # Typing goes on; leaving now asks first.
    box = page.get_by_role("textbox", name="Your answer")
    box.press("Control+End")
    box.press_sequentially(" More.", delay=5)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.evaluate("window.location.href = '/'")
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]

    # The session ends (logged out elsewhere) before the last words reach the server.
    page.context.clear_cookies()
    box.press("Control+End")
    box.press_sequentially(" Lost words.", delay=5)
    status.get_by_text("session has ended").wait_for(timeout=15_000)
    page.once("dialog", lambda dialog: dialog.accept())
    log_in(page, EMAIL, PASSWORD)
    page.goto(CASE)
    restore = page.get_by_role("button", name="Restore my unsaved text")
    restore.wait_for()
    screenshot(page, f"answer-restore-offer-{size}")
    restore.click()
    box = page.get_by_role("textbox", name="Your answer")
    assert box.input_value().endswith("More. Lost words.")
    status.get_by_text(re.compile(r"Saved at \d")).wait_for()

    # The preview is drawn by the server's sanitiser.
    box.fill("**Bold plan** <script>alert(1)</script>")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#answer-preview")
    preview.locator("strong").get_by_text("Bold plan").wait_for()
    assert preview.locator("script").count() == 0
    screenshot(page, f"answer-preview-{size}")
