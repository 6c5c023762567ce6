"""Erasure of an account on request, decided by an admin.

What an erasure does, in one transaction:

* The person's submissions, attachments (files too, once committed), grades on them, progress,
  enrolments, sessions, links, API tokens, notifications, preferences, reusable comments and
  the e-mails addressed to them are deleted. Claims on submissions they were reviewing are
  released; grades they gave stay with the trainee's work but no longer name them.
* Certificates, by the person's choice: REVOKE withdraws them (verifiers who hold the file learn
  it is revoked) and erases the signed credential, which carries the name; KEEP leaves them
  verifiable, so the name and the certificate records stay: nothing else.
* The account row is deleted; if certificates must stay (a revoked certificate keeps its status
  entry, a kept one its holder), it remains as an inactive placeholder with no e-mail and no
  password, and only with the name when the person chose to keep certificates verifiable.
* The audit trail: entries stay (who approved, that an erasure happened), but their details
  are scrubbed of the person's names and e-mail addresses (also former ones), and the actor of
  entries the person made is set to NULL. This is the only change ever made to audit entries
  (see lms.audit.services); entries about the account keep its bare number ("users:<id>").
* Names in other people's notifications and e-mails are replaced by "[erased]".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Role, User, UserRole
from lms.assessments import uploads
from lms.assessments.models import Attachment, Submission, SubmissionState
from lms.audit import services as audit
from lms.audit import triggers
from lms.audit.models import AuditEvent
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate, CertificateStatus, credential_rewrite_allowed
from lms.db import db, utcnow
from lms.grading.models import Grade
from lms.i18n import speaking_to
from lms.messages import Message
from lms.notifications import services as notifications
from lms.notifications.mail import queue_mail
from lms.notifications.models import (
    Notification,
    OutboxMessage,
)
from lms.privacy.models import CertificateChoice, ErasureRequest, ErasureState
from lms.privacy.schema import user_references
from lms.urls import absolute_url

log = logging.getLogger(__name__)

#: What replaces a person's name or address wherever it must go.
ERASED = "[erased]"
#: The placeholder name of an account kept only for its revoked certificates.
PLACEHOLDER_NAME = "Erased account"
MAX_REASON = 2000
DEFAULT_TIMEZONE = "Europe/Brussels"
#: References handled apart: the certificates (by the person's choice) and the erasure
#: requests (the record that the erasure happened; their `subject_ref` keeps the bare number).
KEPT_REFERENCES = {
    ("certificates", "user_id"),
    ("erasure_requests", "user_id"),
}
#: Reason shown to verifiers of a certificate revoked by an erasure.
REVOCATION_REASON = "Withdrawn at the holder's request; their personal data was erased."


class PrivacyError(ValueError):
    """A privacy request that cannot be carried out; the message says why."""


# --- Requests --------------------------------------------------------------------------------


def pending_request(user: User) -> ErasureRequest | None:
    return db.session.scalar(
        sa.select(ErasureRequest).where(
            ErasureRequest.user_id == user.id, ErasureRequest.state == ErasureState.PENDING
        )
    )


def requests_of(user: User) -> list[ErasureRequest]:
    return list(
        db.session.scalars(
            sa.select(ErasureRequest)
            .where(ErasureRequest.user_id == user.id)
            .order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc())
        )
    )


def certificates_held(user: User) -> int:
    """How many certificates the person holds (issued or waiting), whatever their status."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Certificate)
            .where(Certificate.user_id == user.id)
        )
        or 0
    )


def request_erasure(user: User, choice: CertificateChoice) -> ErasureRequest:
    """Ask for the account to be erased; admins are told. One open request at a time."""
    if pending_request(user) is not None:
        raise PrivacyError(_("You have already asked for your account to be erased."))
    row = ErasureRequest(
        user_id=user.id, subject_ref=user.id, certificates=choice, state=ErasureState.PENDING
    )
    try:
        with db.session.begin_nested():  # a double click loses to the unique index here
            db.session.add(row)
    except IntegrityError as error:
        raise PrivacyError(_("You have already asked for your account to be erased.")) from error
    audit.record(
        "privacy.erasure_requested", "users", user.id, actor=user, certificates=choice.value
    )
    for admin_id in _admin_ids(exclude=user.id):
        notifications.notify(
            admin_id,
            "erasure_requested",
            Message.of("notification.erasure_requested"),
            body=Message.of("notification.erasure_requested.body"),
            link=f"/privacy/admin/{row.id}",
        )
    return row


