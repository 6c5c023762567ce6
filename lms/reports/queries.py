"""The accreditation body's KPIs, each an aggregate query (no rows loaded into Python).

Every function takes the same `Filters` and returns a small `Table` (a header and a few
aggregated rows) that the page charts, shows as a table and exports as CSV.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Organisation, User
from lms.assessments.models import Submission, SubmissionState
from lms.certificates.models import Certificate, CertificateStatus
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.courses.models import Lesson, LessonCompletion, Module
from lms.db import db, utcnow

WAITING = (SubmissionState.SUBMITTED, SubmissionState.IN_REVIEW)
GRADED = (SubmissionState.PASSED, SubmissionState.FAILED)
#: The submission states counted in reports (drafts are private), as people read them.
STATE_LABELS = {
    SubmissionState.SUBMITTED: _l("Submitted"),
    SubmissionState.IN_REVIEW: _l("In review"),
    SubmissionState.PASSED: _l("Passed"),
    SubmissionState.FAILED: _l("Failed"),
    SubmissionState.RETURNED: _l("Returned"),
}


@dataclass
class Filters:
    """What the KPIs are restricted to; None means "all"."""

    start: dt.date | None = None
    end: dt.date | None = None
    course_id: int | None = None
    cohort_id: int | None = None
    organisation_id: int | None = None
    country: str | None = None
    region: str | None = None

    def period(self, column: Any) -> list[Any]:
        """Conditions keeping `column` (a UTC datetime) inside the period, both days included."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= dt.datetime.combine(self.start, dt.time(), dt.UTC))
        if self.end is not None:
            end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), dt.UTC)
            conditions.append(column < end)
        return conditions

    def people(self, user_id: Any) -> list[Any]:
        """Conditions keeping `user_id` among people of the chosen organisation, country, region."""
        if self.organisation_id is None and not self.country and not self.region:
            return []
        query = sa.select(User.id).join(Organisation, Organisation.id == User.organisation_id)
        if self.organisation_id is not None:
            query = query.where(Organisation.id == self.organisation_id)
        if self.country:
            query = query.where(Organisation.country == self.country)
        if self.region:
            query = query.where(Organisation.region == self.region)
        return [user_id.in_(query)]

    def cohort_people(self, user_id: Any, course_id: Any) -> list[Any]:
        """Conditions for rows that carry a user and a course but no cohort."""
        conditions = self.people(user_id)
        if self.course_id is not None:
            conditions.append(course_id == self.course_id)
        if self.cohort_id is not None:
            members = sa.select(CohortMember.user_id).where(
                CohortMember.cohort_id == self.cohort_id, CohortMember.role == MemberRole.TRAINEE
            )
            cohort_course = sa.select(Cohort.course_id).where(Cohort.id == self.cohort_id)
            conditions += [user_id.in_(members), course_id.in_(cohort_course)]
        return conditions


