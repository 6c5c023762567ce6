"""Reads about courses and a person's progress in them (aggregates in SQL, no N+1)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import orm

from lms.accounts.models import User
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.courses.models import (
    CaseStudy,
    Course,
    Lesson,
    LessonCompletion,
    Module,
    RubricCriterion,
    ToolboxItem,
)
from lms.db import db


def visible_course_ids(user: User) -> sa.Select[tuple[int]]:
    """Courses a person may open: those of their cohorts, or all of them for an admin."""
    if user.is_admin:
        return sa.select(Course.id)
    return (
        sa.select(Cohort.course_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user.id)
    )


def my_courses(user: User) -> list[Course]:
    return list(
        db.session.scalars(
            sa.select(Course)
            .where(Course.id.in_(visible_course_ids(user)))
            .order_by(Course.title)
            .options(orm.selectinload(Course.profile))
        )
    )


def course_for(user: User, slug: str) -> Course | None:
    """The course with this slug if `user` may see it (None otherwise: the caller 404s)."""
    return db.session.scalar(
        sa.select(Course).where(Course.slug == slug, Course.id.in_(visible_course_ids(user)))
    )


def has_role_in_course(user: User, course: Course, role: MemberRole) -> bool:
    """Whether the person is a member of any cohort of the course in this role."""
    return (
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    CohortMember.cohort_id == Cohort.id,
                    CohortMember.user_id == user.id,
                    CohortMember.role == role,
                    Cohort.course_id == course.id,
                )
            )
        )
        is True
    )


def is_trainee_of(user: User, course: Course) -> bool:
    return has_role_in_course(user, course, MemberRole.TRAINEE)


def is_trainer_of(user: User, course: Course) -> bool:
    return has_role_in_course(user, course, MemberRole.TRAINER)


def course_modules(course: Course) -> list[Module]:
    """Modules in order with their lessons, toolbox, case study and criteria loaded."""
    return list(
        db.session.scalars(
            sa.select(Module)
            .where(Module.course_id == course.id, Module.retired_at.is_(None))
            .order_by(Module.position)
            .options(
                orm.selectinload(Module.lessons),
                orm.selectinload(Module.key_activity),
                orm.selectinload(Module.toolbox_items),
                orm.selectinload(Module.case_study)
                .selectinload(CaseStudy.criteria)
                .selectinload(RubricCriterion.key_activity),
            )
        )
    )


@dataclass
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


def completed_lesson_ids(user: User, course: Course) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(LessonCompletion.lesson_id)
            .join(Lesson)
            .where(LessonCompletion.user_id == user.id, Lesson.course_id == course.id)
        )
    )


def module_progress(modules: list[Module], done: set[int]) -> dict[int, Progress]:
    """Required lessons done per module (optional lessons do not count)."""
    return {
        module.id: Progress(
            done=sum(1 for lesson in module.lessons if lesson.required and lesson.id in done),
            total=sum(1 for lesson in module.lessons if lesson.required),
        )
        for module in modules
    }


def course_progress(per_module: dict[int, Progress]) -> Progress:
    return Progress(
        done=sum(p.done for p in per_module.values()),
        total=sum(p.total for p in per_module.values()),
    )


def continue_lesson(
    modules: list[Module], done: set[int], last_completed: int | None
) -> Lesson | None:
    """Where to pick up: the first unfinished lesson after the last one completed."""
    ordered = [lesson for module in modules for lesson in module.lessons]
    start = 0
    if last_completed is not None:
        start = next((i + 1 for i, lesson in enumerate(ordered) if lesson.id == last_completed), 0)
    for lesson in ordered[start:] + ordered[:start]:
        if lesson.id not in done:
            return lesson
    return None


def last_completed_lesson_id(user: User, course: Course) -> int | None:
    return db.session.scalar(
        sa.select(LessonCompletion.lesson_id)
        .join(Lesson)
        .where(LessonCompletion.user_id == user.id, Lesson.course_id == course.id)
        .order_by(LessonCompletion.completed_at.desc())
        .limit(1)
    )


def course_progress_for_many(user: User, courses: list[Course]) -> dict[int, Progress]:
    """Required lessons read and to read in each of several courses, counted by one
    statement."""
    ids = [course.id for course in courses]
    rows = db.session.execute(
        sa.select(Lesson.course_id, sa.func.count(), sa.func.count(LessonCompletion.lesson_id))
        .join(Module)
        .outerjoin(
            LessonCompletion,
            sa.and_(LessonCompletion.lesson_id == Lesson.id, LessonCompletion.user_id == user.id),
        )
        .where(
            Lesson.course_id.in_(ids),
            Lesson.required.is_(True),
            Lesson.retired_at.is_(None),
            Module.retired_at.is_(None),
        )
        .group_by(Lesson.course_id)
    ).all()
    counts = {course_id: (int(total), int(done)) for course_id, total, done in rows}
    return {
        cid: Progress(done=done, total=total)
        for cid, (total, done) in ((cid, counts.get(cid, (0, 0))) for cid in ids)
    }


def lesson_in(course: Course, slug: str) -> Lesson | None:
    return db.session.scalar(
        sa.select(Lesson)
        .join(Module)
        .where(
            Lesson.course_id == course.id,
            Lesson.slug == slug,
            Lesson.retired_at.is_(None),
            Module.retired_at.is_(None),
        )
    )


def toolbox_in(course: Course, slug: str | None = None) -> list[ToolboxItem]:
    query = (
        sa.select(ToolboxItem)
        .join(Module)
        .where(
            ToolboxItem.course_id == course.id,
            ToolboxItem.retired_at.is_(None),
            Module.retired_at.is_(None),
        )
        .order_by(Module.position, ToolboxItem.title)
        .options(orm.contains_eager(ToolboxItem.module))
    )
    if slug is not None:
        query = query.where(ToolboxItem.slug == slug)
    return list(db.session.scalars(query))


def trainees_progress(
    course: Course, cohort_ids: list[int]
) -> list[tuple[User, int, dict[int, int]]]:
    """For trainers: each trainee of these cohorts, their cohort, and lessons done per module."""
    members = db.session.execute(
        sa.select(User, CohortMember.cohort_id)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id.in_(cohort_ids), CohortMember.role == MemberRole.TRAINEE)
        .order_by(User.name)
    ).all()
    counts = db.session.execute(
        sa.select(LessonCompletion.user_id, Lesson.module_id, sa.func.count())
        .join(Lesson)
        .where(
            Lesson.course_id == course.id,
            Lesson.required.is_(True),
            Lesson.retired_at.is_(None),
            LessonCompletion.user_id.in_([u.id for u, _c in members]),
        )
        .group_by(LessonCompletion.user_id, Lesson.module_id)
    ).all()
    per_user: dict[int, dict[int, int]] = {}
    for user_id, module_id, count in counts:
        per_user.setdefault(user_id, {})[module_id] = int(count)
    return [(user, cohort_id, per_user.get(user.id, {})) for user, cohort_id in members]


def cohorts_of_course(user: User, course: Course) -> list[Cohort]:
    """Cohorts of the course this person trains (all of them for an admin)."""
    query = sa.select(Cohort).where(Cohort.course_id == course.id).order_by(Cohort.starts_on.desc())
    if not user.is_admin:
        query = query.where(
            Cohort.id.in_(
                sa.select(CohortMember.cohort_id).where(
                    CohortMember.user_id == user.id, CohortMember.role == MemberRole.TRAINER
                )
            )
        )
    return list(db.session.scalars(query))
