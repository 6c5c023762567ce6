"""Issuing and managing certificates. Every write flushes; the caller commits.

Whether a trainee deserves a certificate (SPEC §2) is decided by grading, which calls
`issue_certificate` with the results; nothing here judges eligibility.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit import services as audit
from lms.certificates import credentials, keys, queries, statuslist
from lms.certificates.ids import new_public_id
from lms.certificates.models import (
    Certificate,
    CertificateStatus,
    credential_rewrite_allowed,
)
from lms.courses.models import LEVEL_NAMES, ContentVersion, Course
from lms.db import db, utcnow
from lms.messages import Message
from lms.notifications.services import notify

log = logging.getLogger(__name__)
MAX_REASON = 1000
_REISSUE_BATCH = 100


class CertificateError(ValueError):
    """A certificate action that cannot be done; the message says why, for a person."""


def _now() -> dt.datetime:
    # Credentials carry whole seconds (nbf/exp), so the stored dates do too.
    return utcnow().replace(microsecond=0)


def add_years(value: dt.datetime, years: int) -> dt.datetime:
    """The same date `years` later; 29 February becomes 28 February."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def normalise_results(
    content_version: ContentVersion, results: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One row per key activity of the version, in process order, with its level's name.

    Titles and priorities come from the content version, not from the caller.
    """
    activities = content_version.snapshot.get("key_activities") or []
    levels: dict[str, int] = {}
    for row in results:
        code, level = row.get("code"), row.get("level")
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 4:
            raise CertificateError(f"the level of {code} must be a whole number from 0 to 4")
        levels[str(code)] = level
    known = {activity["code"] for activity in activities}
    unknown = sorted(set(levels) - known)
    missing = [activity["code"] for activity in activities if activity["code"] not in levels]
    if unknown or missing or not activities:
        raise CertificateError(
            "results must give one level per key activity of the course"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return [
        {
            "code": activity["code"],
            "title": activity["title"],
            "priority": activity["priority"],
            "level": levels[activity["code"]],
            "level_name": LEVEL_NAMES[levels[activity["code"]]],
        }
        for activity in activities
    ]


def issue_certificate(
    user: User,
    course: Course,
    content_version: ContentVersion,
    results: Iterable[Mapping[str, Any]],
    *,
    approved_by: User | None = None,
    pending: bool = False,
    issued_at: dt.datetime | None = None,
) -> Certificate:
    """The trainee's one valid (or pending) certificate for the course, issued if need be.

    `issued_at` records an accreditation granted earlier (e.g. before the scheme moved here);
    by default it is now.

    However many requests race, the partial unique index lets one insert win; the others
    catch the IntegrityError inside their savepoint and return the winner's certificate.
    """
    certificate, _created = _issue(
        user,
        course,
        content_version,
        results,
        approved_by=approved_by,
        pending=pending,
        issued_at=issued_at,
    )
    return certificate


def _issue(
    user: User,
    course: Course,
    content_version: ContentVersion,
    results: Iterable[Mapping[str, Any]],
    *,
    approved_by: User | None,
    pending: bool,
    supersedes: Certificate | None = None,
    issued_at: dt.datetime | None = None,
) -> tuple[Certificate, bool]:
    if content_version.course_id != course.id:
        raise CertificateError("the content version belongs to another course")
    rows = normalise_results(content_version, results)
    certificate = Certificate(
        public_id=new_public_id(),
        user=user,
        course=course,
        content_version=content_version,
        results=rows,
        status=CertificateStatus.PENDING_APPROVAL if pending else CertificateStatus.VALID,
        supersedes=supersedes,
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:
        existing = queries.active_certificate(user.id, course.id)
        if existing is None:
            raise
        return existing, False
    if pending:
        audit.record("certificate.requested", "certificates", certificate.public_id)
    else:
        _sign_first(certificate, approved_by, issued_at)
        audit.record(
            "certificate.issued",
            "certificates",
            certificate.public_id,
            actor=approved_by,
            key=certificate.key_id,
            supersedes=supersedes.public_id if supersedes else None,
        )
    log.info("Certificate %s %s", certificate.public_id, certificate.status.value)
    return certificate, True


def _sign_first(
    certificate: Certificate, approved_by: User | None, issued_at: dt.datetime | None = None
) -> None:
    """Date, status list entry and signed credential of a newly valid certificate."""
    now = issued_at.replace(microsecond=0) if issued_at is not None else _now()
    years = int(
        certificate.content_version.snapshot.get("validity_years")
        or certificate.course.validity_years
    )
    certificate.issued_at = now
    certificate.expires_at = add_years(now, years)
    certificate.approved_by = approved_by
    status_list, index = statuslist.allocate_entry()
    certificate.status_list, certificate.status_index = status_list, index
    db.session.flush()
    key = keys.ensure_signing_key()
    token = credentials.sign(credentials.credential_claims(certificate, signed_at=now), key)
    certificate.credential = token
    certificate.credential_sha256 = credentials.sha256(token)
    certificate.key_id = key.kid
    db.session.flush()


def approve(certificate: Certificate, actor: User) -> Certificate:
    """Issue a certificate that waited for an admin's approval."""
    if certificate.status != CertificateStatus.PENDING_APPROVAL:
        raise CertificateError(f"{certificate.public_id} is not waiting for approval")
    certificate.status = CertificateStatus.VALID
    _sign_first(certificate, actor)
    audit.record("certificate.approved", "certificates", certificate.public_id, actor=actor)
    return certificate


