"""A trainee submits an answer with a file; a trainer grades it with the rubric and releases it;
the trainee reads the feedback."""

from tests.e2e.conftest import log_in, screenshot

CASE = "/courses/accredited-cooperation-coach/modules/strategic-partnership/case-study"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_submit_grade_release_and_read_feedback(page, tmp_path):
    plan = tmp_path / "sig-charter.pdf"
    plan.write_bytes(PDF)

    log_in(page, "trainee2@demo.example", "demo-trainee-pass-2026")
    page.goto(CASE)
    page.get_by_role("textbox", name="Your answer").fill(
        "## Shared vision\n\nOptoStrain, the operator and the institute share one aim.\n"
    )
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_text("Draft saved at").is_visible()
    page.get_by_label("Attach files").set_input_files(str(plan))
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_role("link", name="sig-charter.pdf").is_visible()
    screenshot(page, "case-study-draft")
    page.get_by_role("button", name="Review and submit…").click()
    assert page.get_by_text("After submitting, the attempt is frozen.").is_visible()
    screenshot(page, "case-study-confirm")
    page.get_by_role("button", name="Submit for grading").click()
    assert page.get_by_text("Your answer was submitted.").is_visible()
    _log_out(page)

    log_in(page, "trainer@demo.example", "demo-trainer-pass-2026")
    page.goto("/grading/")
    screenshot(page, "grading-queue")
    row = (
        page.get_by_role("row")
        .filter(has_text="Chloé Dubois")
        .filter(has_text="Building the basis")
    )
    row.get_by_role("button", name="Start review").click()
    assert page.get_by_role("heading", name="Your grade").is_visible()
    for fieldset in page.locator("fieldset.criterion").all():
        fieldset.locator("input[type=radio][value='4']").check()
        fieldset.locator("textarea").fill("Convincing and specific.")
    page.get_by_label("Overall feedback").fill("A strong, well-argued answer.")
    assert "PASS" in page.locator("#preview").inner_text()
    screenshot(page, "grading-form")
    page.get_by_role("button", name="Finish and release").click()
    assert page.get_by_text("Grade released to the trainee.").is_visible()
    _log_out(page)

    log_in(page, "trainee2@demo.example", "demo-trainee-pass-2026")
    assert page.locator(".bell-count").is_visible()
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("button", name="Open").first.click()
    assert page.get_by_role("heading", name="Result: passed").is_visible()
    assert page.get_by_text("A strong, well-argued answer.").is_visible()
    screenshot(page, "submission-result")
