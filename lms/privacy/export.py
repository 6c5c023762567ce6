"""Everything the system holds about one person, as a ZIP of JSON files and the original uploads.

Each JSON file is named after the table its records come from; `manifest.json` counts the
records per table, so that a reader (and the tests) can see nothing was left out. Secrets that
would let anyone act as the person (password and token hashes) are never exported.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import io
import json
import shutil
import zipfile
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import AccountToken, User, UserRole, UserSession
from lms.api.models import ApiToken
from lms.assessments import uploads
from lms.assessments.models import Attachment, Submission
from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate
from lms.cohorts.models import CohortMember
from lms.courses.models import LessonCompletion
from lms.db import db, utcnow
from lms.grading.models import CommentSnippet, Grade
from lms.notifications.models import (
    Notification,
    NotificationPreference,
    OutboxMessage,
    SentNotification,
)
from lms.privacy.models import ErasureRequest
from lms.privacy.schema import is_secret, user_references

README = """\
This archive holds everything the accreditation system stores about you, as of {at} (UTC).

Each JSON file is named after the place the records come from; manifest.json counts them.
  users.json                  your profile (name, e-mail, organisation, language, time zone)
  user_roles.json             your roles
  user_sessions.json          your logins (browser, times); the login tokens are not included
  account_tokens.json         invitation and password-reset links (when, used); never the links
  api_tokens.json             your API tokens (name, scope, first characters); never the tokens
  cohort_members.json         your enrolments in cohorts (as trainee or trainer)
  lesson_completions.json     the lessons you marked as read (your progress)
  submissions.json            your case-study answers, with their attachments listed
  attachments.json            your attached files; the files themselves are in attachments/
  grades.json                 grades and feedback on your submissions
  grades_given.json           grades you gave as a trainer (submission numbers, no names)
  submissions_claimed.json    submissions you were reviewing as a trainer
  comment_snippets.json       your reusable feedback comments
  certificates.json           your certificates, each with its signed credential (a JWS)
  certificates_approved.json  certificates you approved as an admin (ids only)
  notifications.json          the messages shown to you in the application
  notification_preferences.json, sent_notifications.json  your reminder settings and history
  outbox_messages.json        e-mails sent to you
  audit_events.json           the audit trail entries about you or made by you
  erasure_requests.json       your requests to erase your account
  any other <table>.json      further records that refer to you, as stored (secrets left out)
