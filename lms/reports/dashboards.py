"""What the home page shows a trainee and a trainer, with a fixed number of aggregate queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import orm

from lms.accounts.models import User
from lms.assessments.models import Submission, SubmissionState
from lms.caching import BoundedCache
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember, MemberRole
from lms.courses import queries as course_queries
from lms.courses.models import Course, Lesson, LessonCompletion, Module, RubricCriterion
from lms.db import db, utcnow
from lms.grading.models import Grade, GradeKind
from lms.grading.queries import graded_cohort_ids
from lms.reports.charts import Series, bar_chart

#: How long aggregate figures are kept (seconds) unless LMS_REPORTS_CACHE_SECONDS says
#: otherwise: the KPIs aggregate every submission and certificate, a second's work on a large
#: database, and a trainer's statistics hundreds of grades. 0 computes them on every request.
DEFAULT_CACHE_SECONDS = 60

WAITING = (SubmissionState.SUBMITTED, SubmissionState.IN_REVIEW)
GRADED = (SubmissionState.PASSED, SubmissionState.FAILED)


# --- trainee -------------------------------------------------------------------------------


@dataclass
class NextStep:
    kind: str  # "lesson" | "case_study" | "done"
    module: Module | None = None
    lesson: Lesson | None = None
    due_at: dt.datetime | None = None
    attempts_left: int | None = None


@dataclass
class CaseStudyRow:
    """One case study on the way to the certificate, as its latest attempt stands."""

    module: Module
    state: SubmissionState | None
    #: The number of the latest attempt (0: none yet).
    attempt: int
    allowed: int
    left: int
    due_at: dt.datetime | None

    @property
    def overdue(self) -> bool:
        return (
            self.due_at is not None
            and utcnow() > self.due_at
            and self.state not in (SubmissionState.PASSED, *WAITING)
        )


@dataclass
class CourseCard:
    course: Course
    progress: course_queries.Progress
    next_step: NextStep
    #: (module, state of the latest attempt or None, attempts left)
    modules: list[tuple[Module, SubmissionState | None, int]] = field(default_factory=list)
    #: The accreditation checklist: every module's case study.
    case_studies: list[CaseStudyRow] = field(default_factory=list)

    @property
    def case_studies_passed(self) -> int:
        return sum(1 for row in self.case_studies if row.state == SubmissionState.PASSED)


def trainee_dashboard(user: User) -> dict[str, Any]:
    return {
        "cards": trainee_cards(user),
        "feedback": latest_feedback(user),
        "certificates": list(
            db.session.scalars(
                sa.select(Certificate)
                .where(Certificate.user_id == user.id)
                .order_by(Certificate.created_at.desc())
                .options(orm.joinedload(Certificate.course))
            )
        ),
        "now": utcnow(),
    }


def trainee_card(user: User, course: Course) -> CourseCard | None:
    """The card of one course: its progress, next step and accreditation checklist."""
    return next((card for card in trainee_cards(user) if card.course.id == course.id), None)


def trainee_cards(user: User) -> list[CourseCard]:
    courses = list(
        db.session.scalars(
            sa.select(Course)
            .where(Course.id.in_(course_queries.visible_course_ids(user)))
            .order_by(Course.title)
        )
    )
    ids = [c.id for c in courses]
    progress = course_queries.course_progress_for_many(user, courses)
    modules = list(
        db.session.scalars(
            sa.select(Module)
            .where(Module.course_id.in_(ids), Module.retired_at.is_(None))
            .order_by(Module.course_id, Module.position)
            .options(orm.joinedload(Module.lessons))
        ).unique()
    )
    done = set(
        db.session.scalars(
            sa.select(LessonCompletion.lesson_id)
            .join(Lesson)
            .where(LessonCompletion.user_id == user.id, Lesson.course_id.in_(ids))
        )
    )
    latest, deadlines = _attempts_and_deadlines(user)
    cards = []
    for course in courses:
        own = [m for m in modules if m.course_id == course.id]
        card = CourseCard(course, progress[course.id], NextStep("done"))
        for module in own:
            state, attempt, used = latest.get(module.id, (None, 0, 0))
            # An attempt with the trainers is spoken for already.
            left = max(course.max_attempts - used - (1 if state in WAITING else 0), 0)
            card.modules.append((module, state, left))
            if module.key_activity_id is not None:
                card.case_studies.append(
                    CaseStudyRow(
                        module, state, attempt, course.max_attempts, left, deadlines.get(module.id)
                    )
                )
        card.next_step = _next_step(card, done, deadlines)
        cards.append(card)
    return cards


def _attempts_and_deadlines(
    user: User,
) -> tuple[dict[int, tuple[SubmissionState, int, int]], dict[int, dt.datetime]]:
    """Per module: the state and number of the latest attempt and how many attempts were
    graded; and the
    deadlines of the person's cohorts. One statement (UNION ALL): a deadline row carries no
    state."""
    last = (
        sa.select(Submission.module_id, sa.func.max(Submission.attempt).label("attempt"))
        .where(Submission.user_id == user.id)
        .group_by(Submission.module_id)
        .subquery()
    )
    used = (
        sa.select(Submission.module_id, sa.func.count().label("used"))
        .where(Submission.user_id == user.id, Submission.state.in_(GRADED))
        .group_by(Submission.module_id)
        .subquery()
    )
    attempts = (
        sa.select(
            Submission.module_id,
            Submission.state,
            Submission.attempt,
            sa.func.coalesce(used.c.used, 0),
            sa.cast(sa.null(), CohortDeadline.due_at.type),
        )
        .join(
            last,
            sa.and_(last.c.module_id == Submission.module_id, last.c.attempt == Submission.attempt),
        )
        .outerjoin(used, used.c.module_id == Submission.module_id)
        .where(Submission.user_id == user.id)
    )
    deadlines = (
        sa.select(CohortDeadline.module_id, sa.null(), sa.null(), sa.null(), CohortDeadline.due_at)
        .join(CohortMember, CohortMember.cohort_id == CohortDeadline.cohort_id)
        .where(CohortMember.user_id == user.id, CohortMember.role == MemberRole.TRAINEE)
    )
    latest: dict[int, tuple[SubmissionState, int, int]] = {}
    due: dict[int, dt.datetime] = {}
    rows = db.session.execute(sa.union_all(attempts, deadlines))
    for module_id, state, attempt, count, due_at in rows:
        if state is None:
            due[module_id] = due_at
        else:
            latest[module_id] = (state, int(attempt), int(count))
    return latest, due


def _next_step(card: CourseCard, done: set[int], deadlines: dict[int, dt.datetime]) -> NextStep:
    """The first module with a required lesson unread or a case study not yet passed."""
    for module, state, left in card.modules:
        lesson = next((ls for ls in module.lessons if ls.required and ls.id not in done), None)
        if lesson is not None:
            return NextStep("lesson", module, lesson, deadlines.get(module.id), left)
        if module.key_activity_id is not None and state != SubmissionState.PASSED and left > 0:
            return NextStep("case_study", module, None, deadlines.get(module.id), left)
    return NextStep("done")


def latest_feedback(user: User, limit: int = 3) -> list[tuple[Submission, Grade]]:
    """The released grades most recently given to this trainee (the moderator's if any)."""
    rows = db.session.execute(
        sa.select(Submission, Grade)
        .join(Grade, Grade.submission_id == Submission.id)
        .where(
            Submission.user_id == user.id,
            Submission.released_at.is_not(None),
            Submission.state.in_(GRADED),
            Grade.kind.in_((GradeKind.FIRST, GradeKind.AGREED)),
            Grade.completed_at.is_not(None),
        )
        .order_by(Submission.released_at.desc(), Grade.kind.desc())
        .limit(2 * limit)
        .options(orm.joinedload(Submission.module))
    ).all()
    chosen: dict[int, tuple[Submission, Grade]] = {}
    for submission, grade in rows:
        current = chosen.get(submission.id)
        if current is None or grade.kind == GradeKind.AGREED:
            chosen[submission.id] = (submission, grade)
    return list(chosen.values())[:limit]


# --- trainer -------------------------------------------------------------------------------

#: Cell states in the progress matrix, besides the submission states.
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"


class Trainee(NamedTuple):
    id: int
    name: str


@dataclass
class Matrix:
    cohort: Cohort
    modules: list[Module]
    #: (trainee, {module id: (state, late)} in the order of `modules`)
    rows: list[tuple[Trainee, dict[int, tuple[str, bool]]]]


def queue_ageing(user: User) -> dict[str, int]:
    """Waiting submissions by state and by age: under 2 days, 2 to 7 days, over 7 days."""
    now = utcnow()
    two, seven = now - dt.timedelta(days=2), now - dt.timedelta(days=7)
    row = db.session.execute(
        sa.select(
            sa.func.count(sa.case((Submission.state == SubmissionState.SUBMITTED, 1))),
            sa.func.count(sa.case((Submission.state == SubmissionState.IN_REVIEW, 1))),
            sa.func.count(sa.case((Submission.submitted_at >= two, 1))),
            sa.func.count(
                sa.case(
                    (sa.and_(Submission.submitted_at < two, Submission.submitted_at >= seven), 1)
                )
            ),
            sa.func.count(sa.case((Submission.submitted_at < seven, 1))),
        ).where(
            Submission.state.in_(WAITING),
            Submission.cohort_id.in_(graded_cohort_ids(user)),
            Submission.user_id != user.id,
        )
    ).one()
    keys = ("submitted", "in_review", "under_2_days", "2_to_7_days", "over_7_days")
    return {key: int(value) for key, value in zip(keys, row, strict=True)}


def progress_matrices(user: User, max_cohorts: int = 5) -> list[Matrix]:
    """Trainees × assessed modules for the cohorts this person trains (most recent first)."""
    cohorts = list(
        db.session.scalars(
            sa.select(Cohort)
            .where(Cohort.id.in_(graded_cohort_ids(user)))
            .order_by(Cohort.starts_on.desc(), Cohort.id)
            .limit(max_cohorts)
        )
    )
    cohort_ids = [c.id for c in cohorts]
    modules = list(
        db.session.scalars(
            sa.select(Module)
            .where(
                Module.course_id.in_({c.course_id for c in cohorts}),
                Module.key_activity_id.is_not(None),
                Module.retired_at.is_(None),
            )
            .order_by(Module.position)
            .options(orm.joinedload(Module.key_activity))
        )
    )
    # Names only: loading User objects would also load their roles, in chunks that grow with n.
    members = db.session.execute(
        sa.select(CohortMember.cohort_id, User.id, User.name)
        .join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id.in_(cohort_ids), CohortMember.role == MemberRole.TRAINEE)
        .order_by(User.name)
    ).all()
    cells, started = _cells_and_reading(cohort_ids)
    matrices = []
    for cohort in cohorts:
        own = [m for m in modules if m.course_id == cohort.course_id]
        rows = []
        for cohort_id, user_id, name in members:
            if cohort_id != cohort.id:
                continue
            trainee = Trainee(user_id, name)
            row = {}
            for module in own:
                cell = cells.get((cohort.id, trainee.id, module.id))
                if cell is None:
                    state = IN_PROGRESS if (trainee.id, module.id) in started else NOT_STARTED
                    cell = (state, False)
                row[module.id] = cell
            rows.append((trainee, row))
        matrices.append(Matrix(cohort, own, rows))
    return matrices