def withdraw(user: User, row: ErasureRequest) -> None:
    if row.user_id != user.id or row.state != ErasureState.PENDING:
        raise PrivacyError(_("This request is no longer open."))
    row.state = ErasureState.WITHDRAWN
    row.decided_at = utcnow()
    audit.record("privacy.erasure_withdrawn", "users", user.id, actor=user, request=row.id)


def refuse(row: ErasureRequest, reason: str, actor: User) -> None:
    """Refuse with a reason the person is shown (in the application and by e-mail)."""
    text = (reason or "").strip()
    if not text:
        raise PrivacyError(_("Give a reason: the person is told why."))
    if len(text) > MAX_REASON:
        raise PrivacyError(_("The reason is too long (at most %(n)d characters).", n=MAX_REASON))
    _check_decidable(row, actor)
    row.state = ErasureState.REFUSED
    row.decided_at = utcnow()
    row.decided_by_id = actor.id
    row.refusal_reason = text
    audit.record("privacy.erasure_refused", "users", row.subject_ref, actor=actor, request=row.id)
    notifications.notify(
        row.subject_ref,
        "erasure_refused",
        Message.of("notification.erasure_refused"),
        body=text,
        link="/privacy/my-data",
    )


def _check_decidable(row: ErasureRequest, actor: User) -> None:
    if row.state != ErasureState.PENDING or row.user_id is None:
        raise PrivacyError(_("This request was already decided."))
    if row.user_id == actor.id:
        raise PrivacyError(_("Another admin must decide on your own request."))


def open_matters(user: User) -> dict[str, Any]:
    """What an admin should weigh before approving (and what blocks approval)."""
    in_review = list(
        db.session.scalars(
            sa.select(Submission).where(
                Submission.user_id == user.id,
                Submission.state.in_((SubmissionState.SUBMITTED, SubmissionState.IN_REVIEW)),
            )
        )
    )
    certificates = list(
        db.session.scalars(
            sa.select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
        )
    )
    pending = [c for c in certificates if c.status == CertificateStatus.PENDING_APPROVAL]
    blockers = []
    if pending:
        blockers.append(_("A certificate is waiting for approval: approve or refuse it first."))
    return {
        "in_review": in_review,
        "certificates": certificates,
        "pending_certificates": pending,
        "blockers": blockers,
    }


# --- Erasure ---------------------------------------------------------------------------------


def approve(row: ErasureRequest, actor: User) -> dict[str, Any]:
    """Carry out an erasure request now; returns the summary of what was removed and kept."""
    _check_decidable(row, actor)
    user = db.session.get(User, row.user_id)
    if user is None:
        raise PrivacyError(_("This request was already decided."))
    matters = open_matters(user)
    if matters["blockers"]:
        raise PrivacyError(" ".join(matters["blockers"]))
    audit.record(
        "privacy.erasure_approved",
        "users",
        user.id,
        actor=actor,
        request=row.id,
        certificates=row.certificates.value,
    )
    address, reader = user.email, SimpleNamespace(locale=user.locale)
    summary = erase(user, row.certificates, actor=actor, request=row)
    row.state = ErasureState.ERASED
    row.decided_at = utcnow()
    row.decided_by_id = actor.id
    row.summary = summary
    with speaking_to(reader):  # in the language the account had, not the admin's
        queue_mail(
            address,
            _("Your account has been erased"),
            "privacy_erased",
            kept_certificates=summary["certificates_kept"],
            revoked_certificates=summary["certificates_revoked"],
            privacy_url=absolute_url("privacy.policy"),
        )
    db.session.flush()
    farewell = db.session.scalar(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.recipient == address)
        .order_by(OutboxMessage.id.desc())
    )
    row.farewell_outbox_id = farewell
    audit.record("privacy.erased", "users", summary["user_ref"], actor=actor, **summary)
    log.info("Erased account %s (request %s): %s", summary["user_ref"], row.id, summary)
    return summary


