"""Reads shared by the services, the verification and the views."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lms.certificates import credentials
from lms.certificates.ids import normalise_public_id
from lms.certificates.models import ACTIVE_STATUSES, Certificate, CertificateStatus
from lms.db import db


def lookup(public_id: str | None) -> Certificate | None:
    """The certificate with this id as a person typed it (any case, spaces, dashes), or None.

    A mistyped id fails its check character and is refused before the database is asked.
    """
    canonical = normalise_public_id(public_id)
    if canonical is None:
        return None
    return db.session.scalar(sa.select(Certificate).filter_by(public_id=canonical))


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
    """The certificate that renewed this one."""
    return db.session.scalar(sa.select(Certificate).filter_by(supersedes_id=certificate.id))


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