def _cells_and_reading(
    cohort_ids: list[int],
) -> tuple[dict[tuple[int, int, int], tuple[str, bool]], set[tuple[int, int]]]:
    """The state of each (cohort, trainee, module)'s latest attempt, and the (trainee, module)
    pairs with at least one lesson read: one statement (UNION ALL), the second part's rows
    carrying no cohort."""
    last = (
        sa.select(
            Submission.cohort_id,
            Submission.user_id,
            Submission.module_id,
            sa.func.max(Submission.attempt).label("attempt"),
        )
        .where(Submission.cohort_id.in_(cohort_ids))
        .group_by(Submission.cohort_id, Submission.user_id, Submission.module_id)
        .subquery()
    )
    cells = sa.select(
        Submission.cohort_id,
        Submission.user_id,
        Submission.module_id,
        Submission.state,
        Submission.late,
    ).join(
        last,
        sa.and_(
            last.c.cohort_id == Submission.cohort_id,
            last.c.user_id == Submission.user_id,
            last.c.module_id == Submission.module_id,
            last.c.attempt == Submission.attempt,
        ),
    )
    trainees = sa.select(CohortMember.user_id).where(
        CohortMember.cohort_id.in_(cohort_ids), CohortMember.role == MemberRole.TRAINEE
    )
    reading = (
        sa.select(sa.null(), LessonCompletion.user_id, Lesson.module_id, sa.null(), sa.null())
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(LessonCompletion.user_id.in_(trainees))
        .group_by(LessonCompletion.user_id, Lesson.module_id)
    )
    latest: dict[tuple[int, int, int], tuple[str, bool]] = {}
    started: set[tuple[int, int]] = set()
    for cohort_id, user_id, module_id, state, late in db.session.execute(
        sa.union_all(cells, reading)
    ):
        if cohort_id is None:
            started.add((user_id, module_id))
            continue
        shown = IN_PROGRESS if state == SubmissionState.DRAFT else state.value
        latest[(cohort_id, user_id, module_id)] = (shown, bool(late))
    return latest, started