def erase(
    user: User,
    choice: CertificateChoice,
    *,
    actor: User | None,
    request: ErasureRequest | None = None,
) -> dict[str, Any]:
    """Remove the person's data (see the module docstring). Flushes; the caller commits."""
    uid = user.id
    strings = personal_strings(user)
    emails = {s for s in strings if "@" in s}
    # Inactive first: whatever the steps below notify goes in-app only (and is then deleted).
    user.active = False
    db.session.flush()

    certificates = list(
        db.session.scalars(sa.select(Certificate).where(Certificate.user_id == uid))
    )
    revoked = 0
    if choice == CertificateChoice.REVOKE:
        for certificate in certificates:
            if certificate.status not in {
                CertificateStatus.REVOKED,
                CertificateStatus.PENDING_APPROVAL,
            }:
                certificate_services.revoke(certificate, REVOCATION_REASON, actor)
                revoked += 1
        with credential_rewrite_allowed():
            for certificate in certificates:
                # The signed credential names the holder; its hash stays, so that a verifier
                # who holds the file still learns it was revoked.
                certificate.credential = None
            db.session.flush()

    stored = list(
        db.session.scalars(
            sa.select(Attachment.stored_name)
            .join(Submission, Submission.id == Attachment.submission_id)
            .where(Submission.user_id == uid)
        )
    )
    for stored_name in stored:
        uploads.delete_after_commit(stored_name)
    submissions = _delete(sa.delete(Submission).where(Submission.user_id == uid))
    for ref in user_references():
        if (ref.table.name, ref.column.name) in KEPT_REFERENCES:
            continue
        if ref.ondelete == "CASCADE":
            _delete(sa.delete(ref.table).where(ref.column == uid))
        elif ref.column.nullable:
            values = {ref.column.name: None}
            if ref.table.name == "submissions":
                values["claimed_at"] = None
            db.session.execute(sa.update(ref.table).where(ref.column == uid).values(**values))
    mails = _delete(sa.delete(OutboxMessage).where(OutboxMessage.recipient.in_(emails)))
    scrubbed = scrub_text(strings)
    audit_entries = scrub_audit(strings)

    keep_row = bool(certificates)
    keep_name = choice == CertificateChoice.KEEP and bool(certificates)
    db.session.execute(
        sa.update(ErasureRequest)
        .where(ErasureRequest.user_id == uid)
        .values(user_id=None)
        .execution_options(synchronize_session=False)
    )
    if request is not None:
        request.user_id = None
    db.session.flush()
    if keep_row:
        db.session.expire(user, ["role_rows"])
        for column in User.__table__.columns:
            if column.nullable:
                setattr(user, column.key, None)
        user.email = f"erased-{uid}@erased.invalid"
        user.timezone = DEFAULT_TIMEZONE
        if not keep_name:
            user.name = PLACEHOLDER_NAME
        db.session.flush()
    else:
        db.session.expunge(user)
        db.session.execute(sa.delete(User).where(User.id == uid))
    return {
        "user_ref": uid,
        "account": "placeholder" if keep_row else "deleted",
        "name_kept": keep_name,
        "submissions_deleted": submissions,
        "files_deleted": len(stored),
        "certificates_revoked": revoked,
        "certificates_kept": len(certificates) if keep_name else 0,
        "mails_deleted": mails,
        "texts_scrubbed": scrubbed,
        "audit_entries_scrubbed": audit_entries,
    }


def _delete(statement: sa.Delete) -> int:
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def personal_strings(user: User) -> set[str]:
    """The person's name and address, and former or requested ones the audit trail recorded."""
    found = {user.name.strip(), user.email}
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.subject_type == "users",
            AuditEvent.subject_id == str(user.id),
            AuditEvent.action.in_(
                (
                    "user.created",
                    "user.updated",
                    "user.email_changed",
                    "user.email_change_requested",
                )
            ),
        )
    )
    for event in events:
        data = event.data or {}
        if event.action in {"user.email_changed", "user.email_change_requested"}:
            found.update(str(data.get(key) or "") for key in ("before", "after"))
        elif event.action == "user.created":
            found.add(str(data.get("email") or ""))
        else:
            for key in ("before", "after"):
                snapshot = data.get(key) or {}
                if isinstance(snapshot, dict):
                    found.add(str(snapshot.get("name") or "").strip())
    # Very short strings would scrub unrelated words; names and addresses are longer.
    return {s for s in found if len(s) >= 3}


