"""Reads shared by the services, the verification and the views."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from lms.accounts.models import User
from lms.certificates import credentials
from lms.certificates.ids import normalise_public_id
from lms.certificates.models import ACTIVE_STATUSES, Certificate, CertificateStatus
from lms.courses.models import Course
from lms.db import db


def _shown_with() -> tuple[Any, ...]:
    """What the verify page, the API and the verification read of a certificate, loaded in
    the same query: the holder (not their roles), the course and its profile, the signing
    key and the certificate that renewed it."""
    return (
        orm.joinedload(Certificate.user).lazyload(User.role_rows),
        orm.joinedload(Certificate.course).joinedload(Course.profile),
        orm.joinedload(Certificate.signing_key),
        orm.joinedload(Certificate.renewed_by),
    )


def lookup(public_id: str | None) -> Certificate | None:
    """The certificate with this id as a person typed it (any case, spaces, dashes), or None.

    A mistyped id fails its check character and is refused before the database is asked.
    The holder, course and signing key come in the same query (one round trip per page).
    """
    canonical = normalise_public_id(public_id)
    if canonical is None:
        return None
    return db.session.scalar(
        sa.select(Certificate).filter_by(public_id=canonical).options(*_shown_with())
    )


def active_certificate(user_id: int, course_id: int) -> Certificate | None:
    """The valid (or pending) certificate of a trainee in a course, if any."""
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.course_id == course_id,
            Certificate.status.in_(ACTIVE_STATUSES),
        )
    )


def successor(certificate: Certificate) -> Certificate | None:
    """The certificate that renewed this one (loaded with it by `lookup`)."""
    return certificate.renewed_by


def verify_url(certificate: Certificate) -> str:
    return credentials.credential_id(certificate.public_id)


def is_published(certificate: Certificate) -> bool:
    """Issued certificates are public; a request waiting for approval is not."""
    return (
        certificate.status != CertificateStatus.PENDING_APPROVAL
        and certificate.credential is not None
    )


def _iso(value: Any) -> str | None:
    return credentials.iso(value) if value is not None else None


def public_summary(certificate: Certificate) -> dict[str, Any]:
    """The JSON of `GET /api/v1/certificates/<id>` (SPEC §3): no personal data but the name."""
    course = certificate.course
    return {
        "id": certificate.public_id,
        "status": certificate.status.value,
        "holder": {"name": certificate.user.name},
        "course": {
            "slug": course.slug,
            "title": course.title,
            "achievement": f"{credentials.base_url()}/courses/{course.slug}#achievement",
        },
        "results": [
            {
                "code": row["code"],
                "title": row["title"],
                "priority": row["priority"],
                "level": row["level"],
                "level_name": row["level_name"],
            }
            for row in certificate.results
        ],
        "issued_at": _iso(certificate.issued_at),
        "expires_at": _iso(certificate.expires_at),
        "revoked_at": _iso(certificate.revoked_at),
        "revocation_reason": certificate.revocation_reason,
        "verify_url": verify_url(certificate),
        "credential": certificate.credential,
    }
