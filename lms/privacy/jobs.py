"""Scheduled job of privacy: keep personal data no longer than needed.

* Attachments of every submission, and drafts never handed in, in cohorts that ended more than
  LMS_RETENTION_DAYS_AFTER_COHORT days ago (default 365). Answers handed in, grades and
  feedback stay: they are the record behind a certificate.
* Invitation and password-reset links that expired (used or not).
* Goodbye e-mails to erased accounts, once delivered (or given up on).

What was deleted is logged and recorded in the audit trail (counts and ids, no personal data).
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.accounts.models import AccountToken
from lms.assessments import uploads
from lms.assessments.models import Attachment, Submission, SubmissionState
from lms.audit import services as audit
from lms.cohorts.models import Cohort
from lms.db import db
from lms.notifications.models import OutboxMessage, OutboxState
from lms.privacy.models import ErasureRequest

log = logging.getLogger(__name__)


def retention_days() -> int:
    return int(current_app.config["RETENTION_DAYS_AFTER_COHORT"])


def retention(now: dt.datetime) -> str:
    """Delete what is past its retention period; return a one-line summary."""
    cutoff = (now - dt.timedelta(days=retention_days())).date()
    ended = sa.select(Cohort.id).where(Cohort.ends_on < cutoff)
    attachments = list(
        db.session.execute(
            sa.select(Attachment.id, Attachment.stored_name)
            .join(Submission, Submission.id == Attachment.submission_id)
            .where(Submission.cohort_id.in_(ended))
            .order_by(Attachment.id)
        )
    )
    drafts = list(
        db.session.scalars(
            sa.select(Submission.id)
            .where(Submission.cohort_id.in_(ended), Submission.state == SubmissionState.DRAFT)
            .order_by(Submission.id)
        )
    )
    for row in attachments:
        uploads.delete_after_commit(row.stored_name)
    if attachments:
        db.session.execute(
            sa.delete(Attachment)
            .where(Attachment.id.in_([row.id for row in attachments]))
            .execution_options(synchronize_session=False)
        )
    if drafts:
        db.session.execute(
            sa.delete(Submission)
            .where(Submission.id.in_(drafts))
            .execution_options(synchronize_session=False)
        )
    tokens = list(
        db.session.scalars(
            sa.select(AccountToken.id)
            .where(AccountToken.expires_at < now)
            .order_by(AccountToken.id)
        )
    )
    if tokens:
        db.session.execute(
            sa.delete(AccountToken)
            .where(AccountToken.id.in_(tokens))
            .execution_options(synchronize_session=False)
        )
    farewells = list(
        db.session.scalars(
            sa.select(OutboxMessage.id).where(
                OutboxMessage.id.in_(
                    sa.select(ErasureRequest.farewell_outbox_id).where(
                        ErasureRequest.farewell_outbox_id.is_not(None)
                    )
                ),
                OutboxMessage.state != OutboxState.PENDING,
            )
        )
    )
    if farewells:
        db.session.execute(
            sa.delete(OutboxMessage)
            .where(OutboxMessage.id.in_(farewells))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            sa.update(ErasureRequest)
            .where(ErasureRequest.farewell_outbox_id.in_(farewells))
            .values(farewell_outbox_id=None)
            .execution_options(synchronize_session=False)
        )
    if attachments or drafts or tokens or farewells:
        audit.record(
            "privacy.retention",
            "retention",
            now.date().isoformat(),
            cutoff=cutoff.isoformat(),
            attachments=[row.id for row in attachments],
            drafts=drafts,
            account_tokens=tokens,
            farewell_mails=len(farewells),
        )
        log.info(
            "Retention: deleted %d attachments, %d drafts, %d expired links, %d sent farewells",
            len(attachments),
            len(drafts),
            len(tokens),
            len(farewells),
        )
    db.session.flush()
    return _(
        "%(a)d attachments, %(d)d drafts, %(t)d expired links deleted",
        a=len(attachments),
        d=len(drafts),
        t=len(tokens),
    )