def _clean_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise CertificateError("give a reason; it is shown to anyone who verifies")
    if len(text) > MAX_REASON:
        raise CertificateError(f"the reason is too long (at most {MAX_REASON} characters)")
    return text


def _publish(certificate: Certificate, in_force: bool) -> None:
    """Update the certificate's status list entry (and so the signed list) at once."""
    if certificate.status_list_id is not None and certificate.status_index is not None:
        statuslist.set_bit(certificate.status_list_id, certificate.status_index, not in_force)


def revoke(certificate: Certificate, reason: str, actor: User | None) -> Certificate:
    """Withdraw a certificate for good, with a reason shown to verifiers."""
    text = _clean_reason(reason)
    if certificate.status == CertificateStatus.REVOKED:
        # Nothing changes (the first date and reason stand), but the attempt is on record.
        audit.record(
            "certificate.revoke_repeated",
            "certificates",
            certificate.public_id,
            actor=actor,
            reason=text,
        )
        return certificate
    if certificate.status == CertificateStatus.PENDING_APPROVAL:
        raise CertificateError(f"{certificate.public_id} was never issued: nothing to revoke")
    previous = certificate.status
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = _now()
    certificate.revocation_reason = text
    db.session.flush()
    _publish(certificate, in_force=False)
    audit.record(
        "certificate.revoked",
        "certificates",
        certificate.public_id,
        actor=actor,
        reason=text,
        previous=previous.value,
    )
    notify(
        certificate.user_id,
        "certificate_revoked",
        Message.of("notification.certificate_revoked", id=certificate.public_id),
        body=text,
        link="/certificates/",
    )
    return certificate


def suspend(certificate: Certificate, reason: str, actor: User | None) -> Certificate:
    """Put a valid certificate on hold (reversible with `reinstate`)."""
    text = _clean_reason(reason)
    if certificate.status != CertificateStatus.VALID:
        raise CertificateError(
            f"only a valid certificate can be suspended, not a {_label(certificate)}"
        )
    certificate.status = CertificateStatus.SUSPENDED
    certificate.suspended_at = _now()
    db.session.flush()
    _publish(certificate, in_force=False)
    audit.record(
        "certificate.suspended", "certificates", certificate.public_id, actor=actor, reason=text
    )
    return certificate


def reinstate(certificate: Certificate, actor: User | None, reason: str = "") -> Certificate:
    """End a suspension, or undo a revocation made in error: valid again (or expired, if its
    date passed meanwhile). Audited with the previous status and the reason."""
    if certificate.status not in (CertificateStatus.SUSPENDED, CertificateStatus.REVOKED):
        raise CertificateError(
            "only a suspended or revoked certificate can be reinstated, "
            f"not a {_label(certificate)}"
        )
    previous = certificate.status
    expired = certificate.expires_at is not None and certificate.expires_at <= utcnow()
    certificate.status = CertificateStatus.EXPIRED if expired else CertificateStatus.VALID
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        certificate.status = previous
        raise CertificateError(
            "the trainee has received another valid certificate for this course meanwhile; "
            "this one stays as it is"
        ) from None
    audit.record(
        "certificate.reinstated",
        "certificates",
        certificate.public_id,
        actor=actor,
        previous=previous.value,
        status=certificate.status.value,
        reason=reason.strip()[:MAX_REASON],
        revoked_at=credentials.iso(certificate.revoked_at) if certificate.revoked_at else None,
        revocation_reason=certificate.revocation_reason,
    )
    certificate.suspended_at = None
    certificate.revoked_at = None
    certificate.revocation_reason = None
    db.session.flush()
    _publish(certificate, in_force=True)
    return certificate


