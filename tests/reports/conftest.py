"""A small dataset whose KPIs are known in advance, and a bulk loader for query-count tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lms.accounts.models import Organisation, User
from lms.assessments.models import Submission, SubmissionState
from lms.certificates.models import Certificate, CertificateStatus
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember, MemberRole
from lms.courses.models import Course, LessonCompletion, Module
from lms.db import db, utcnow
from lms.grading.models import Grade, GradeKind
from tests.factories import OrganisationFactory, admin, trainee, trainer

COACH = "accredited-cooperation-coach"
UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


@dataclass
class Data:
    course: Course
    cohort: Cohort
    m1: Module
    m2: Module
    org_a: Organisation
    org_b: Organisation
    t1: User
    t2: User
    t3: User
    t4: User
    trainer: User
    second: User
    admin: User
    codes: list[str]


def _submission(
    data_course: Course, cohort: Cohort, user: User, module: Module, **kw: object
) -> Submission:
    row = Submission(
        user_id=user.id,
        module_id=module.id,
        cohort_id=cohort.id,
        content_version_id=data_course.current_version_id,
        answer="An answer.",
        **kw,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _grade(
    submission: Submission,
    grader: User,
    kind: GradeKind,
    codes: list[str],
    level: int,
    score: str,
    passed: bool,
) -> None:
    db.session.add(
        Grade(
            submission_id=submission.id,
            kind=kind,
            grader_id=grader.id,
            levels=dict.fromkeys(codes, level),
            feedback={},
            overall_feedback=f"Level {level} throughout.",
            score=Decimal(score),
            passed=passed,
            completed_at=submission.released_at or utcnow(),
        )
    )


def _certificate(
    course: Course,
    user: User,
    public_id: str,
    status: CertificateStatus,
    issued: dt.datetime,
    expires: dt.datetime,
    supersedes: Certificate | None = None,
    revoked: dt.datetime | None = None,
) -> Certificate:
    row = Certificate(
        revoked_at=revoked,
        public_id=public_id,
        user_id=user.id,
        course_id=course.id,
        content_version_id=course.current_version_id,
        results=[],
        status=status,
        issued_at=issued,
        expires_at=expires,
        supersedes_id=supersedes.id if supersedes else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def data(app, db_session, shipped_courses) -> Data:  # type: ignore[no-untyped-def]
    """Four trainees in two organisations; every KPI below is worked out by hand in the tests."""
    course = db.session.scalar(sa.select(Course).filter_by(slug=COACH))
    assessed = [m for m in course.modules if m.key_activity_id is not None]
    m1, m2 = assessed[0], assessed[1]
    org_a = OrganisationFactory(name="Agency A", country="DE", region="Saxony")
    org_b = OrganisationFactory(name="Agency B", country="FR", region="Grand Est")
    t1, t2 = (
        trainee(name="Anna One", organisation=org_a),
        trainee(name="Ben Two", organisation=org_a),
    )
    t3, t4 = (
        trainee(name="Cleo Three", organisation=org_b),
        trainee(name="Dan Four", organisation=org_b),
    )
    first, second = (
        trainer(name="Tom Trainer", organisation=org_a),
        trainer(name="Sue Second", organisation=org_a),
    )
    boss = admin(name="Ada Admin", organisation=org_a)
    cohort = Cohort(
        course_id=course.id,
        name="Reports cohort",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2030, 1, 1),
    )
    db.session.add(cohort)
    db.session.flush()
    for user, enrolled in (
        (t1, at(2026, 1, 1)),
        (t2, at(2026, 1, 1)),
        (t3, at(2026, 3, 1)),
        (t4, at(2026, 3, 1)),
    ):
        db.session.add(
            CohortMember(
                cohort_id=cohort.id, user_id=user.id, role=MemberRole.TRAINEE, enrolled_at=enrolled
            )
        )
    for user in (first, second):
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=MemberRole.TRAINER))
    db.session.add(CohortDeadline(cohort_id=cohort.id, module_id=m1.id, due_at=at(2030, 1, 1)))
    codes = [c.code for c in m1.case_study.criteria]
    now = utcnow()
    hour = dt.timedelta(hours=1)
    # Module 1: t1 passes at once (1 h to grade); t2 fails (2 h) then passes (3 h);
    # t3 fails (10 h); t4's late attempt waits since yesterday.
    s = _submission(
        course,
        cohort,
        t1,
        m1,
        attempt=1,
        state=SubmissionState.PASSED,
        submitted_at=at(2026, 4, 1),
        released_at=at(2026, 4, 1) + hour,
    )
    _grade(s, first, GradeKind.FIRST, codes, 4, "100.0", True)
    s = _submission(
        course,
        cohort,
        t2,
        m1,
        attempt=1,
        state=SubmissionState.FAILED,
        submitted_at=at(2026, 4, 2),
        released_at=at(2026, 4, 2) + 2 * hour,
    )
    _grade(s, first, GradeKind.FIRST, codes, 1, "25.0", False)
    _grade(s, second, GradeKind.SECOND, codes, 1, "25.0", False)  # agrees
    s = _submission(
        course,
        cohort,
        t2,
        m1,
        attempt=2,
        state=SubmissionState.PASSED,
        submitted_at=at(2026, 4, 10),
        released_at=at(2026, 4, 10) + 3 * hour,
    )
    _grade(s, first, GradeKind.FIRST, codes, 3, "75.0", True)
    s = _submission(
        course,
        cohort,
        t3,
        m1,
        attempt=1,
        state=SubmissionState.FAILED,
        submitted_at=at(2026, 5, 1),
        released_at=at(2026, 5, 1) + 10 * hour,
    )
    _grade(s, first, GradeKind.FIRST, codes, 1, "25.0", False)
    _grade(s, second, GradeKind.SECOND, codes, 3, "75.0", True)  # disagrees
    _submission(
        course,
        cohort,
        t4,
        m1,
        attempt=1,
        state=SubmissionState.SUBMITTED,
        submitted_at=now - dt.timedelta(days=1),
        late=True,
    )
    # Module 2: t1's attempt has been in review for ten days.
    _submission(
        course,
        cohort,
        t1,
        m2,
        attempt=1,
        state=SubmissionState.IN_REVIEW,
        submitted_at=now - dt.timedelta(days=10),
        claimed_by_id=first.id,
    )
    # Reading: t1 three lessons (at module 2), t3 one lesson of module 2.
    lessons = [lesson for lesson in m2.lessons if lesson.required]
    for lesson in lessons[:3]:
        db.session.add(
            LessonCompletion(user_id=t1.id, lesson_id=lesson.id, completed_at=at(2026, 4, 5))
        )
    db.session.add(
        LessonCompletion(user_id=t3.id, lesson_id=lessons[0].id, completed_at=at(2026, 5, 5))
    )
    # Certificates: t1 valid; t2 renewed (old one superseded); t3 revoked; t4 expired.
    far = at(2099, 1, 1)
    _certificate(course, t1, "CC-TEST-0001", CertificateStatus.VALID, at(2026, 1, 15), far)
    old = _certificate(
        course, t2, "CC-TEST-0002", CertificateStatus.SUPERSEDED, at(2025, 2, 10), at(2028, 2, 10)
    )
    _certificate(
        course, t2, "CC-TEST-0003", CertificateStatus.VALID, at(2026, 2, 10), far, supersedes=old
    )
    _certificate(
        course,
        t3,
        "CC-TEST-0004",
        CertificateStatus.REVOKED,
        at(2026, 1, 20),
        far,
        revoked=at(2026, 3, 2),
    )
    _certificate(
        course, t4, "CC-TEST-0005", CertificateStatus.EXPIRED, at(2023, 1, 5), at(2026, 1, 5)
    )
    db.session.flush()
    return Data(course, cohort, m1, m2, org_a, org_b, t1, t2, t3, t4, first, second, boss, codes)


def bulk_load(data: Data, trainees: int) -> int:
    """Add `trainees` trainees to the cohort, each with an attempt at every assessed module."""
    modules = [m for m in data.course.modules if m.key_activity_id is not None]
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(User.id), 0))) + 1
    db.session.execute(
        sa.insert(User),
        [
            {
                "id": start + i,
                "email": f"bulk{start + i}@example.org",
                "name": f"Bulk {i}",
                "organisation_id": data.org_b.id,
            }
            for i in range(trainees)
        ],
    )
    db.session.execute(
        sa.insert(CohortMember),
        [
            {"cohort_id": data.cohort.id, "user_id": start + i, "role": MemberRole.TRAINEE}
            for i in range(trainees)
        ],
    )
    now = utcnow()
    rows = []
    for i in range(trainees):
        for module in modules:
            state = (SubmissionState.PASSED, SubmissionState.FAILED, SubmissionState.SUBMITTED)[
                i % 3
            ]
            graded = state != SubmissionState.SUBMITTED
            rows.append(
                {
                    "user_id": start + i,
                    "module_id": module.id,
                    "cohort_id": data.cohort.id,
                    "content_version_id": data.course.current_version_id,
                    "attempt": 1,
                    "state": state,
                    "submitted_at": now - dt.timedelta(hours=i % 50 + 5),
                    "released_at": now - dt.timedelta(hours=i % 5) if graded else None,
                    "late": i % 7 == 0,
                }
            )
    db.session.execute(sa.insert(Submission), rows)
    db.session.flush()
    return len(rows)
