"""The grading queue and agreement statistics, as aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm

from lms.accounts.models import User
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.courses.models import Module
from lms.db import db
from lms.grading.models import Grade, GradeKind

WAITING = (SubmissionState.SUBMITTED, SubmissionState.IN_REVIEW)


@dataclass
class QueueFilters:
    cohort_id: int | None = None
    module_id: int | None = None
    state: SubmissionState | None = None
    late: bool | None = None


def graded_cohort_ids(user: User) -> sa.Select[tuple[int]]:
    if user.is_admin:
        return sa.select(Cohort.id)
    return sa.select(CohortMember.cohort_id).where(
        CohortMember.user_id == user.id, CohortMember.role == MemberRole.TRAINER
    )


def queue(user: User, filters: QueueFilters) -> sa.Select[tuple[Submission]]:
    """Submissions this person may grade, oldest first; never their own."""
    query = (
        _graded_by(sa.select(Submission), user)
        .where(Submission.user_id != user.id)
        .options(
            # Many-to-one rows joined into the page's one query; their roles are not shown.
            orm.joinedload(Submission.user).lazyload(User.role_rows),
            orm.joinedload(Submission.module),
            orm.joinedload(Submission.cohort),
            orm.joinedload(Submission.claimed_by).lazyload(User.role_rows),
        )
        .order_by(Submission.submitted_at.asc(), Submission.id.asc())
    )
    if filters.state is not None:
        query = query.where(Submission.state == filters.state)
    else:
        query = query.where(Submission.state.in_(WAITING))
    if filters.cohort_id is not None:
        query = query.where(Submission.cohort_id == filters.cohort_id)
    if filters.module_id is not None:
        query = query.where(Submission.module_id == filters.module_id)
    if filters.late is not None:
        query = query.where(Submission.late.is_(filters.late))
    return query


def _graded_by(query: sa.Select[Any], user: User) -> sa.Select[Any]:
    """`query` on submissions limited to the cohorts `user` grades, as a join: the database
    then starts from the trainer's few cohorts, not from every submission in a state."""
    if user.is_admin:
        return query
    return query.join(
        CohortMember,
        sa.and_(
            CohortMember.cohort_id == Submission.cohort_id,
            CohortMember.user_id == user.id,
            CohortMember.role == MemberRole.TRAINER,
        ),
    )


def state_counts(user: User) -> dict[SubmissionState, int]:
    query = sa.select(Submission.state, sa.func.count()).where(
        Submission.user_id != user.id, Submission.state != SubmissionState.DRAFT
    )
    rows = db.session.execute(_graded_by(query, user).group_by(Submission.state)).all()
    return {state: int(count) for state, count in rows}


class Choice(NamedTuple):
    id: int
    name: str


def queue_choices(user: User) -> tuple[list[Choice], list[Choice]]:
    """The filters' options in one statement (UNION ALL): the cohorts this person grades, by
    name, and the assessed modules of their courses, in course order."""
    graded = graded_cohort_ids(user)
    cohorts = sa.select(
        sa.literal("cohort").label("kind"),
        Cohort.id.label("id"),
        Cohort.name.label("name"),
        sa.cast(sa.null(), sa.Integer).label("course_id"),
        sa.cast(sa.null(), sa.Integer).label("position"),
    ).where(Cohort.id.in_(graded))
    modules = sa.select(
        sa.literal("module"), Module.id, Module.title, Module.course_id, Module.position
    ).where(
        Module.course_id.in_(sa.select(Cohort.course_id).where(Cohort.id.in_(graded))),
        Module.key_activity_id.is_not(None),
        Module.retired_at.is_(None),
    )
    rows = db.session.execute(
        sa.union_all(cohorts, modules).order_by(
            sa.literal_column("kind"),
            sa.literal_column("course_id"),
            sa.literal_column("position"),
            sa.literal_column("name"),
        )
    ).all()
    return (
        [Choice(row.id, row.name) for row in rows if row.kind == "cohort"],
        [Choice(row.id, row.name) for row in rows if row.kind == "module"],
    )


def agreement_by_marker() -> list[tuple[User, int, int]]:
    """Per first marker: second-marked submissions, and how many the second marker agreed with."""
    first = orm.aliased(Grade)
    second = orm.aliased(Grade)
    rows = db.session.execute(
        sa.select(
            first.grader_id,
            sa.func.count(),
            sa.func.sum(
                sa.case(
                    (
                        sa.and_(
                            first.passed == second.passed,
                            sa.func.abs(first.score - second.score) <= 10,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .join(
            second,
            sa.and_(
                second.submission_id == first.submission_id,
                second.kind == GradeKind.SECOND,
                second.completed_at.is_not(None),
            ),
        )
        .where(first.kind == GradeKind.FIRST, first.completed_at.is_not(None))
        .group_by(first.grader_id)
    ).all()
    users = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_([r[0] for r in rows if r[0] is not None]))
        )
    }
    return [(users[r[0]], int(r[1]), int(r[2] or 0)) for r in rows if r[0] in users]


def review_stages(submission_ids: list[int]) -> dict[int, str]:
    """For submissions in review: "second marking" or "moderation" when the first marker is done."""
    rows = db.session.execute(
        sa.select(Grade.submission_id, Grade.kind).where(
            Grade.submission_id.in_(submission_ids), Grade.completed_at.is_not(None)
        )
    ).all()
    done: dict[int, set[GradeKind]] = {}
    for submission_id, kind in rows:
        done.setdefault(submission_id, set()).add(kind)
    stages = {}
    for submission_id, kinds in done.items():
        if GradeKind.SECOND in kinds:
            stages[submission_id] = "moderation"
        elif GradeKind.FIRST in kinds:
            stages[submission_id] = "second marking"
    return stages