def renew(
    certificate: Certificate,
    actor: User | None,
    *,
    content_version: ContentVersion | None = None,
    results: Iterable[Mapping[str, Any]] | None = None,
) -> Certificate:
    """A new certificate (new id, dates and credential) replacing a valid or expired one."""
    if certificate.status not in (CertificateStatus.VALID, CertificateStatus.EXPIRED):
        raise CertificateError(
            f"only a valid or expired certificate can be renewed, not a {_label(certificate)}"
        )
    certificate.status = CertificateStatus.SUPERSEDED
    db.session.flush()  # frees the trainee's one "valid" place for the new certificate
    _publish(certificate, in_force=False)
    new, created = _issue(
        certificate.user,
        certificate.course,
        content_version or certificate.content_version,
        results if results is not None else certificate.results,
        approved_by=actor,
        pending=False,
        supersedes=certificate,
    )
    if not created:
        raise CertificateError(
            f"another certificate ({new.public_id}) was issued meanwhile; nothing was renewed"
        )
    audit.record(
        "certificate.renewed",
        "certificates",
        certificate.public_id,
        actor=actor,
        renewed_by=new.public_id,
    )
    return new


@dataclass
class ReissueSummary:
    old_kid: str
    new_kid: str
    certificates: int
    status_lists: int


def certificates_signed_by(kid: str) -> list[Certificate]:
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.key_id == kid, Certificate.credential.is_not(None))
            .order_by(Certificate.id)
        )
    )


def reissue_for_key(
    kid: str,
    *,
    actor: User | None = None,
    on_certificate: Callable[[Certificate], None] | None = None,
) -> ReissueSummary:
    """Re-sign, with the current key, every credential that `kid` signed.

    The only path by which a signed credential changes: same claims, new `iat` and key.
    """
    old = keys.get_key(kid)
    if old is None:
        raise CertificateError(f"there is no signing key {kid!r}")
    if old.is_usable_for_signing:
        raise CertificateError(
            f"key {kid} is the current signing key: rotate or revoke it first, then re-issue"
        )
    new_key = keys.ensure_signing_key()
    signed_at = _now()
    affected = certificates_signed_by(kid)
    with credential_rewrite_allowed():
        for number, certificate in enumerate(affected, start=1):
            claims = credentials.credential_claims(certificate, signed_at=signed_at)
            token = credentials.sign(claims, new_key)
            certificate.credential = token
            certificate.credential_sha256 = credentials.sha256(token)
            certificate.key_id = new_key.kid
            audit.record(
                "certificate.reissued",
                "certificates",
                certificate.public_id,
                actor=actor,
                old_key=kid,
                new_key=new_key.kid,
            )
            if number % _REISSUE_BATCH == 0:
                db.session.flush()
            if on_certificate is not None:
                on_certificate(certificate)
        db.session.flush()
    lists = statuslist.resign_lists_of(kid)
    return ReissueSummary(kid, new_key.kid, len(affected), lists)


def expire_due(now: dt.datetime | None = None) -> int:
    """Mark valid certificates whose date has passed as expired; return how many."""
    moment = now or utcnow()
    due = list(
        db.session.scalars(
            sa.select(Certificate).where(
                Certificate.status == CertificateStatus.VALID,
                Certificate.expires_at <= moment,
            )
        )
    )
    for certificate in due:
        certificate.status = CertificateStatus.EXPIRED
        audit.record("certificate.expired", "certificates", certificate.public_id)
    db.session.flush()
    return len(due)


def _label(certificate: Certificate) -> str:
    return certificate.status.value.replace("_", " ") + " one"
