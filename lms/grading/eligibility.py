"""The accreditation rule (SPEC §2): every module's case study passed and every required
lesson completed. When it becomes true, `trainee_became_eligible` is sent with the level
reached in each key activity; the certificates feature does the rest."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from lms.assessments.models import Submission, SubmissionState
from lms.courses.models import Course, Lesson, LessonCompletion, Module
from lms.db import db
from lms.grading import rules
from lms.signals import grade_released, lesson_completed, trainee_became_eligible


def key_activity_results(user_id: int, course: Course) -> list[dict[str, Any]] | None:
    """Per key activity, the level reached in the passed attempt; None if not eligible."""
    modules = [m for m in course.modules if m.key_activity_id is not None]
    passed = {
        row.module_id: row
        for row in db.session.scalars(
            sa.select(Submission).where(
                Submission.user_id == user_id,
                Submission.state == SubmissionState.PASSED,
                Submission.module_id.in_([m.id for m in modules]),
            )
        )
    }
    if len(passed) < len(modules) or not _lessons_done(user_id, course):
        return None
    from lms.grading.services import released_grade  # a sibling module; avoids a cycle

    results: list[dict[str, Any]] = []
    for module in modules:
        submission = passed[module.id]
        grade = released_grade(submission)
        if grade is None:
            return None
        criteria = rules.criteria_of(submission.content_version.snapshot, module.slug)
        levels = rules.key_activity_levels(criteria, grade.levels)
        activity = module.key_activity
        if activity is None:  # filtered above; keeps type checkers informed
            continue
        results.append(
            {
                "code": activity.code,
                "title": activity.title,
                "priority": activity.priority,
                "level": levels.get(activity.code, 0),
                "score": str(grade.score),
                "module": module.title,
                "submission_id": submission.id,
            }
        )
    return results


def _lessons_done(user_id: int, course: Course) -> bool:
    missing = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Lesson)
        .join(Module)
        .where(
            Lesson.course_id == course.id,
            Lesson.required.is_(True),
            Lesson.retired_at.is_(None),
            Module.retired_at.is_(None),
            ~sa.exists().where(
                LessonCompletion.lesson_id == Lesson.id, LessonCompletion.user_id == user_id
            ),
        )
    )
    return missing == 0


def recheck(user_id: int, course_id: int) -> bool:
    """Announce eligibility if the rule now holds; return whether it does."""
    course = db.session.get(Course, course_id)
    if course is None:
        return False
    results = key_activity_results(user_id, course)
    if results is None:
        return False
    trainee_became_eligible.send(
        current_app._get_current_object(),
        user_id=user_id,
        course_id=course_id,
        content_version_id=course.current_version_id,
        results=results,
    )
    return True


def connect(app: Flask) -> None:
    """Recheck eligibility whenever a grade is released or a lesson completed."""

    def on_grade(sender: Flask, **data: Any) -> None:
        if data.get("passed"):
            recheck(int(data["user_id"]), int(data["course_id"]))

    def on_lesson(sender: Flask, **data: Any) -> None:
        recheck(int(data["user_id"]), int(data["course_id"]))

    grade_released.connect(on_grade, sender=app, weak=False)
    lesson_completed.connect(on_lesson, sender=app, weak=False)
