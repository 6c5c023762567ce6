"""Scheduled job of cohorts: deadline reminders to trainees who have not submitted."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import ngettext

from lms.accounts.models import User
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import CohortDeadline, CohortMember, MemberRole
from lms.db import db
from lms.i18n import DEFAULT_TIMEZONE
from lms.messages import Message
from lms.notifications import services as notifications

#: Days before a deadline at which trainees are reminded, largest first.
REMINDER_DAYS = (7, 1)
#: States that mean "handed in" for this reminder.
HANDED_IN = (
    SubmissionState.SUBMITTED,
    SubmissionState.IN_REVIEW,
    SubmissionState.PASSED,
    SubmissionState.FAILED,
)


def deadline_threshold(due_at: dt.datetime, now: dt.datetime) -> int | None:
    """The smallest reminder threshold (days) reached at `now`, or None."""
    left = due_at - now
    if left <= dt.timedelta(0):
        return None
    reached = [days for days in REMINDER_DAYS if left <= dt.timedelta(days=days)]
    return min(reached) if reached else None


def deadline_reminders(now: dt.datetime) -> str:
    """Remind trainees who have not handed in, 7 days and 1 day before each deadline, once."""
    deadlines = db.session.scalars(
        sa.select(CohortDeadline)
        .where(
            CohortDeadline.due_at > now,
            CohortDeadline.due_at <= now + dt.timedelta(days=max(REMINDER_DAYS)),
        )
        .order_by(CohortDeadline.due_at)
    )
    sent = 0
    for deadline in deadlines:
        days = deadline_threshold(deadline.due_at, now)
        if days is None:
            continue
        for user_id in _not_handed_in(deadline):
            if not notifications.wants(user_id, notifications.Category.REMINDERS):
                continue
            subject = f"cohort:{deadline.cohort_id}:module:{deadline.module_id}"
            if not notifications.claim("deadline_reminder", user_id, subject, f"{days}d"):
                continue
            module = deadline.module
            reader = db.session.get(User, user_id)
            zone = reader.timezone if reader is not None and reader.timezone else DEFAULT_TIMEZONE
            notifications.notify(
                user_id,
                "deadline_reminder",
                Message.of("notification.deadline_reminder", title=module.title, days=days),
                body=Message.of(
                    "notification.deadline_reminder.body", date=deadline.due_at, zone=zone
                ),
                link=f"/courses/{module.course.slug}/modules/{module.slug}/case-study",
            )
            sent += 1
    db.session.flush()
    return ngettext("%(n)d reminder sent", "%(n)d reminders sent", sent, n=sent)


def _not_handed_in(deadline: CohortDeadline) -> list[int]:
    handed_in = sa.select(Submission.user_id).where(
        Submission.cohort_id == deadline.cohort_id,
        Submission.module_id == deadline.module_id,
        Submission.state.in_(HANDED_IN),
    )
    return list(
        db.session.scalars(
            sa.select(CohortMember.user_id)
            .where(
                CohortMember.cohort_id == deadline.cohort_id,
                CohortMember.role == MemberRole.TRAINEE,
                CohortMember.user_id.not_in(handed_in),
            )
            .order_by(CohortMember.user_id)
        )
    )
