"""Reads shared by the services, the verification and the views."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from lms.accounts.models import User
from lms.certificates import credentials
from lms.certificates.ids import normalise_public_id
from lms.certificates.models import (
    ACTIVE_STATUSES,
    Certificate,
    CertificateStatus,
    SigningKey,
)
from lms.courses.models import Course, JobProfile
from lms.db import db, read_first


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


def public_record(public_id: str | None) -> SimpleNamespace | None:
    """What the public routes show of a certificate, read in one plain query (no ORM objects).

    The same attributes as a Certificate for everything the verify page, the certificate API
    and the verification read: the record's columns, `user.name`, `course.slug`/`title`/
    `profile.title`, `renewed_by.public_id` (None when it was not renewed), and the public
    columns of its `signing_key` (so that verifying it needs no second query).
    """
    canonical = normalise_public_id(public_id)
    if canonical is None:
        return None
    row = read_first(_record_query(), {"public_id": canonical})
    if row is None:
        return None
    record = SimpleNamespace(**{name: getattr(row, name) for name in _RECORD_COLUMNS})
    record.user = SimpleNamespace(name=row.holder_name)
    record.course = SimpleNamespace(
        slug=row.course_slug,
        title=row.course_title,
        summary=row.course_summary,
        profile=SimpleNamespace(title=row.profile_title),
    )
    record.renewed_by = (
        SimpleNamespace(public_id=row.renewed_by_public_id) if row.renewed_by_public_id else None
    )
    # The signing key's public columns (as keys.key_record reads them), for the verification.
    record.signing_key = (
        SimpleNamespace(
            kid=row.key_id,
            created_at=row.key_created_at,
            retired_at=row.key_retired_at,
            revoked_at=row.key_revoked_at,
            compromised_at=row.key_compromised_at,
            public_jwk=row.key_public_jwk,
        )
        if row.key_public_jwk is not None
        else None
    )
    return record


@functools.cache
def _record_query() -> sa.Select[Any]:
    """Built once: constructing the joins and the alias costs more than running the query."""
    c = Certificate.__table__
    newer = c.alias("newer")
    course, profile, user = Course.__table__, JobProfile.__table__, User.__table__
    key = SigningKey.__table__
    return (
        sa.select(
            *[c.c[name] for name in _RECORD_COLUMNS],
            user.c.name.label("holder_name"),
            course.c.slug.label("course_slug"),
            course.c.title.label("course_title"),
            course.c.summary.label("course_summary"),
            profile.c.title.label("profile_title"),
            newer.c.public_id.label("renewed_by_public_id"),
            key.c.created_at.label("key_created_at"),
            key.c.retired_at.label("key_retired_at"),
            key.c.revoked_at.label("key_revoked_at"),
            key.c.compromised_at.label("key_compromised_at"),
            key.c.public_jwk.label("key_public_jwk"),
        )
        .join(user, user.c.id == c.c.user_id)
        .join(course, course.c.id == c.c.course_id)
        .join(profile, profile.c.id == course.c.profile_id)
        .outerjoin(newer, newer.c.supersedes_id == c.c.id)
        .outerjoin(key, key.c.kid == c.c.key_id)
        .where(c.c.public_id == sa.bindparam("public_id"))
        .limit(1)
    )


_RECORD_COLUMNS = (
    "id",
    "public_id",
    "user_id",
    "course_id",
    "status",
    "results",
    "issued_at",
    "expires_at",
    "revoked_at",
    "revocation_reason",
    "suspended_at",
    "supersedes_id",
    "key_id",
    "credential",
    "credential_sha256",
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


def successor(certificate: Certificate | SimpleNamespace) -> Any:
    """The certificate that renewed this one (loaded with it by `lookup`)."""
    return certificate.renewed_by


def verify_url(certificate: Certificate | SimpleNamespace) -> str:
    return credentials.credential_id(certificate.public_id)


def is_published(certificate: Certificate | SimpleNamespace) -> bool:
    """Issued certificates are public; a request waiting for approval is not."""
    return (
        certificate.status != CertificateStatus.PENDING_APPROVAL
        and certificate.credential is not None
    )


def _iso(value: Any) -> str | None:
    return credentials.iso(value) if value is not None else None


def public_summary(certificate: Certificate | SimpleNamespace) -> dict[str, Any]:
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
