"""The KPI page keeps its figures for a minute per filter and language, and says so."""

from __future__ import annotations

import re

from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db
from lms.reports import views
from tests.conftest import login
from tests.factories import trainee


def _enrolments(html: str) -> int:
    found = re.search(r'<th scope="row">Enrolments</th><td class="num">(\d+)</td>', html)
    assert found, "no enrolment figure on the page"
    return int(found.group(1))


def _enrol_one_more(data) -> None:  # type: ignore[no-untyped-def]
    db.session.add(
        CohortMember(cohort_id=data.cohort.id, user_id=trainee().id, role=MemberRole.TRAINEE)
    )
    db.session.commit()


def test_figures_are_kept_for_a_minute_and_the_page_says_since_when(app, client, data, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTS_CACHE_SECONDS", 60)
    now = [1000.0]
    monkeypatch.setattr(views.figures, "clock", lambda: now[0])
    views.figures.clear()
    login(client, data.admin.email)
    first = client.get("/reports/").get_data(as_text=True)
    assert "Figures as of" in first
    before = _enrolments(first)
    _enrol_one_more(data)
    now[0] += 30
    assert _enrolments(client.get("/reports/").get_data(as_text=True)) == before
    assert _enrolments(client.get("/reports/?fresh=1").get_data(as_text=True)) == before + 1
    _enrol_one_more(data)
    now[0] += 61
    assert _enrolments(client.get("/reports/").get_data(as_text=True)) == before + 2


def test_each_filter_and_language_has_its_own_figures(app, client, data, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTS_CACHE_SECONDS", 60)
    views.figures.clear()
    login(client, data.admin.email)
    everyone = _enrolments(client.get("/reports/").get_data(as_text=True))
    other_cohort = client.get(f"/reports/?cohort={data.cohort.id + 1000}")
    assert _enrolments(other_cohort.get_data(as_text=True)) == 0 < everyone
    client.set_cookie("lms_locale", "de")
    german = client.get("/reports/").get_data(as_text=True)
    assert "Zahlen vom" in german
    assert "Enrolments" not in german


def test_tests_compute_the_figures_on_every_request_unless_asked(app, client, data):
    assert "REPORTS_CACHE_SECONDS" not in app.config
    login(client, data.admin.email)
    before = _enrolments(client.get("/reports/").get_data(as_text=True))
    _enrol_one_more(data)
    assert _enrolments(client.get("/reports/").get_data(as_text=True)) == before + 1
