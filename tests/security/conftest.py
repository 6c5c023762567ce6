"""Shares the grading set-up (a course, a cohort, its trainers and trainees), and a trainee
committed for real for tests that need real transactions (faults, several processes)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from lms.cohorts.models import MemberRole
from lms.courses.models import Course
from lms.db import db
from tests.factories import trainee
from tests.grading.conftest import (
    COACH,
    add_cohort,
    member,
    setup,  # noqa: F401  (a fixture)
)


@dataclass
class Person:
    email: str
    user_id: int
    module_id: int


@pytest.fixture
def person(committed: Flask) -> Person:
    """A trainee enrolled in a cohort, committed for real (emptied again by `committed`)."""
    with committed.app_context():
        course = db.session.scalar(sa.select(Course).filter_by(slug=COACH))
        module = next(m for m in course.modules if m.slug == "strategic-partnership")
        cohort = add_cohort(course, "Committed cohort")
        user = trainee(name="Olive Committed")
        member(cohort, user, MemberRole.TRAINEE)
        db.session.commit()
        return Person(user.email, user.id, module.id)
