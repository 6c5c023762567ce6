"""Journeys 2 and 6, the part a trainee reads on the dashboard and the course page: the way to
the certificate, lessons and case studies together, and a deadline coming and passing."""

from __future__ import annotations

import datetime as dt

import time_machine

from lms.cohorts.models import LatePolicy
from tests.grading.conftest import set_deadline
from tests.journeys.person import Person


def test_the_checklist_shows_the_way_and_the_deadline_as_it_passes(app, setup):  # type: ignore[no-untyped-def]
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    set_deadline(setup, due, LatePolicy.ACCEPT_MARKED)
    tina = Person(app, setup.trainee.email)
    page = tina.log_in()
    assert "Accreditation checklist" in page
    assert "Required lessons: 0 of" in page
    title = setup.module.title
    assert f"Case study: {title} — Not started" in page
    assert "attempt 1 of 3" in page
    assert "Overdue" not in page
    page = tina.click(setup.course.title)
    assert "Accreditation checklist" in page
    assert "An attempt passes with a score of at least 70 out of 100." in page

    with time_machine.travel(due + dt.timedelta(hours=1)):
        page = tina.open("/")
        assert "Overdue" in page
        page = tina.click(f"Case study: {title}")
        assert "late answers are accepted and marked late" in page
        page = tina.submit(
            page.form(button="Save draft"),
            {"answer": "Late but whole."},
            button="Review and submit",
        )
        assert "has passed: your answer will be marked late" in page
        page = tina.submit(page.form(button="Submit for grading"), button="Submit for grading")
        assert "Late" in page
        page = tina.open("/")
        assert "Overdue" not in page  # it is with the trainers now