@dataclass
class Table:
    """An aggregated table: what a chart draws, a table shows and a CSV holds."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _dialect() -> str:
    return str(db.session.get_bind().dialect.name)


def _month(column: Any) -> Any:
    if _dialect() == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _seconds_between(start: Any, end: Any) -> Any:
    if _dialect() == "postgresql":
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _enrolments(filters: Filters) -> sa.Select[tuple[int]]:
    query = (
        sa.select(sa.func.count())
        .select_from(CohortMember)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.role == MemberRole.TRAINEE, *filters.period(CohortMember.enrolled_at))
        .where(*filters.people(CohortMember.user_id))
    )
    if filters.course_id is not None:
        query = query.where(Cohort.course_id == filters.course_id)
    if filters.cohort_id is not None:
        query = query.where(Cohort.id == filters.cohort_id)
    return query


def _lesson_completions(filters: Filters) -> sa.Select[tuple[int]]:
    return (
        sa.select(sa.func.count())
        .select_from(LessonCompletion)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(*filters.period(LessonCompletion.completed_at))
        .where(*filters.cohort_people(LessonCompletion.user_id, Lesson.course_id))
    )


def enrolments(filters: Filters) -> int:
    return int(db.session.scalar(_enrolments(filters)) or 0)


def lesson_completions(filters: Filters) -> int:
    return int(db.session.scalar(_lesson_completions(filters)) or 0)


def _submission_conditions(filters: Filters) -> list[Any]:
    conditions: list[Any] = [Submission.submitted_at.is_not(None)]
    conditions += filters.people(Submission.user_id)
    if filters.cohort_id is not None:
        conditions.append(Submission.cohort_id == filters.cohort_id)
    if filters.course_id is not None:
        conditions.append(
            Submission.module_id.in_(
                sa.select(Module.id).where(Module.course_id == filters.course_id)
            )
        )
    return conditions


class StateCount(NamedTuple):
    in_period: int  # submitted within the filters' period
    now: int  # in this state today, whenever submitted
    oldest: dt.datetime | None  # the earliest submission in this state


def state_counts(filters: Filters) -> dict[SubmissionState, StateCount]:
    """Per state, the submissions of the period and of all time, and the oldest one: what
    both the submissions table and the backlog show, in one grouped statement."""
    period = filters.period(Submission.submitted_at)
    rows = db.session.execute(
        sa.select(
            Submission.state,
            sa.func.count(sa.case((sa.and_(*period), 1))) if period else sa.func.count(),
            sa.func.count(),
            sa.func.min(Submission.submitted_at),
        )
        .where(*_submission_conditions(filters))
        .group_by(Submission.state)
    ).all()
    return {state: StateCount(int(a), int(b), oldest) for state, a, b, oldest in rows}


def submissions_by_state(
    filters: Filters, counts: dict[SubmissionState, StateCount] | None = None
) -> Table:
    if counts is None:
        counts = state_counts(filters)
    table = Table(
        "submissions", str(_l("Submissions by state")), [str(_l("State")), str(_l("Submissions"))]
    )
    for state, label in STATE_LABELS.items():
        count = counts.get(state)
        table.rows.append([str(label), count.in_period if count else 0])
    return table


def pass_rates(filters: Filters) -> Table:
    """Per assessed module: trainees graded, first-attempt pass rate, overall pass rate."""
    graded = Submission.state.in_(GRADED)
    passed = Submission.state == SubmissionState.PASSED
    first = Submission.attempt == 1
    rows = db.session.execute(
        sa.select(
            Module.title,
            sa.func.count(sa.distinct(sa.case((graded, Submission.user_id)))),
            sa.func.count(sa.distinct(sa.case((sa.and_(graded, first), Submission.user_id)))),
            sa.func.count(sa.distinct(sa.case((sa.and_(passed, first), Submission.user_id)))),
            sa.func.count(sa.distinct(sa.case((passed, Submission.user_id)))),
        )
        .join(Module, Module.id == Submission.module_id)
        .where(*_submission_conditions(filters), *filters.period(Submission.submitted_at))
        .group_by(Module.id, Module.course_id, Module.position, Module.title)
        .order_by(Module.course_id, Module.position)
    ).all()
    table = Table(
        "pass-rates",
        str(_l("Pass rate per module")),
        [
            str(_l("Module")),
            str(_l("Trainees graded")),
            str(_l("First-attempt pass rate (%)")),
            str(_l("Overall pass rate (%)")),
        ],
    )
    for title, trainees, first_graded, first_passed, ever_passed in rows:
        table.rows.append(
            [
                title,
                int(trainees),
                _percent(int(first_passed), int(first_graded)),
                _percent(int(ever_passed), int(trainees)),
            ]
        )
    return table


def time_to_grade(filters: Filters) -> Table:
    """Median and 90th percentile of hours from submission to released grade."""
    conditions = [
        *_submission_conditions(filters),
        Submission.released_at.is_not(None),
        *filters.period(Submission.released_at),
    ]
    seconds = _seconds_between(Submission.submitted_at, Submission.released_at)
    values = percentiles(seconds, conditions, (0.5, 0.9))
    table = Table(
        "time-to-grade",
        str(_l("Time to grade")),
        [str(_l("Measure")), str(_l("Hours"))],
    )
    for label, value in zip((str(_l("Median")), str(_l("90th percentile"))), values, strict=True):
        table.rows.append([label, None if value is None else round(value / 3600, 1)])
    return table


def percentiles(
    expression: Any, conditions: list[Any], fractions: tuple[float, ...]
) -> list[float | None]:
    """Continuous percentiles (linear interpolation, as PostgreSQL's percentile_cont).

    PostgreSQL computes them itself; elsewhere one statement numbers the values in order
    (a window) and returns only the two around each percentile's position, with the count.
    """
    if _dialect() == "postgresql":
        row = db.session.execute(
            sa.select(
                *[sa.func.percentile_cont(p).within_group(expression) for p in fractions]
            ).where(*conditions)
        ).one()
        return [None if value is None else float(value) for value in row]
    ranked = (
        sa.select(
            expression.label("value"),
            (sa.func.row_number().over(order_by=expression) - 1).label("position"),
            sa.func.count().over().label("count"),
        )
        .where(*conditions)
        .subquery()
    )
    # floor((count - 1) * fraction), as the integer part of a non-negative number
    lows = [sa.cast((ranked.c.count - 1) * fraction, sa.Integer) for fraction in fractions]
    rows = db.session.execute(
        sa.select(ranked.c.position, ranked.c.value, ranked.c.count).where(
            sa.or_(*[ranked.c.position.between(low, low + 1) for low in lows])
        )
    ).all()
    if not rows:
        return [None for _fraction in fractions]
    count = int(rows[0].count)
    values = {int(row.position): float(row.value) for row in rows}
    results: list[float | None] = []
    for fraction in fractions:
        position = (count - 1) * fraction
        low = math.floor(position)
        upper = values.get(low + 1, values[low])
        results.append(values[low] + (upper - values[low]) * (position - low))
    return results


def _certificate_conditions(filters: Filters) -> list[Any]:
    return filters.cohort_people(Certificate.user_id, Certificate.course_id)


def certificates_by_status(filters: Filters) -> Table:
    """Certificates issued in the period, by their status today; renewals counted apart."""
    now = utcnow()
    expired = sa.or_(
        Certificate.status == CertificateStatus.EXPIRED,
        sa.and_(Certificate.status == CertificateStatus.VALID, Certificate.expires_at < now),
    )
    valid = sa.and_(
        Certificate.status == CertificateStatus.VALID,
        sa.or_(Certificate.expires_at.is_(None), Certificate.expires_at >= now),
    )
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.case((valid, 1))),
            sa.func.count(sa.case((expired, 1))),
            sa.func.count(sa.case((Certificate.status == CertificateStatus.REVOKED, 1))),
            sa.func.count(sa.case((Certificate.status == CertificateStatus.SUSPENDED, 1))),
            sa.func.count(sa.case((Certificate.supersedes_id.is_not(None), 1))),
        ).where(
            Certificate.issued_at.is_not(None),
            *filters.period(Certificate.issued_at),
            *_certificate_conditions(filters),
        )
    ).one()
    labels = [
        _l("Issued"),
        _l("Valid"),
        _l("Expired"),
        _l("Revoked"),
        _l("Suspended"),
        _l("Renewed"),
    ]
    table = Table(
        "certificates", str(_l("Certificates")), [str(_l("Status")), str(_l("Certificates"))]
    )
    table.rows = [[str(label), int(value)] for label, value in zip(labels, row, strict=True)]
    return table


def certificates_per_month(filters: Filters) -> Table:
    """Certificate events in the month they happened: issued (and of those, renewals),
    expired, revoked. Each event is filtered by its own date; the three counts come from one
    statement (UNION ALL), kind 0 issued, 2 expired, 3 revoked (their column in the table)."""
    people = _certificate_conditions(filters)
    issued_month = _month(Certificate.issued_at)
    issued = (
        sa.select(
            sa.literal_column("0").label("kind"),
            issued_month.label("month"),
            sa.func.count().label("total"),
            sa.func.count(sa.case((Certificate.supersedes_id.is_not(None), 1))).label("renewals"),
        )
        .where(Certificate.issued_at.is_not(None), *filters.period(Certificate.issued_at), *people)
        .group_by(issued_month)
    )
    expired_month = _month(Certificate.expires_at)
    has_expired = sa.or_(
        Certificate.status == CertificateStatus.EXPIRED,
        sa.and_(Certificate.status == CertificateStatus.VALID, Certificate.expires_at < utcnow()),
    )
    revoked_month = _month(Certificate.revoked_at)
    others = [
        sa.select(sa.literal_column(str(kind)), month_of, sa.func.count(), sa.literal_column("0"))
        .where(column.is_not(None), condition, *filters.period(column), *people)
        .group_by(month_of)
        for column, month_of, condition, kind in (
            (Certificate.expires_at, expired_month, has_expired, 2),
            (
                Certificate.revoked_at,
                revoked_month,
                Certificate.status == CertificateStatus.REVOKED,
                3,
            ),
        )
    ]
    counts: dict[str, list[int]] = {}
    for kind, month, total, renewals in db.session.execute(sa.union_all(issued, *others)):
        values = counts.setdefault(month, [0, 0, 0, 0])
        if int(kind) == 0:
            values[0:2] = [int(total), int(renewals)]
        else:
            values[int(kind)] = int(total)
    table = Table(
        "certificates-per-month",
        str(_l("Certificates over time")),
        [
            str(_l("Month")),
            str(_l("Issued")),
            str(_l("Of which renewals")),
            str(_l("Expired")),
            str(_l("Revoked")),
        ],
    )
    table.rows = [[month, *values] for month, values in sorted(counts.items())]
    return table


def accredited_per_organisation(filters: Filters) -> Table:
    """Coaches holding a valid certificate, per organisation (with its country and region)."""
    rows = db.session.execute(
        sa.select(
            sa.func.coalesce(Organisation.name, ""),
            sa.func.coalesce(Organisation.country, ""),
            sa.func.coalesce(Organisation.region, ""),
            sa.func.count(sa.distinct(Certificate.user_id)),
        )
        .select_from(Certificate)
        .join(User, User.id == Certificate.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(
            Certificate.status == CertificateStatus.VALID,
            *filters.period(Certificate.issued_at),
            *_certificate_conditions(filters),
        )
        .group_by(Organisation.name, Organisation.country, Organisation.region)
        .order_by(sa.func.count(sa.distinct(Certificate.user_id)).desc(), Organisation.name)
    ).all()
    table = Table(
        "accredited",
        str(_l("Accredited coaches per organisation")),
        [str(_l("Organisation")), str(_l("Country")), str(_l("Region")), str(_l("Coaches"))],
    )
    table.rows = [[name or str(_l("(none)")), c, r, int(n)] for name, c, r, n in rows]
    return table


def backlog(filters: Filters, counts: dict[SubmissionState, StateCount] | None = None) -> Table:
    """Work waiting for a grader now (the period does not apply: a backlog is today's)."""
    if counts is None:
        counts = state_counts(filters)
    waiting = [counts[state] for state in WAITING if state in counts]
    dates = [c.oldest for c in waiting if c.oldest is not None]
    oldest = min(dates) if dates else None
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    days = (utcnow() - oldest).days if oldest is not None else None
    empty = StateCount(0, 0, None)
    table = Table("backlog", str(_l("Backlog")), [str(_l("Measure")), str(_l("Value"))])
    table.rows = [
        [str(_l("Waiting to be claimed")), counts.get(SubmissionState.SUBMITTED, empty).now],
        [str(_l("In review")), counts.get(SubmissionState.IN_REVIEW, empty).now],
        [str(_l("Oldest waiting (days)")), days],
    ]
    return table


def summary(filters: Filters) -> Table:
    """Enrolments and lessons completed, both counted by one statement."""
    enrolled, completed = db.session.execute(
        sa.select(
            _enrolments(filters).scalar_subquery(), _lesson_completions(filters).scalar_subquery()
        )
    ).one()
    table = Table("summary", str(_l("Activity")), [str(_l("Measure")), str(_l("Count"))])
    table.rows = [
        [str(_l("Enrolments")), int(enrolled or 0)],
        [str(_l("Lessons completed")), int(completed or 0)],
    ]
    return table


#: Every KPI table, by the name used in its CSV export URL.
TABLES = {
    "summary": summary,
    "submissions": submissions_by_state,
    "pass-rates": pass_rates,
    "time-to-grade": time_to_grade,
    "certificates": certificates_by_status,
    "certificates-per-month": certificates_per_month,
    "accredited": accredited_per_organisation,
    "backlog": backlog,
}


def all_tables(filters: Filters) -> dict[str, Table]:
    counts = state_counts(filters)
    shared = {
        "submissions": lambda f: submissions_by_state(f, counts),
        "backlog": lambda f: backlog(f, counts),
    }
    return {name: shared.get(name, build)(filters) for name, build in TABLES.items()}
