"""A trainee finds a course, reads a lesson, marks it complete and sees the progress move."""

from tests.e2e.conftest import log_in, screenshot


def test_trainee_reads_a_lesson_and_progress_moves(page):
    log_in(page, "trainee2@demo.example", "demo-trainee-pass-2026")
    page.goto("/courses/")
    assert page.get_by_role("link", name="Open Innovation Management for SMEs").is_visible()
    screenshot(page, "courses-catalogue")
    page.get_by_role("link", name="Accredited Cooperation Coach").click()
    assert page.get_by_role("heading", name="Accredited Cooperation Coach").is_visible()
    screenshot(page, "course-page")

    sidebar_bar = page.locator("aside progress").first
    before = int(sidebar_bar.get_attribute("value"))
    page.get_by_role("link", name="Continue:").click()
    lesson_title = page.get_by_role("heading", level=1).inner_text()
    module_bar = page.locator("aside progress").first
    module_before = int(module_bar.get_attribute("value"))
    screenshot(page, "lesson")
    page.get_by_role("button", name="Mark as complete").click()
    assert page.get_by_text("Lesson marked as complete.").is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == lesson_title
    assert int(page.locator("aside progress").first.get_attribute("value")) == module_before + 1
    screenshot(page, "lesson-completed")

    page.get_by_role("link", name="Accredited Cooperation Coach").first.click()
    after = int(page.locator("aside progress").first.get_attribute("value"))
    assert after == before + 1


def test_toolbox_derivation_and_search(page):
    log_in(page, "trainee@demo.example", "demo-trainee-pass-2026")
    page.goto("/courses/accredited-cooperation-coach/")
    page.get_by_role("navigation", name="Course").get_by_role("link", name="Toolbox").click()
    page.get_by_role("link", name="Strategic Interest Group charter").click()
    assert page.get_by_text("When to use it").is_visible()
    screenshot(page, "toolbox-item")
    page.goto("/courses/accredited-cooperation-coach/derivation")
    assert page.get_by_role("heading", name="Coverage of the key activities").is_visible()
    screenshot(page, "course-derivation")
    page.goto("/courses/")
    page.get_by_label("Search lessons, tools and case studies").first.fill("consortium agreement")
    page.get_by_role("button", name="Search").first.click()
    assert page.get_by_role("status").inner_text().endswith("“consortium agreement”")
    screenshot(page, "course-search")


def test_trainer_sees_marking_notes_and_progress(page):
    log_in(page, "trainer@demo.example", "demo-trainer-pass-2026")
    page.goto("/courses/accredited-cooperation-coach/modules/strategic-partnership/case-study")
    assert page.get_by_role("heading", name="Marking notes (trainers only)").is_visible()
    screenshot(page, "case-study-trainer")
    page.goto("/courses/accredited-cooperation-coach/progress")
    assert (
        page.get_by_role("cell", name="Theo Trainee").count()
        + page.get_by_role("rowheader", name="Theo Trainee").count()
        >= 1
    )
    screenshot(page, "trainer-progress")
