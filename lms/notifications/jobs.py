"""Scheduled jobs of notifications: mail retries and the weekly digest for admins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.accounts.models import Role, User, UserRole
from lms.assessments.models import Submission, SubmissionState
from lms.certificates.models import Certificate
from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db
from lms.i18n import speaking_to
from lms.notifications import mail
from lms.notifications import services as notifications
from lms.notifications.models import OutboxMessage, OutboxState
from lms.urls import absolute_url

#: How many messages one run of the retry job sends at most.
RETRY_BATCH = 100


def retry_outbox(now: dt.datetime) -> str:
    """Send again the messages that are due for a retry, with a growing delay after each
    failure; after MAX_ATTEMPTS a message is marked failed (and shown to admins)."""
    rows = list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.state == OutboxState.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(RETRY_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    sent = 0
    for row in rows:
        for name, value in mail.attempt(mail.as_mail(row), row.attempts, now).items():
            setattr(row, name, value)
        sent += row.state == OutboxState.SENT
    db.session.flush()
    return _("%(sent)d of %(n)d sent", sent=sent, n=len(rows))


def week_label(now: dt.datetime) -> str:
    year, week, _day = now.isocalendar()
    return f"{year}-W{week:02d}"


def digest_figures(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """What happened between `start` and `end`, for the weekly digest."""

    def count(model: Any, *where: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    passed = count(
        Submission,
        Submission.released_at >= start,
        Submission.released_at < end,
        Submission.state == SubmissionState.PASSED,
    )
    failed = count(
        Submission,
        Submission.released_at >= start,
        Submission.released_at < end,
        Submission.state == SubmissionState.FAILED,
    )
    return {
        "enrolments": count(
            CohortMember,
            CohortMember.role == MemberRole.TRAINEE,
            CohortMember.enrolled_at >= start,
            CohortMember.enrolled_at < end,
        ),
        "submissions": count(
            Submission, Submission.submitted_at >= start, Submission.submitted_at < end
        ),
        "graded": passed + failed,
        "pass_rate": round(100 * passed / (passed + failed)) if passed + failed else None,
        "issued": count(Certificate, Certificate.issued_at >= start, Certificate.issued_at < end),
        "revoked": count(
            Certificate, Certificate.revoked_at >= start, Certificate.revoked_at < end
        ),
        "backlog": count(
            Submission,
            Submission.state.in_((SubmissionState.SUBMITTED, SubmissionState.IN_REVIEW)),
        ),
    }


def weekly_digest(now: dt.datetime) -> str:
    """Send each admin who wants it the digest of the past seven days, once per ISO week."""
    week = week_label(now)
    figures = digest_figures(now - dt.timedelta(days=7), now)
    admins = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
    )
    sent = 0
    for admin in admins:
        if not notifications.wants(admin.id, notifications.Category.DIGESTS):
            continue
        if not notifications.claim("weekly_digest", admin.id, "digest", week):
            continue
        with speaking_to(admin):
            mail.queue_mail(
                admin.email,
                _("Weekly digest, %(week)s", week=week),
                "weekly_digest",
                user=admin,
                week=week,
                figures=figures,
                url=absolute_url("certificates.admin_list"),
            )
        sent += 1
    db.session.flush()
    return ngettext("%(n)d digest sent", "%(n)d digests sent", sent, n=sent)
