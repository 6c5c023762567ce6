"""Each admin KPI against the hand-worked answers of the seeded dataset."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.reports import queries
from lms.reports.queries import Filters


def rows(table: queries.Table) -> dict[object, list[object]]:
    return {row[0]: row[1:] for row in table.rows}


@pytest.fixture
def ctx(app, data):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        yield data


def test_enrolments_count_trainees_enrolled_in_the_period(ctx):
    assert queries.enrolments(Filters()) == 4
    assert queries.enrolments(Filters(start=dt.date(2026, 2, 1))) == 2
    assert queries.enrolments(Filters(end=dt.date(2026, 1, 1))) == 2
    assert queries.enrolments(Filters(country="FR")) == 2
    assert queries.enrolments(Filters(organisation_id=ctx.org_a.id, cohort_id=ctx.cohort.id)) == 2


def test_lesson_completions_follow_the_people_filters(ctx):
    assert queries.lesson_completions(Filters()) == 4
    assert queries.lesson_completions(Filters(region="Grand Est")) == 1
    assert queries.lesson_completions(Filters(start=dt.date(2026, 5, 1))) == 1
    assert queries.lesson_completions(Filters(cohort_id=ctx.cohort.id)) == 4


def test_submissions_by_state(ctx):
    counts = {state: n for state, n in queries.submissions_by_state(Filters()).rows}
    assert counts == {"Submitted": 1, "In review": 1, "Passed": 2, "Failed": 2, "Returned": 0}
    april = Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30))
    assert sum(n for _s, n in queries.submissions_by_state(april).rows) == 3


def test_first_attempt_and_overall_pass_rate_per_module(ctx):
    table = rows(queries.pass_rates(Filters()))
    # m1: three trainees graded; one passed at the first attempt, two passed in the end.
    assert table[ctx.m1.title] == [3, 33.3, 66.7]
    assert ctx.m2.title in table
    assert table[ctx.m2.title] == [0, None, None]
    assert rows(queries.pass_rates(Filters(country="FR")))[ctx.m1.title] == [1, 0.0, 0.0]
    assert rows(queries.pass_rates(Filters(organisation_id=ctx.org_a.id)))[ctx.m1.title] == [
        2,
        50.0,
        100.0,
    ]


def test_median_and_90th_percentile_time_to_grade(ctx):
    # Hours to grade: 1, 2, 3, 10 -> median 2.5; p90 at position 2.7 -> 3 + 0.7 * 7 = 7.9.
    assert rows(queries.time_to_grade(Filters())) == {"Median": [2.5], "90th percentile": [7.9]}
    only_t3 = Filters(start=dt.date(2026, 5, 1))
    assert rows(queries.time_to_grade(only_t3)) == {"Median": [10.0], "90th percentile": [10.0]}
    none = Filters(start=dt.date(2099, 1, 1))
    assert rows(queries.time_to_grade(none)) == {"Median": [None], "90th percentile": [None]}


def test_certificates_issued_valid_expired_revoked_renewed(ctx):
    table = rows(queries.certificates_by_status(Filters()))
    assert table == {
        "Issued": [5],
        "Valid": [2],
        "Expired": [1],
        "Revoked": [1],
        "Suspended": [0],
        "Renewed": [1],
    }
    assert rows(queries.certificates_by_status(Filters(country="FR")))["Issued"] == [2]


def test_certificates_over_time(ctx):
    """Each event counts in its own month: issued (renewals among them), expired, revoked."""
    table = queries.certificates_per_month(Filters())
    assert table.rows == [
        ["2023-01", 1, 0, 0, 0],
        ["2025-02", 1, 0, 0, 0],
        ["2026-01", 2, 0, 1, 0],
        ["2026-02", 1, 1, 0, 0],
        ["2026-03", 0, 0, 0, 1],
    ]
    assert queries.certificates_per_month(Filters(start=dt.date(2026, 2, 1))).rows == [
        ["2026-02", 1, 1, 0, 0],
        ["2026-03", 0, 0, 0, 1],
    ]


def test_coaches_accredited_per_organisation_and_region(ctx):
    assert queries.accredited_per_organisation(Filters()).rows == [["Agency A", "DE", "Saxony", 2]]
    assert queries.accredited_per_organisation(Filters(region="Grand Est")).rows == []


def test_backlog(ctx):
    table = rows(queries.backlog(Filters()))
    assert table["Waiting to be claimed"] == [1]
    assert table["In review"] == [1]
    assert table["Oldest waiting (days)"] == [10]
    assert rows(queries.backlog(Filters(country="DE")))["Waiting to be claimed"] == [0]
