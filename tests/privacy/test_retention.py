"""Retention removes exactly what is due: attachments and drafts of cohorts that ended long
enough ago, and expired links; nothing else."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.accounts.models import AccountToken, TokenPurpose
from lms.assessments import services as assessments
from lms.assessments import uploads
from lms.assessments.models import Attachment, Submission, SubmissionState
from lms.audit.models import AuditEvent
from lms.cohorts.models import Cohort, MemberRole
from lms.courses.models import Course
from lms.db import db, utcnow
from lms.privacy import jobs
from lms.scheduler.registry import jobs as registry
from tests.factories import trainee
from tests.grading.conftest import COACH, PDF, add_cohort, member


def _work(app, cohort: Cohort, module, *, hand_in: bool) -> Submission:  # type: ignore[no-untyped-def]
    person = trainee()
    member(cohort, person, MemberRole.TRAINEE)
    with app.test_request_context():
        submission = assessments.save_draft(person, module, "An answer.", expected_version=None)
        assessments.add_attachment(person, submission, io.BytesIO(PDF), "plan.pdf")
        if hand_in:
            assessments.submit(person, submission, expected_version=submission.version)
        db.session.flush()
    return submission


def _end(cohort: Cohort, days_ago: int) -> None:
    cohort.ends_on = dt.date.today() - dt.timedelta(days=days_ago)
    cohort.starts_on = cohort.ends_on - dt.timedelta(days=30)
    db.session.flush()


@pytest.fixture
def world(app, app_ctx, shipped_courses, monkeypatch):  # type: ignore[no-untyped-def]
    course = db.session.scalar(sa.select(Course).filter_by(slug=COACH))
    module = next(m for m in course.modules if m.slug == "strategic-partnership")
    old, recent, running = (add_cohort(course, name) for name in ("Old", "Recent", "Running"))
    made = {
        "old_draft": _work(app, old, module, hand_in=False),
        "old_handed_in": _work(app, old, module, hand_in=True),
        "recent_draft": _work(app, recent, module, hand_in=False),
        "running_draft": _work(app, running, module, hand_in=False),
    }
    # Work is created while a cohort runs; the cohorts end afterwards.
    _end(old, 366)
    _end(recent, 364)
    deleted: list[str] = []
    monkeypatch.setattr(uploads, "delete_after_commit", deleted.append)
    person = trainee()
    now = utcnow()
    tokens = {}
    for label, ttl in (("expired", -1), ("valid", 24)):
        accounts.issue_token(person, TokenPurpose.INVITATION, dt.timedelta(hours=ttl))
        db.session.flush()
        tokens[label] = db.session.scalars(
            sa.select(AccountToken.id).order_by(AccountToken.id.desc())
        ).first()
    return made, tokens, deleted, now


def test_retention_deletes_exactly_what_is_due(app, world):
    made, tokens, deleted, now = world
    due_files = [a.stored_name for a in made["old_draft"].attachments] + [
        a.stored_name for a in made["old_handed_in"].attachments
    ]
    ids = {key: submission.id for key, submission in made.items()}
    summary = jobs.retention(now)
    assert summary == "2 attachments, 1 drafts, 1 expired links deleted"
    assert sorted(deleted) == sorted(due_files)
    remaining = set(db.session.scalars(sa.select(Submission.id)))
    assert ids["old_draft"] not in remaining
    assert {ids["old_handed_in"], ids["recent_draft"], ids["running_draft"]} <= remaining
    handed_in = db.session.get(Submission, ids["old_handed_in"])
    assert handed_in.state == SubmissionState.SUBMITTED
    assert handed_in.answer == "An answer."
    attachments_left = set(db.session.scalars(sa.select(Attachment.submission_id)))
    assert attachments_left >= {ids["recent_draft"], ids["running_draft"]}
    assert ids["old_handed_in"] not in attachments_left
    left = set(db.session.scalars(sa.select(AccountToken.id)))
    assert tokens["valid"] in left
    assert tokens["expired"] not in left
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "privacy.retention")
    ).one()
    assert event.data["drafts"] == [ids["old_draft"]]
    assert len(event.data["attachments"]) == 2
    assert event.data["account_tokens"] == [tokens["expired"]]


def test_the_period_is_a_setting(app, world):
    made, _tokens, deleted, now = world
    app.config["RETENTION_DAYS_AFTER_COHORT"] = 363
    try:
        jobs.retention(now)
    finally:
        app.config["RETENTION_DAYS_AFTER_COHORT"] = 365
    assert len(deleted) == 3  # the recent cohort (ended 364 days ago) is now due too
    assert db.session.get(Submission, made["running_draft"].id) is not None


def test_a_second_run_deletes_nothing_more_and_records_nothing(app, world):
    _made, _tokens, deleted, now = world
    jobs.retention(now)
    count = len(deleted)
    assert jobs.retention(now) == "0 attachments, 0 drafts, 0 expired links deleted"
    assert len(deleted) == count
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "privacy.retention")
        )
        == 1
    )


def test_the_job_is_registered():
    assert registry()["privacy-retention"].function is jobs.retention