def _replace(value: Any, strings: Iterable[str]) -> Any:
    if isinstance(value, str):
        for s in sorted(strings, key=len, reverse=True):
            if s.lower() in value.lower():
                value = _replace_ci(value, s)
        return value
    if isinstance(value, dict):
        return {key: _replace(item, strings) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, strings) for item in value]
    return value


def _replace_ci(text: str, needle: str) -> str:
    lowered, target = text.lower(), needle.lower()
    out, start = [], 0
    while (index := lowered.find(target, start)) != -1:
        out.append(text[start:index])
        out.append(ERASED)
        start = index + len(needle)
    out.append(text[start:])
    return "".join(out)


def _mentions(column: Any, strings: Iterable[str]) -> Any:
    text = sa.func.lower(sa.cast(column, sa.Text))
    # JSON columns may store non-ASCII letters as \u escapes: look for both spellings.
    needles = {s.lower() for s in strings} | {json.dumps(s.lower())[1:-1] for s in strings}
    return sa.or_(*(text.contains(needle, autoescape=True) for needle in needles))


def scrub_text(strings: set[str]) -> int:
    """Replace the person's name and address in other people's notifications, e-mails and in
    texts that may quote them; returns how many rows changed."""
    if not strings:
        return 0
    targets = (
        (Notification.__table__, ("title", "body")),
        (OutboxMessage.__table__, ("subject", "text", "html")),
        (Grade.__table__, ("overall_feedback", "feedback")),
        (Submission.__table__, ("return_reason",)),
        (Certificate.__table__, ("revocation_reason",)),
        (ErasureRequest.__table__, ("refusal_reason",)),
    )
    changed = 0
    for table, names in targets:
        columns = [table.c[name] for name in names]
        rows = db.session.execute(
            sa.select(table.c.id, *columns).where(
                sa.or_(*(_mentions(column, strings) for column in columns))
            )
        ).all()
        for row in rows:
            values = {name: _replace(getattr(row, name), strings) for name in names}
            db.session.execute(sa.update(table).where(table.c.id == row.id).values(**values))
            changed += 1
    return changed


def scrub_audit(strings: set[str]) -> int:
    """Remove the person's names and addresses from audit details.

    The only change ever made to the details of audit entries. The ORM refuses any update
    (lms.audit.services), so this writes through the table and touches `data` alone. On
    PostgreSQL a trigger refuses it too (lms.audit.triggers); it is switched off for these
    statements only, inside the erasure's transaction: ALTER TABLE is transactional and locks
    the table, so no other writer ever sees it off, and a failure rolls the switch back too.
    """
    if not strings:
        return 0
    table = AuditEvent.__table__
    rows = db.session.execute(
        sa.select(table.c.id, table.c.data).where(_mentions(table.c.data, strings))
    ).all()
    if not rows:
        return 0
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        db.session.execute(
            sa.text(f"ALTER TABLE {triggers.TABLE} DISABLE TRIGGER {triggers.TRIGGER}")
        )
    for row in rows:
        db.session.execute(
            sa.update(table).where(table.c.id == row.id).values(data=_replace(row.data, strings))
        )
    if postgres:
        db.session.execute(
            sa.text(f"ALTER TABLE {triggers.TABLE} ENABLE TRIGGER {triggers.TRIGGER}")
        )
    return len(rows)


def _admin_ids(exclude: int | None = None) -> list[int]:
    query = (
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
    )
    if exclude is not None:
        query = query.where(User.id != exclude)
    return list(db.session.scalars(query))


def pending_requests() -> list[ErasureRequest]:
    return list(
        db.session.scalars(
            sa.select(ErasureRequest)
            .where(ErasureRequest.state == ErasureState.PENDING)
            .order_by(ErasureRequest.requested_at, ErasureRequest.id)
        )
    )


def decided_requests(limit: int = 50) -> list[ErasureRequest]:
    return list(
        db.session.scalars(
            sa.select(ErasureRequest)
            .where(ErasureRequest.state != ErasureState.PENDING)
            .order_by(ErasureRequest.decided_at.desc(), ErasureRequest.id.desc())
            .limit(limit)
        )
    )
