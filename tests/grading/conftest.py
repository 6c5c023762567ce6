"""A course with a cohort, its trainers and trainees, and helpers to submit and grade."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember, LatePolicy, MemberRole
from lms.courses.models import Course, Module
from lms.db import db
from tests.factories import admin, trainee, trainer

COACH = "accredited-cooperation-coach"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Setup:
    course: Course
    cohort: Cohort
    module: Module
    trainee: User
    other_trainee: User
    trainer: User
    second_trainer: User
    lead: User
    outsider_trainer: User
    admin: User
    codes: list[str]


def add_cohort(course: Course, name: str, **kwargs: object) -> Cohort:
    today = dt.date.today()
    cohort = Cohort(
        course_id=course.id,
        name=name,
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=100),
        **kwargs,
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


def member(cohort: Cohort, user: User, role: MemberRole, lead: bool = False) -> None:
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=role, lead=lead))
    db.session.flush()


@pytest.fixture
def setup(app, db_session, shipped_courses) -> Setup:  # type: ignore[no-untyped-def]
    course = db.session.scalar(sa.select(Course).filter_by(slug=COACH))
    cohort = add_cohort(course, "Grading cohort")
    module = next(m for m in course.modules if m.slug == "strategic-partnership")
    people = Setup(
        course=course,
        cohort=cohort,
        module=module,
        trainee=trainee(name="Tina Trainee"),
        other_trainee=trainee(name="Otto Other"),
        trainer=trainer(name="Trudi Trainer"),
        second_trainer=trainer(name="Sam Second"),
        lead=trainer(name="Lea Lead"),
        outsider_trainer=trainer(name="Olga Outsider"),
        admin=admin(name="Ada Admin"),
        codes=[c.code for c in module.case_study.criteria],
    )
    member(cohort, people.trainee, MemberRole.TRAINEE)
    member(cohort, people.other_trainee, MemberRole.TRAINEE)
    member(cohort, people.trainer, MemberRole.TRAINER)
    member(cohort, people.second_trainer, MemberRole.TRAINER)
    member(cohort, people.lead, MemberRole.TRAINER, lead=True)
    other = add_cohort(course, "Other cohort")
    member(other, people.outsider_trainer, MemberRole.TRAINER)
    return people


def submitted(
    app, setup: Setup, user: User | None = None, answer: str = "My answer.", with_file: bool = False
) -> Submission:  # type: ignore[no-untyped-def]
    """A submitted attempt, made through the services as a trainee would."""
    user = user or setup.trainee
    with app.test_request_context():
        submission = assessments.save_draft(user, setup.module, answer, expected_version=None)
        if with_file:
            assessments.add_attachment(user, submission, io.BytesIO(PDF), "plan.pdf")
        assessments.submit(user, submission, expected_version=submission.version)
        db.session.commit()
    return db.session.get(Submission, submission.id)


def attach(client, module: Module, files: list[tuple[bytes, str]], **kwargs: object):  # type: ignore[no-untyped-def]
    """Post files with the answer form, as the case-study page sends them, keeping the text
    of the open attempt as it is."""
    submission = db.session.scalar(
        sa.select(Submission)
        .filter_by(module_id=module.id)
        .where(Submission.state.in_(["draft", "returned"]))
        .order_by(Submission.id.desc())
        .limit(1)
    )
    data: dict[str, object] = {"files": [(io.BytesIO(content), name) for content, name in files]}
    if submission is not None:
        data.update(
            answer=submission.answer, submission_id=submission.id, version=submission.version
        )
    return client.post(
        f"/assessments/modules/{module.id}/draft",
        data=data,
        content_type="multipart/form-data",
        **kwargs,
    )


def set_deadline(setup: Setup, due: dt.datetime, policy: LatePolicy) -> None:
    db.session.get(Cohort, setup.cohort.id).late_policy = policy
    db.session.add(CohortDeadline(cohort_id=setup.cohort.id, module_id=setup.module.id, due_at=due))
    db.session.flush()


def levels_form(codes: list[str], level: int, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {f"level__{code}": str(level) for code in codes}
    data.update({f"feedback__{code}": f"Feedback on {code}" for code in codes})
    data["overall_feedback"] = "Overall, a clear answer."
    data.update(extra)
    return data
