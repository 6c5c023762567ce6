"""A large, realistic dataset, written with multi-row INSERTs (Core), never row by row.

`populate()` adds trainees in cohorts, submissions with grades, lesson progress and signed
certificates (some revoked, some expired) to a database whose courses are imported. The
benchmark calls it with the full sizes; the query-count tests call it with small ones.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import Organisation, Role, User, UserRole
from lms.accounts.passwords import hash_password
from lms.assessments.models import Submission, SubmissionState
from lms.certificates import bulk, statuslist
from lms.certificates.models import Certificate, CertificateStatus, StatusList
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember, MemberRole
from lms.courses.models import ContentVersion, Course, Lesson, LessonCompletion, Module
from lms.db import db, utcnow
from lms.grading.models import Grade, GradeKind

CHUNK = 5000
FIRST_NAMES = ("Ada", "Bruno", "Chloé", "Dieter", "Elif", "Femke", "Giulia", "Hamid", "Ines")
LAST_NAMES = ("Andersen", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horvat")


@dataclass
class SeedSummary:
    trainees: int = 0
    trainers: int = 0
    cohorts: int = 0
    submissions: int = 0
    grades: int = 0
    certificates: int = 0
    revoked: int = 0
    expired: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    admin_email: str = ""
    trainer_emails: list[str] = field(default_factory=list)
    trainee_emails: list[str] = field(default_factory=list)
    cohort_ids: list[int] = field(default_factory=list)
    certificate_ids: list[str] = field(default_factory=list)


def _chunks(
    rows: Sequence[dict[str, Any]], size: int = CHUNK
) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(table), chunk)


def _insert_returning_ids(table: sa.Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for chunk in _chunks(rows):
        result = db.session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
        )
        ids.extend(result.scalars())
    return ids


@dataclass
class _CourseData:
    course: Course
    version: ContentVersion
    modules: list[tuple[int, list[str]]]  # assessed module id and its criteria codes
    lessons: list[int]
    activities: list[str]


def _course_data() -> list[_CourseData]:
    data = []
    for course in db.session.scalars(sa.select(Course).order_by(Course.id)):
        version = course.current_version
        if version is None:
            continue
        criteria = {
            m["slug"]: [c["code"] for c in m["criteria"]] for m in version.snapshot["modules"]
        }
        modules = [
            (module.id, criteria.get(module.slug, []))
            for module in db.session.scalars(
                sa.select(Module)
                .where(Module.course_id == course.id, Module.key_activity_id.is_not(None))
                .order_by(Module.position)
            )
        ]
        lessons = list(
            db.session.scalars(
                sa.select(Lesson.id).where(Lesson.course_id == course.id).order_by(Lesson.id)
            )
        )
        activities = [ka["code"] for ka in version.snapshot["key_activities"]]
        data.append(_CourseData(course, version, modules, lessons, activities))
    if not data:
        raise RuntimeError("no course is imported: run `lms courses import` first")
    return data


def populate(
    *,
    trainees: int,
    cohorts: int,
    submissions_per_trainee: int = 10,
    certificates: int | None = None,
    seed: int = 20261122,
    password: str = "bench-password-1234",  # noqa: S107 (made-up accounts)
    log: Any = None,
) -> SeedSummary:
    """Add the dataset (the caller commits). Certificates default to one per trainee."""
    rng = random.Random(seed)
    say = log or (lambda _text: None)
    summary = SeedSummary()
    courses = _course_data()
    now = utcnow().replace(microsecond=0)
    password_hash = hash_password(password)
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        summary.seconds[name] = round(time.perf_counter() - started, 2)
        say(f"  {name}: {summary.seconds[name]:.1f} s")
        started = time.perf_counter()

    tag = secrets.token_hex(4)  # new e-mails and names however often it runs
    organisation_ids = _insert_returning_ids(
        Organisation.__table__,
        [
            {
                "name": f"Agency {tag}-{n}",
                "country": rng.choice(["DE", "FR", "BE", "NL", "AT"]),
                "region": f"Region {n % 7}",
                "created_at": now,
            }
            for n in range(max(1, cohorts // 4))
        ],
    )

    def user_row(kind: str, n: int) -> dict[str, Any]:
        return {
            "email": f"{kind}-{tag}-{n}@bench.example.org",
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {n}",
            "password_hash": password_hash,
            "organisation_id": rng.choice(organisation_ids),
            "active": True,
            "timezone": "Europe/Brussels",
            "created_at": now,
        }

    admin_rows = [user_row("admin", 0)]
    trainer_rows = [user_row("trainer", n) for n in range(cohorts)]
    trainee_rows = [user_row("trainee", n) for n in range(trainees)]
    admin_id, *_ = _insert_returning_ids(User.__table__, admin_rows)
    trainer_ids = _insert_returning_ids(User.__table__, trainer_rows)
    trainee_ids = _insert_returning_ids(User.__table__, trainee_rows)
    names = {uid: row["name"] for uid, row in zip(trainee_ids, trainee_rows, strict=True)}
    _insert(
        UserRole.__table__,
        [{"user_id": admin_id, "role": Role.ADMIN}]
        + [{"user_id": uid, "role": Role.TRAINER} for uid in trainer_ids]
        + [{"user_id": uid, "role": Role.TRAINEE} for uid in trainee_ids],
    )
    summary.admin_email = admin_rows[0]["email"]
    summary.trainer_emails = [row["email"] for row in trainer_rows]
    summary.trainee_emails = [row["email"] for row in trainee_rows]
    summary.trainees, summary.trainers = trainees, cohorts
    lap("users")

    cohort_course = [courses[n % len(courses)] for n in range(cohorts)]
    starts = [(now - dt.timedelta(days=rng.randrange(30, 900))).date() for _ in range(cohorts)]
    cohort_ids = _insert_returning_ids(
        Cohort.__table__,
        [
            {
                "course_id": data.course.id,
                "name": f"Cohort {tag}-{n}",
                "starts_on": starts[n],
                "ends_on": starts[n] + dt.timedelta(days=180),
                "late_policy": "accept_marked",
                "blind_marking": False,
                "moderation": n % 10 == 0,
                "created_at": now,
            }
            for n, data in enumerate(cohort_course)
        ],
    )
    summary.cohort_ids, summary.cohorts = cohort_ids, cohorts
    members = [
        {
            "cohort_id": cid,
            "user_id": trainer_ids[n],
            "role": MemberRole.TRAINER,
            "lead": True,
            "enrolled_at": now,
        }
        for n, cid in enumerate(cohort_ids)
    ]
    deadlines = []
    for n, cid in enumerate(cohort_ids):
        for position, (module_id, _codes) in enumerate(cohort_course[n].modules):
            due = dt.datetime.combine(starts[n], dt.time(17), dt.UTC) + dt.timedelta(
                days=30 * (position + 1)
            )
            deadlines.append({"cohort_id": cid, "module_id": module_id, "due_at": due})
    trainee_cohort = {uid: n % cohorts for n, uid in enumerate(trainee_ids)}
    members += [
        {
            "cohort_id": cohort_ids[c],
            "user_id": uid,
            "role": MemberRole.TRAINEE,
            "lead": False,
            "enrolled_at": now,
        }
        for uid, c in trainee_cohort.items()
    ]
    _insert(CohortMember.__table__, members)
    _insert(CohortDeadline.__table__, deadlines)
    lap("cohorts")

    # Reading progress: the first few lessons of the course.
    completions = []
    for uid, c in trainee_cohort.items():
        lessons = cohort_course[c].lessons
        for lesson_id in lessons[: rng.randrange(0, min(8, len(lessons)) + 1)]:
            completions.append({"user_id": uid, "lesson_id": lesson_id, "completed_at": now})
    _insert(LessonCompletion.__table__, completions)
    lap("lesson progress")

    # Submissions: attempts at each assessed module in turn; earlier attempts failed.
    submission_rows: list[dict[str, Any]] = []
    grade_plan: list[tuple[int, bool, list[str], int]] = []  # row index, passed, codes, grader
    for uid, c in trainee_cohort.items():
        data = cohort_course[c]
        modules = data.modules
        if not modules:
            continue
        per_module = [0] * len(modules)
        for i in range(submissions_per_trainee):
            per_module[i % len(modules)] += 1
        for (module_id, codes), count in zip(modules, per_module, strict=True):
            for attempt in range(1, count + 1):
                last = attempt == count
                roll = rng.random()
                if not last:
                    state = SubmissionState.FAILED
                elif roll < 0.80:
                    state = SubmissionState.PASSED
                elif roll < 0.93:
                    state = SubmissionState.SUBMITTED
                elif roll < 0.96:
                    state = SubmissionState.IN_REVIEW
                elif roll < 0.98:
                    state = SubmissionState.RETURNED
                else:
                    state = SubmissionState.DRAFT
                submitted = now - dt.timedelta(hours=rng.randrange(1, 24 * 400))
                trainer = trainer_ids[c]
                if state in {SubmissionState.PASSED, SubmissionState.FAILED}:
                    grade_plan.append(
                        (len(submission_rows), state == SubmissionState.PASSED, codes, trainer)
                    )
                submission_rows.append(
                    {
                        "user_id": uid,
                        "module_id": module_id,
                        "cohort_id": cohort_ids[c],
                        "content_version_id": data.version.id,
                        "attempt": attempt,
                        "state": state,
                        "answer": "Our cooperation plan, step by step. " * 8,
                        "submitted_at": None if state == SubmissionState.DRAFT else submitted,
                        "late": rng.random() < 0.05,
                        "claimed_by_id": trainer if state == SubmissionState.IN_REVIEW else None,
                        "claimed_at": submitted if state == SubmissionState.IN_REVIEW else None,
                        "return_reason": "Add the partner analysis."
                        if state == SubmissionState.RETURNED
                        else "",
                        "released_at": submitted + dt.timedelta(days=3)
                        if state in {SubmissionState.PASSED, SubmissionState.FAILED}
                        else None,
                        "updated_at": submitted,
                        "version": 1,
                        "created_at": submitted,
                    }
                )
    submission_ids = _insert_returning_ids(Submission.__table__, submission_rows)
    summary.submissions = len(submission_ids)
    lap("submissions")

    grade_rows = []
    for index, passed, codes, trainer in grade_plan:
        level = rng.choice([3, 4]) if passed else rng.choice([0, 1])
        completed = submission_rows[index]["submitted_at"] + dt.timedelta(days=2)
        grade_rows.append(
            {
                "submission_id": submission_ids[index],
                "kind": GradeKind.FIRST,
                "grader_id": trainer,
                "levels": dict.fromkeys(codes, level),
                "feedback": dict.fromkeys(codes, "Clear and well argued." if passed else "Thin."),
                "overall_feedback": "Well done." if passed else "Please revise the analysis.",
                "score": Decimal("85.0") if passed else Decimal("30.0"),
                "passed": passed,
                "reasons": [] if passed else ["The score is below the pass mark."],
                "completed_at": completed,
                "updated_at": completed,
                "version": 1,
                "created_at": completed,
            }
        )
    _insert(Grade.__table__, grade_rows)
    summary.grades = len(grade_rows)
    lap("grades")

    # Certificates, signed in bulk with the current key; then some revoked, some expired.
    wanted = trainees if certificates is None else min(certificates, trainees)
    by_course: dict[int, list[bulk.BulkItem]] = {}
    for uid in trainee_ids[:wanted]:
        data = cohort_course[trainee_cohort[uid]]
        expired = rng.random() < 0.08
        issued = now - dt.timedelta(
            days=rng.randrange(4 * 365, 6 * 365) if expired else rng.randrange(1, 700)
        )
        by_course.setdefault(data.course.id, []).append(
            bulk.BulkItem(
                user_id=uid,
                name=names[uid],
                results=[
                    {"code": code, "level": rng.choice([2, 3, 4])} for code in data.activities
                ],
                issued_at=issued,
            )
        )
    for data in courses:
        items = by_course.get(data.course.id, [])
        if items:
            done = bulk.issue_bulk(data.course, data.version, items, actor_id=admin_id)
            summary.certificate_ids.extend(done.issued)
    summary.certificates = len(summary.certificate_ids)
    lap("certificates (signed)")

    table = Certificate.__table__
    expired = db.session.execute(
        sa.update(table)
        .where(table.c.expires_at < now, table.c.status == CertificateStatus.VALID)
        .values(status=CertificateStatus.EXPIRED)
    ).rowcount
    revoke = (
        rng.sample(summary.certificate_ids, k=max(1, summary.certificates // 20))
        if summary.certificate_ids
        else []
    )
    if revoke:
        for chunk_start in range(0, len(revoke), 1000):
            db.session.execute(
                sa.update(table)
                .where(table.c.public_id.in_(revoke[chunk_start : chunk_start + 1000]))
                .values(
                    status=CertificateStatus.REVOKED,
                    revoked_at=now,
                    revocation_reason="Issued in error (benchmark data).",
                )
            )
        _publish_out_of_force()
    summary.expired, summary.revoked = int(expired or 0), len(revoke)
    lap("revocations and expiries")
    return summary


def _publish_out_of_force() -> None:
    """Set the status-list bit of every revoked certificate, and re-sign each list once."""
    table = Certificate.__table__
    revoked: dict[int, list[int]] = {}
    for list_id, index in db.session.execute(
        sa.select(table.c.status_list_id, table.c.status_index).where(
            table.c.status == CertificateStatus.REVOKED, table.c.status_list_id.is_not(None)
        )
    ):
        revoked.setdefault(int(list_id), []).append(int(index))
    for list_id, indexes in revoked.items():
        status_list = db.session.get(StatusList, list_id)
        assert status_list is not None  # noqa: S101 (the foreign key says so)
        bits = bytearray(status_list.bits)
        for index in indexes:
            bits[index // 8] |= 0x80 >> (index % 8)
        status_list.bits = bytes(bits)
        status_list.updated_at = utcnow()
        status_list.credential = None
        statuslist.signed_credential(status_list)
    db.session.flush()