class Criterion(NamedTuple):
    """What the dashboard shows of a rubric criterion (no database row: rows are kept)."""

    id: int
    code: str
    title: str


@dataclass
class CriterionLevels:
    criterion: Criterion
    counts: list[int]  # graded attempts at level 0..4

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def average(self) -> float | None:
        if not self.total:
            return None
        return round(sum(level * n for level, n in enumerate(self.counts)) / self.total, 2)


def criterion_levels(user: User) -> list[CriterionLevels]:
    """Per rubric criterion, how many graded attempts got each level (released grades only):
    the criteria with their counts in one statement."""
    # Each grade's levels are unpacked once ({code: level} → rows) and counted in SQL.
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    pairs = (
        sa.func.json_each_text(Grade.levels) if postgresql else sa.func.json_each(Grade.levels)
    ).table_valued("key", "value")
    level = sa.cast(pairs.c.value, sa.Integer)
    counted = (
        sa.select(
            Module.course_id.label("course_id"),
            pairs.c.key.label("code"),
            level.label("level"),
            sa.func.count().label("count"),
        )
        .select_from(Grade)
        .join(Submission, Submission.id == Grade.submission_id)
        .join(Module, Module.id == Submission.module_id)
        .join(pairs, sa.true())
        .where(
            Grade.kind == GradeKind.FIRST,
            Grade.completed_at.is_not(None),
            Submission.state.in_(GRADED),
            Submission.cohort_id.in_(graded_cohort_ids(user)),
        )
        .group_by(Module.course_id, pairs.c.key, level)
        .subquery()
    )
    courses = sa.select(Cohort.course_id).where(Cohort.id.in_(graded_cohort_ids(user)))
    rows = db.session.execute(
        sa.select(RubricCriterion, counted.c.level, counted.c.count)
        .outerjoin(
            counted,
            sa.and_(
                counted.c.course_id == RubricCriterion.course_id,
                counted.c.code == RubricCriterion.code,
            ),
        )
        .where(RubricCriterion.course_id.in_(courses), RubricCriterion.retired_at.is_(None))
        .order_by(RubricCriterion.course_id, RubricCriterion.code)
    ).all()
    result: dict[int, CriterionLevels] = {}
    for criterion, value, count in rows:
        shown = Criterion(criterion.id, criterion.code, criterion.title)
        cells = result.setdefault(criterion.id, CriterionLevels(shown, [0] * 5)).counts
        if value is not None and 0 <= int(value) <= 4:
            cells[int(value)] += int(count)
    return list(result.values())


def agreement(user: User) -> list[tuple[str, int, int]]:
    """Per first marker in this person's cohorts: second-marked grades and agreements."""
    first = orm.aliased(Grade)
    second = orm.aliased(Grade)
    agreed = sa.and_(first.passed == second.passed, sa.func.abs(first.score - second.score) <= 10)
    rows = db.session.execute(
        sa.select(User.name, sa.func.count(), sa.func.sum(sa.case((agreed, 1), else_=0)))
        .select_from(first)
        .join(
            second,
            sa.and_(
                second.submission_id == first.submission_id,
                second.kind == GradeKind.SECOND,
                second.completed_at.is_not(None),
            ),
        )
        .join(Submission, Submission.id == first.submission_id)
        .join(User, User.id == first.grader_id)
        .where(
            first.kind == GradeKind.FIRST,
            first.completed_at.is_not(None),
            Submission.cohort_id.in_(graded_cohort_ids(user)),
        )
        .group_by(User.id, User.name)
        .order_by(User.name)
    ).all()
    return [(name, int(total), int(ok or 0)) for name, total, ok in rows]


#: Each trainer's statistics over released grades, with when they were computed.
_statistics: BoundedCache[tuple[dt.datetime, list[CriterionLevels], list[tuple[str, int, int]]]] = (
    BoundedCache(512)
)


def cache_seconds() -> float:
    """How long aggregate figures may be shown before they are computed again
    (LMS_REPORTS_CACHE_SECONDS: 60 by default, 0 in tests unless set)."""
    default = 0 if current_app.testing else DEFAULT_CACHE_SECONDS
    return float(current_app.config.get("REPORTS_CACHE_SECONDS", default))


def grading_statistics(
    user: User,
) -> tuple[dt.datetime, list[CriterionLevels], list[tuple[str, int, int]]]:
    """The levels given per criterion and the agreement with second markers in this person's
    cohorts, and when they were computed: kept for `cache_seconds()` per trainer. They sum up
    hundreds of released grades (unpacking each grade's levels), which one more grade barely
    moves; the queue and the progress matrix beside them are always read afresh."""
    return _statistics.get_or_compute(
        (user.id, id(current_app._get_current_object())),  # type: ignore[attr-defined]
        lambda: (utcnow(), criterion_levels(user), agreement(user)),
        cache_seconds(),
    )


def trainer_dashboard(user: User) -> dict[str, Any]:
    statistics_at, levels, agreed = grading_statistics(user)
    criteria = sorted((row for row in levels if row.total), key=lambda row: row.average or 0)
    chart = bar_chart(
        "chart-criteria",
        _("Average level per criterion"),
        _("Average rubric level (0 to 4) given per criterion, lowest first."),
        [row.criterion.title for row in criteria],
        [Series(_("Average level"), [row.average for row in criteria])],
        maximum=4,
    )
    return {
        "ageing": queue_ageing(user),
        "matrices": progress_matrices(user),
        "criteria": criteria,
        "criteria_chart": chart,
        "agreement": agreed,
        "statistics_at": statistics_at,
    }
