"""In the browser: a completed lesson comes back in place, a toolbox template is copied and
downloaded, and a refused verify lookup says how long to wait."""

import re

from tests.e2e.conftest import SCREENSHOTS, log_in, screenshot

COACH = "/courses/accredited-cooperation-coach"


def test_mark_as_complete_comes_back_to_the_form_even_without_script(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 860}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        log_in(page, "trainee2@demo.example", "demo-trainee-pass-2026")
        page.goto(f"{COACH}/")
        page.get_by_role("link", name="Continue:").click()
        page.get_by_role("button", name="Mark as complete").click()
        page.wait_for_load_state()
        assert page.url.endswith("#completion")
        completion = page.locator("#completion")
        message = completion.get_by_text("Lesson marked as complete.")
        assert message.is_visible()
        assert page.locator("main > .flashes").count() == 0  # not at the top as well
        next_link = completion.get_by_role("link", name=re.compile("^Next lesson:"))
        assert next_link.is_visible()
        assert page.evaluate("window.scrollY") > 0  # the lesson is long: we are not at the top
        box = message.bounding_box()
        assert box is not None
        assert 0 <= box["y"] <= 860
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lesson-after-mark-as-complete.png"))
        title = next_link.inner_text().removeprefix("Next lesson:").strip(" →")
        next_link.click()
        assert page.get_by_role("heading", level=1).inner_text() == title
    finally:
        context.close()


def test_a_toolbox_template_is_copied_and_downloaded(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 860},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    try:
        log_in(page, "trainee@demo.example", "demo-trainee-pass-2026")
        page.goto(f"{COACH}/toolbox/coaching-process-checklist")
        first_task = page.get_by_role("checkbox", name="Source of contact recorded")
        assert first_task.is_disabled()
        assert not first_task.is_checked()
        assert "[ ]" not in "".join(page.locator(".prose").all_inner_texts())
        page.get_by_role("button", name="Copy template").click()
        status = page.get_by_role("status")
        status.get_by_text("Copied: the template is on your clipboard.").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("**Header**")
        assert "- [ ] Source of contact recorded" in copied
        page.get_by_role("button", name="Copy template").scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "toolbox-template-copied.png"))
        screenshot(page, "toolbox-item-with-template")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download template (.md)").click()
        download = download_info.value
        assert download.suggested_filename == "coaching-process-checklist-template.md"
        text = download.path().read_text(encoding="utf-8")
        assert text.startswith("# Coaching process checklist\n")
    finally:
        context.close()


def test_a_refused_verify_lookup_says_how_long_to_wait(browser, live_app, live_server):
    usual = live_app.config["VERIFY_RATE_LIMIT"]
    live_app.config["VERIFY_RATE_LIMIT"] = "2 per minute"
    try:
        for locale, words in (
            ("en-GB", r"Please wait (\d+ seconds?|1 minute) before"),
            ("de-DE", r"\d+ (Sekunden?|Minute)"),
        ):
            context = browser.new_context(base_url=live_server.url, locale=locale)
            page = context.new_page()
            for n in range(3):
                response = page.goto(f"/verify/CC-{n:04d}-AAAA-BBBB-CCCC-DDDD")
            assert response is not None
            assert response.status == 429
            assert int(response.headers["retry-after"]) >= 1
            assert re.search(words, page.locator("main").inner_text())
            screenshot(page, f"verify-429-{locale}")
            context.close()
    finally:
        live_app.config["VERIFY_RATE_LIMIT"] = usual
