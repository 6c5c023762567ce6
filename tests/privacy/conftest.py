"""A person with a record in every table that refers to people, and helpers to look for them."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from lms.accounts import services as accounts
from lms.accounts.models import TokenPurpose, User
from lms.api import services as api
from lms.api.models import Scope
from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, MemberRole
from lms.courses.models import Course, LessonCompletion, Module
from lms.db import db
from lms.grading.models import CommentSnippet, Grade, GradeKind
from lms.notifications import services as notifications
from lms.privacy import services as privacy
from lms.privacy.models import CertificateChoice, ErasureRequest
from tests.certificates.conftest import issue
from tests.factories import admin, trainee, trainer
from tests.grading.conftest import COACH, PDF, add_cohort, member

NAME = "Zebulon Quartermaine"
OLD_EMAIL = "zeb.q.old@example.org"
EMAIL = "zebulon.quartermaine@example.org"
#: An address the person asked to move to, never confirmed.
PENDING_EMAIL = "zeb.next@example.org"
OTHER_PDF = PDF + b"% another trainee\n"


@dataclass
class People:
    course: Course
    cohort: Cohort
    module: Module
    person: User
    other: User
    trainer: User
    admin: User
    submission_id: int
    other_submission_id: int
    stored_names: list[str]
    other_stored_names: list[str]
    certificate_id: str


def _submit(app: Flask, user: User, module: Module, answer: str, data: bytes) -> Submission:
    with app.test_request_context():
        submission = assessments.save_draft(user, module, answer, expected_version=None)
        assessments.add_attachment(user, submission, io.BytesIO(data), "plan.pdf")
        assessments.submit(user, submission, expected_version=submission.version)
        db.session.flush()
    return submission


def populate(app: Flask, choice: CertificateChoice = CertificateChoice.REVOKE) -> People:
    """Inside an application context: a person with data in every table that refers to
    people (also a former e-mail address and a requested one, and other people's records
    that mention them)."""
    course = db.session.scalar(sa.select(Course).filter_by(slug=COACH))
    module = next(m for m in course.modules if m.slug == "strategic-partnership")
    cohort = add_cohort(course, "Privacy cohort")
    person = trainee(name=NAME, email=OLD_EMAIL)
    other = trainee(name="Olivia Other")
    coach = trainer(name="Trudi Trainer")
    boss = admin(name="Ada Admin")
    for user, role in ((person, MemberRole.TRAINEE), (other, MemberRole.TRAINEE)):
        member(cohort, user, role)
    member(cohort, coach, MemberRole.TRAINER)
    with app.test_request_context():
        accounts.change_email(person, EMAIL)  # audit entry and a mail to the old address
        accounts.request_email_change(person, PENDING_EMAIL)  # a link, a mail, an audit entry
        accounts.start_session(person, "Firefox on the test bench")
        accounts.issue_token(person, TokenPurpose.PASSWORD_RESET, dt.timedelta(hours=1))
        api.create_token(person, "HR portal", Scope.HOLDER)
        notifications.notify(person.id, "grade_released", "Your grade is out", link="/")
        notifications.notify(coach.id, "submitted", f"{NAME} handed in a case study")
        notifications.set_preferences(person, reminders=False, digests=True)
        notifications.claim("deadline_reminder", person.id, "cohort:1:module:1", "1d")
    db.session.add(LessonCompletion(user_id=person.id, lesson_id=module.lessons[0].id))
    db.session.add(CommentSnippet(trainer_id=person.id, title="Mine", text="A note of mine"))
    submission = _submit(app, person, module, f"Answer by {NAME}.", PDF)
    other_submission = _submit(app, other, module, "Someone else's answer.", OTHER_PDF)
    db.session.add(
        Grade(
            submission_id=submission.id,
            kind=GradeKind.FIRST,
            grader_id=coach.id,
            levels={},
            feedback={"A": f"Well done, {NAME}."},
            overall_feedback=f"Dear {NAME}, a clear answer.",
        )
    )
    db.session.add(
        Grade(
            submission_id=other_submission.id,
            kind=GradeKind.FIRST,
            grader_id=coach.id,
            levels={},
            feedback={},
            overall_feedback="Fine.",
        )
    )
    db.session.add(  # the person also marked someone's work (as a second marker)
        Grade(
            submission_id=other_submission.id,
            kind=GradeKind.SECOND,
            grader_id=person.id,
            levels={},
            feedback={},
            overall_feedback="Agreed.",
        )
    )
    if "recovery_codes" in db.metadata.tables:
        table = db.metadata.tables["recovery_codes"]
        db.session.execute(sa.insert(table).values(user_id=person.id, code_hash="c" * 64))
    with app.test_request_context():
        certificate = issue(person)
        privacy.request_erasure(person, choice)
    db.session.flush()
    return People(
        course=course,
        cohort=cohort,
        module=module,
        person=person,
        other=other,
        trainer=coach,
        admin=boss,
        submission_id=submission.id,
        other_submission_id=other_submission.id,
        stored_names=[a.stored_name for a in submission.attachments],
        other_stored_names=[a.stored_name for a in other_submission.attachments],
        certificate_id=certificate.public_id,
    )


@pytest.fixture
def people(app: Flask, db_session, shipped_courses) -> People:  # type: ignore[no-untyped-def]
    with app.app_context():
        made = populate(app)
        db.session.commit()
        return made


def erasure_request(user_id: int) -> ErasureRequest:
    return db.session.scalars(
        sa.select(ErasureRequest).where(ErasureRequest.subject_ref == user_id)
    ).one()


def mentions(*needles: str) -> list[tuple[str, str]]:
    """(table, column) of every text or JSON value in the database that contains a needle."""
    lowered = [n.lower() for n in needles if n]
    found = []
    for table in db.metadata.sorted_tables:
        textual = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not textual:
            continue
        for row in db.session.execute(sa.select(*textual)).mappings():
            for name, value in row.items():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if value is not None and any(n in text.lower() for n in lowered):
                    found.append((table.name, name))
    return sorted(set(found))


def certificate(public_id: str) -> Certificate:
    return db.session.scalars(sa.select(Certificate).filter_by(public_id=public_id)).one()