"""


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _rows(objects: Iterable[Any], **extra: Any) -> list[dict[str, Any]]:
    """Every column of each ORM object except secrets, as JSON-ready values."""
    out = []
    for obj in objects:
        table = obj.__table__
        row = {
            column.key: _value(getattr(obj, column.key))
            for column in table.columns
            if not is_secret(column.key)
        }
        for key, function in extra.items():
            row[key] = function(obj)
        out.append(row)
    return out


def _all(statement: sa.Select[Any]) -> list[Any]:
    return list(db.session.scalars(statement))


def collect(user: User) -> dict[str, list[dict[str, Any]]]:
    """The person's records, by table name."""
    uid = user.id
    submissions = _all(
        sa.select(Submission).where(Submission.user_id == uid).order_by(Submission.id)
    )
    submission_ids = [s.id for s in submissions]
    certificates = _all(
        sa.select(Certificate).where(Certificate.user_id == uid).order_by(Certificate.id)
    )
    subjects = [
        sa.and_(AuditEvent.subject_type == "users", AuditEvent.subject_id == str(uid)),
    ]
    if submission_ids:
        subjects.append(
            sa.and_(
                AuditEvent.subject_type == "submissions",
                AuditEvent.subject_id.in_([str(i) for i in submission_ids]),
            )
        )
    if certificates:
        subjects.append(
            sa.and_(
                AuditEvent.subject_type == "certificates",
                AuditEvent.subject_id.in_([c.public_id for c in certificates]),
            )
        )
    return {
        "users": _rows(
            [user], organisation=lambda u: u.organisation.name if u.organisation else None
        ),
        "user_roles": _rows(
            _all(sa.select(UserRole).where(UserRole.user_id == uid).order_by(UserRole.role))
        ),
        "user_sessions": _rows(
            _all(sa.select(UserSession).where(UserSession.user_id == uid).order_by(UserSession.id))
        ),
        "account_tokens": _rows(
            _all(
                sa.select(AccountToken).where(AccountToken.user_id == uid).order_by(AccountToken.id)
            )
        ),
        "api_tokens": _rows(
            _all(sa.select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id))
        ),
        "cohort_members": _rows(
            _all(
                sa.select(CohortMember)
                .where(CohortMember.user_id == uid)
                .order_by(CohortMember.cohort_id)
            ),
            cohort=lambda m: m.cohort.name,
            course=lambda m: m.cohort.course.title,
        ),
        "lesson_completions": _rows(
            _all(
                sa.select(LessonCompletion)
                .where(LessonCompletion.user_id == uid)
                .order_by(LessonCompletion.lesson_id)
            )
        ),
        "submissions": _rows(
            submissions,
            module=lambda s: s.module.title,
            cohort=lambda s: s.cohort.name,
        ),
        "attachments": _rows(
            _all(
                sa.select(Attachment)
                .where(Attachment.submission_id.in_(submission_ids))
                .order_by(Attachment.id)
            ),
            file_in_archive=_archive_name,
        ),
        "grades": _rows(
            _all(
                sa.select(Grade)
                .where(Grade.submission_id.in_(submission_ids))
                .order_by(Grade.submission_id, Grade.id)
            )
        ),
        "grades_given": _rows(
            _all(sa.select(Grade).where(Grade.grader_id == uid).order_by(Grade.id))
        ),
        "submissions_claimed": [
            {"submission_id": s.id, "claimed_at": _value(s.claimed_at), "state": s.state.value}
            for s in _all(
                sa.select(Submission).where(Submission.claimed_by_id == uid).order_by(Submission.id)
            )
        ],
        "comment_snippets": _rows(
            _all(
                sa.select(CommentSnippet)
                .where(CommentSnippet.trainer_id == uid)
                .order_by(CommentSnippet.id)
            )
        ),
        "certificates": _rows(certificates, course=lambda c: c.course.title),
        "certificates_approved": [
            {"public_id": c.public_id, "approved": True}
            for c in _all(
                sa.select(Certificate)
                .where(Certificate.approved_by_id == uid)
                .order_by(Certificate.id)
            )
        ],
        "notifications": _rows(
            _all(
                sa.select(Notification).where(Notification.user_id == uid).order_by(Notification.id)
            )
        ),
        "notification_preferences": _rows(
            _all(sa.select(NotificationPreference).where(NotificationPreference.user_id == uid))
        ),
        "sent_notifications": _rows(
            _all(
                sa.select(SentNotification)
                .where(SentNotification.user_id == uid)
                .order_by(SentNotification.id)
            )
        ),
        "outbox_messages": _rows(
            _all(
                sa.select(OutboxMessage)
                .where(OutboxMessage.recipient == user.email)
                .order_by(OutboxMessage.id)
            )
        ),
        "audit_events": _rows(
            _all(
                sa.select(AuditEvent)
                .where(sa.or_(AuditEvent.actor_id == uid, *subjects))
                .order_by(AuditEvent.id)
            )
        ),
        "erasure_requests": _rows(
            _all(
                sa.select(ErasureRequest)
                .where(ErasureRequest.user_id == uid)
                .order_by(ErasureRequest.id)
            ),
            decided_by_id=lambda r: None,  # another person
        ),
    }


def _other_tables(uid: int, covered: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Rows of tables that refer to people but have no section above, exported as they are
    (secrets left out), so that nothing about the person is ever left out of the archive."""
    out: dict[str, list[dict[str, Any]]] = {}
    for ref in user_references():
        if ref.table.name in covered:
            continue
        columns = [c for c in ref.table.columns if not is_secret(c.name)]
        rows = db.session.execute(sa.select(*columns).where(ref.column == uid)).mappings()
        out.setdefault(ref.table.name, []).extend(
            {key: _value(value) for key, value in row.items()} for row in rows
        )
    return out


def _archive_name(attachment: Attachment) -> str:
    safe = uploads.display_name(attachment.original_name)
    return f"attachments/{attachment.submission_id}/{attachment.id}-{safe}"


def build_zip(user: User) -> tuple[io.BytesIO, dict[str, int]]:
    """The archive in memory (attachments are bounded by the upload quota) and its manifest."""
    records = collect(user)
    records.update(_other_tables(user.id, set(records)))
    manifest = {name: len(rows) for name, rows in records.items()}
    buffer = io.BytesIO()
    missing: list[str] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(at=utcnow().strftime("%Y-%m-%d %H:%M")))
        for name, rows in records.items():
            archive.writestr(f"{name}.json", _dumps(rows))
        for row in records["attachments"]:
            try:
                with (
                    uploads.open_stored(row["stored_name"]) as source,
                    archive.open(row["file_in_archive"], "w") as target,
                ):
                    shutil.copyfileobj(source, target, 64 * 1024)
            except FileNotFoundError:
                missing.append(row["file_in_archive"])
        archive.writestr(
            "manifest.json",
            _dumps({"exported_at": _value(utcnow()), "records": manifest, "missing": missing}),
        )
    buffer.seek(0)
    return buffer, manifest


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
