"""Issuing many certificates at once (a register moved from another system, a large cohort).

The same credentials as `services.issue_certificate`, signed with the current key, but per
batch: one query finds who already holds a certificate, one atomic UPDATE reserves a block of
status-list entries, and multi-row INSERTs write the certificates and their audit entries,
instead of several round trips per certificate. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import jwt
import sqlalchemy as sa
from jwt.utils import base64url_encode

from lms.audit.models import AuditEvent
from lms.certificates import credentials, keys, statuslist
from lms.certificates.ids import new_public_id
from lms.certificates.models import ACTIVE_STATUSES, Certificate, CertificateStatus, StatusList
from lms.certificates.services import CertificateError, add_years, normalise_results
from lms.courses.models import ContentVersion, Course
from lms.db import db, utcnow

BATCH = 1000


@dataclass(frozen=True)
class BulkItem:
    """One trainee to certify: who, the level per key activity, and optionally when."""

    user_id: int
    name: str
    results: Sequence[Mapping[str, Any]]
    issued_at: dt.datetime | None = None


@dataclass
class BulkSummary:
    issued: list[str] = field(default_factory=list)
    #: Trainees skipped because they already hold a valid (or pending) certificate.
    skipped: list[int] = field(default_factory=list)


def reserve_entries(count: int) -> list[tuple[StatusList, int]]:
    """`count` fresh status-list entries, reserved a block at a time by an atomic UPDATE."""
    table = StatusList.__table__
    purpose = statuslist.CERTIFICATE_STATUS_PURPOSE
    entries: list[tuple[StatusList, int]] = []
    attempts = 0
    while len(entries) < count:
        attempts += 1
        if attempts > count + 10:
            raise statuslist.StatusListFull("could not reserve status list entries")
        status_list = db.session.scalar(
            sa.select(StatusList)
            .where(StatusList.purpose == purpose, StatusList.next_index < StatusList.size)
            .order_by(StatusList.id)
            .limit(1)
            .execution_options(populate_existing=True)
        )
        if status_list is None:
            status_list = statuslist.create_list(purpose)
        wanted = min(count - len(entries), status_list.size - status_list.next_index)
        end = db.session.execute(
            sa.update(table)
            .where(table.c.id == status_list.id, table.c.next_index + wanted <= table.c.size)
            .values(next_index=table.c.next_index + wanted)
            .returning(table.c.next_index)
        ).scalar()
        if end is None:
            continue  # someone else took entries meanwhile: look again
        entries.extend((status_list, index) for index in range(int(end) - wanted, int(end)))
    return entries


def issue_bulk(
    course: Course,
    content_version: ContentVersion,
    items: Iterable[BulkItem],
    *,
    actor_id: int | None = None,
    batch_size: int = BATCH,
) -> BulkSummary:
    """Issue a valid, signed certificate to every trainee in `items` who holds none yet."""
    if content_version.course_id != course.id:
        raise CertificateError("the content version belongs to another course")
    key = keys.ensure_signing_key()
    private = keys.load_private_key(key)
    signer = _Signer(private, {"kid": keys.kid_url(key.kid), "typ": "JWT"})
    years = int(content_version.snapshot.get("validity_years") or course.validity_years)
    summary = BulkSummary()
    batch: list[BulkItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            _issue_batch(course, content_version, batch, key.kid, signer, years, summary, actor_id)
            batch = []
    if batch:
        _issue_batch(course, content_version, batch, key.kid, signer, years, summary, actor_id)
    return summary


class _Signer:
    """Compact EdDSA JWS of many credentials that share a header and an Achievement.

    The same bytes as `jwt.encode(claims, key, algorithm="EdDSA", headers=headers)`: the
    header segment is PyJWT's own (computed once), the payload is the claims as PyJWT writes
    them (`json.dumps` with compact separators), except that the Achievement, most of a
    credential's 6 KB and the same for every certificate of a course version, is written to
    JSON once and put in place of a marker no claim can contain (random per signer).
    """

    def __init__(self, private: Any, headers: dict[str, str]) -> None:
        self.private = private
        self.header = jwt.api_jws.encode(b"{}", private, algorithm="EdDSA", headers=headers)
        self.header = self.header.split(".", 1)[0]
        self.marker = f"urn:lms:achievement:{secrets.token_hex(16)}"
        self._quoted_marker = json.dumps(self.marker)
        self._achievement: tuple[dict[str, Any], str] | None = None

    def sign(self, claims: dict[str, Any]) -> str:
        """The token of `claims` (built by `credential_claims`, which this changes)."""
        subject = claims["credentialSubject"]
        achievement = subject["achievement"]
        if self._achievement is None or self._achievement[0] is not achievement:
            self._achievement = (achievement, json.dumps(achievement, separators=(",", ":")))
        subject["achievement"] = self.marker
        text = json.dumps(claims, separators=(",", ":"))
        if text.count(self._quoted_marker) != 1:
            raise ValueError("the claims must hold the Achievement's marker exactly once")
        payload = text.replace(self._quoted_marker, self._achievement[1], 1).encode("utf-8")
        signing_input = f"{self.header}.{base64url_encode(payload).decode('ascii')}"
        signature = self.private.sign(signing_input.encode("ascii"))
        return f"{signing_input}.{base64url_encode(signature).decode('ascii')}"


def _issue_batch(
    course: Course,
    content_version: ContentVersion,
    batch: list[BulkItem],
    kid: str,
    signer: _Signer,
    years: int,
    summary: BulkSummary,
    actor_id: int | None,
) -> None:
    holders = set(
        db.session.scalars(
            sa.select(Certificate.user_id).where(
                Certificate.course_id == course.id,
                Certificate.status.in_(ACTIVE_STATUSES),
                Certificate.user_id.in_([item.user_id for item in batch]),
            )
        )
    )
    fresh: list[BulkItem] = []
    for item in batch:
        if item.user_id in holders:
            summary.skipped.append(item.user_id)
        else:
            holders.add(item.user_id)  # the same trainee twice in one call: once only
            fresh.append(item)
    if not fresh:
        return
    # Refuse bad results before anything is written or reserved.
    results = [normalise_results(content_version, item.results) for item in fresh]
    entries = reserve_entries(len(fresh))
    now = utcnow().replace(microsecond=0)
    achievement: dict[str, Any] | None = None  # the same for every certificate of the version
    issuer = credentials.issuer_profile()
    rows: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for item, rows_of_item, (status_list, index) in zip(fresh, results, entries, strict=True):
        issued_at = (item.issued_at or now).replace(microsecond=0)
        draft = SimpleNamespace(
            public_id=new_public_id(),
            user_id=item.user_id,
            user=SimpleNamespace(name=item.name),
            course=course,
            content_version=content_version,
            results=rows_of_item,
            issued_at=issued_at,
            expires_at=add_years(issued_at, years),
            status_list=status_list,
            status_index=index,
        )
        if achievement is None:
            achievement = credentials.achievement_of(draft)  # type: ignore[arg-type]
        claims = credentials.credential_claims(
            draft,  # type: ignore[arg-type]
            signed_at=now,
            achievement=achievement,
            issuer=issuer,
        )
        token = signer.sign(claims)
        rows.append(
            {
                "public_id": draft.public_id,
                "user_id": item.user_id,
                "course_id": course.id,
                "content_version_id": content_version.id,
                "results": draft.results,
                "issued_at": issued_at,
                "expires_at": draft.expires_at,
                "status": CertificateStatus.VALID,
                "approved_by_id": actor_id,
                "key_id": kid,
                "credential": token,
                "credential_sha256": credentials.sha256(token),
                "status_list_id": status_list.id,
                "status_index": index,
                "created_at": now,
            }
        )
        audits.append(
            {
                "at": now,
                "actor_id": actor_id,
                "action": "certificate.issued",
                "subject_type": "certificates",
                "subject_id": draft.public_id,
                "data": {"key": kid, "supersedes": None, "bulk": True},
                "request_id": "",
            }
        )
    db.session.execute(sa.insert(Certificate.__table__), rows)
    db.session.execute(sa.insert(AuditEvent.__table__), audits)
    summary.issued.extend(row["public_id"] for row in rows)
