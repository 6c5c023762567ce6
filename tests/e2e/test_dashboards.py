"""The three dashboards in a real browser, as the demo users see them (screenshots saved)."""

from lms.demo import PEOPLE
from tests.e2e.conftest import log_in, screenshot

LOGINS = {roles[0].value: (email, password) for email, _n, roles, _o, password in PEOPLE[:3]}


def test_trainee_dashboard(page):
    log_in(page, *LOGINS["trainee"])
    assert page.get_by_role("heading", name="My learning").is_visible()
    assert page.get_by_text("Next step").first.is_visible()
    assert page.get_by_role("heading", name="Latest feedback").is_visible()
    screenshot(page, "dashboard-trainee")


def test_trainer_dashboard(page):
    log_in(page, *LOGINS["trainer"])
    assert page.get_by_role("heading", name="Grading queue").is_visible()
    matrix = page.locator("table.matrix").first
    assert matrix.is_visible()
    assert matrix.get_by_text("Passed").count() >= 1
    assert page.get_by_role("heading", name="Levels given per criterion").is_visible()
    screenshot(page, "dashboard-trainer")


def test_admin_kpis(page):
    log_in(page, *LOGINS["admin"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    assert page.get_by_role("heading", name="Reports", exact=True).is_visible()
    # Four reports, each drawn as a chart when it has rows (another browser test may have
    # revoked the demo's only valid certificate, leaving "accredited" empty), else its table.
    reports = page.locator("section.report")
    assert reports.count() == 4
    for index in range(4):
        report = reports.nth(index)
        has_rows = report.locator("details.table-view tbody th[scope=row]").count() > 0
        assert report.locator("svg[role=img]").count() == (1 if has_rows else 0)
    assert page.get_by_role("img", name="Pass rate per module").is_visible()
    screenshot(page, "dashboard-admin")
    page.get_by_label("Country").select_option("FR")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "country=FR" in page.url
    screenshot(page, "dashboard-admin-filtered")
