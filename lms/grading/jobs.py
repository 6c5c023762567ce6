"""Scheduled job of grading: the backlog of submissions waiting for a grader."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.accounts.models import Role, User, UserRole
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db
from lms.messages import Message
from lms.notifications import services as notifications

#: States in which a submission waits for its grade.
WAITING = (SubmissionState.SUBMITTED, SubmissionState.IN_REVIEW)


def waiting_longer_than(now: dt.datetime, days: int) -> list[Submission]:
    """Submissions waiting for a grade since more than `days` days, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Submission)
            .where(
                Submission.state.in_(WAITING),
                Submission.submitted_at <= now - dt.timedelta(days=days),
            )
            .order_by(Submission.submitted_at, Submission.id)
        )
    )


def grading_backlog(now: dt.datetime) -> str:
    """Tell a cohort's trainers about submissions waiting longer than BACKLOG_DAYS, and admins
    about those waiting twice as long; each person hears of each submission once per level."""
    days = int(current_app.config["BACKLOG_DAYS"])
    recipients: dict[int, list[Submission]] = defaultdict(list)
    for submission in waiting_longer_than(now, days):
        trainers = db.session.scalars(
            sa.select(CohortMember.user_id).where(
                CohortMember.cohort_id == submission.cohort_id,
                CohortMember.role == MemberRole.TRAINER,
            )
        )
        for user_id in trainers:
            if _claim(user_id, submission, f"trainer:{days}d"):
                recipients[user_id].append(submission)
    admins = list(
        db.session.scalars(
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN, User.active.is_(True))
        )
    )
    for submission in waiting_longer_than(now, 2 * days):
        for user_id in admins:
            if _claim(user_id, submission, f"admin:{2 * days}d"):
                recipients[user_id].append(submission)
    for user_id, rows in recipients.items():
        notifications.notify(
            user_id,
            "grading_backlog",
            Message.of("notification.grading_backlog", n=len(rows)),
            body=[
                Message.of(
                    "notification.grading_backlog.line",
                    module=row.module.title,
                    attempt=row.attempt,
                    date=row.submitted_at.date(),  # type: ignore[union-attr]
                )
                for row in rows
            ],
            link="/grading/",
        )
    db.session.flush()
    return _("%(n)d people told", n=len(recipients))


def _claim(user_id: int, submission: Submission, threshold: str) -> bool:
    if not notifications.wants(user_id, notifications.Category.REMINDERS):
        return False
    return notifications.claim("grading_backlog", user_id, f"submission:{submission.id}", threshold)
