"""Reads about cohorts shared by several views."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm

from lms.accounts.models import User
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.courses.models import Course, Module
from lms.db import db


class CohortRow(NamedTuple):
    cohort: Cohort
    course_title: str
    trainees: int
    trainers: int


def cohorts_with_counts(course_id: int | None = None) -> list[CohortRow]:
    """Every cohort (of one course, if given), newest first, with its course title and the
    number of its trainees and trainers, in one query."""
    counts = (
        sa.select(
            CohortMember.cohort_id,
            sa.func.sum(sa.case((CohortMember.role == MemberRole.TRAINEE, 1), else_=0)).label(
                "trainees"
            ),
            sa.func.sum(sa.case((CohortMember.role == MemberRole.TRAINER, 1), else_=0)).label(
                "trainers"
            ),
        )
        .group_by(CohortMember.cohort_id)
        .subquery()
    )
    query = (
        sa.select(
            Cohort,
            Course.title,
            sa.func.coalesce(counts.c.trainees, 0),
            sa.func.coalesce(counts.c.trainers, 0),
        )
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    )
    if course_id is not None:
        query = query.where(Cohort.course_id == course_id)
    return [
        CohortRow(cohort, title, int(trainees), int(trainers))
        for cohort, title, trainees, trainers in db.session.execute(query)
    ]


def members(cohort: Cohort) -> list[CohortMember]:
    """The cohort's members with their accounts loaded: trainers first, then by name."""
    return list(
        db.session.scalars(
            sa.select(CohortMember)
            .join(User, User.id == CohortMember.user_id)
            .where(CohortMember.cohort_id == cohort.id)
            .options(orm.contains_eager(CohortMember.user))
            .order_by(
                sa.case((CohortMember.role == MemberRole.TRAINER, 0), else_=1),
                User.name,
                User.id,
            )
        )
    )


def cohorts_of(user: User, role: MemberRole | None = None) -> list[Cohort]:
    """The cohorts `user` belongs to (in `role`, if given), newest first, courses loaded."""
    memberships = sa.select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)
    if role is not None:
        memberships = memberships.where(CohortMember.role == role)
    query = (
        sa.select(Cohort)
        .where(Cohort.id.in_(memberships))
        .options(orm.joinedload(Cohort.course))
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    )
    return list(db.session.scalars(query))


def assessed_modules(course: Course) -> list[Module]:
    """The course's current modules that carry an assessment, in process order."""
    return list(
        db.session.scalars(
            sa.select(Module)
            .where(
                Module.course_id == course.id,
                Module.key_activity_id.is_not(None),
                Module.retired_at.is_(None),
            )
            .options(orm.joinedload(Module.key_activity))
            .order_by(Module.position)
        )
    )


def courses() -> list[Course]:
    return list(db.session.scalars(sa.select(Course).order_by(Course.title, Course.id)))
