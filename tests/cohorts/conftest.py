"""A minimal course to run cohorts of: a profile with two key activities, an introductory
module, two assessed modules and one retired assessed module."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.cohorts.models import Cohort, LatePolicy
from lms.courses.models import Course, JobProfile, KeyActivity, Module
from lms.db import db, utcnow


@pytest.fixture
def cohort_course(db_session) -> Course:
    profile = JobProfile(
        slug="cohort-test-profile",
        title="Cohort test profile",
        mission="Coach companies into cooperation.",
        priority_weights={"I": 4, "II": 3, "III": 2, "IV": 1},
    )
    activities = [
        KeyActivity(code=f"KA{n}", position=n, title=f"Activity {n}", description="…", priority="I")
        for n in (1, 2, 3)
    ]
    profile.key_activities = activities
    course = Course(
        slug="cohort-test-course",
        title="Cooperation Coach (cohort tests)",
        summary="A course for the cohort tests.",
        profile=profile,
        language="en",
        min_level_by_priority={"I": 2, "II": 2},
    )
    db.session.add_all([profile, course])
    db.session.flush()
    db.session.add_all(
        [
            Module(course_id=course.id, slug="intro", position=0, title="Introduction"),
            Module(
                course_id=course.id,
                slug="opportunity",
                position=1,
                title="Spot the opportunity",
                key_activity_id=activities[0].id,
            ),
            Module(
                course_id=course.id,
                slug="partners",
                position=2,
                title="Find the partners",
                key_activity_id=activities[1].id,
            ),
            Module(
                course_id=course.id,
                slug="old",
                position=3,
                title="Retired module",
                key_activity_id=activities[2].id,
                retired_at=utcnow(),
            ),
        ]
    )
    db.session.flush()
    return course


@pytest.fixture
def cohort_modules(cohort_course: Course) -> dict[str, Module]:
    """The course's modules by slug (retired ones included)."""
    rows = db.session.query(Module).filter_by(course_id=cohort_course.id).all()
    return {module.slug: module for module in rows}


@pytest.fixture
def course_cohort(cohort_course: Course) -> Cohort:
    cohort = Cohort(
        course=cohort_course,
        name="Spring 2030",
        starts_on=dt.date(2030, 3, 1),
        ends_on=dt.date(2030, 6, 30),
        late_policy=LatePolicy.ACCEPT_MARKED,
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort
