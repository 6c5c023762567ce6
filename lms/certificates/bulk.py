"""Issuing many certificates at once (a register moved from another system, a large cohort).

The same credentials as `services.issue_certificate`, signed with the current key, but per
batch: one query finds who already holds a certificate, one atomic UPDATE reserves a block of
status-list entries, and multi-row INSERTs write the certificates and their audit entries,
instead of several round trips per certificate. The caller commits.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import jwt
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.certificates import credentials, ids, keys, statuslist
from lms.certificates.models import ACTIVE_STATUSES, Certificate, CertificateStatus, StatusList
from lms.certificates.services import CertificateError, add_years, normalise_results
from lms.courses.models import ContentVersion, Course
from lms.db import db, utcnow

BATCH = 1000

#: What `json.dumps(value, separators=(",", ":"))`, as PyJWT calls it, uses: made once.
_JSON = json.JSONEncoder(separators=(",", ":"))


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
    issuer = _Issuer(course, content_version, actor_id)
    batch: list[BulkItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            issuer.issue(batch)
            batch = []
    if batch:
        issuer.issue(batch)
    return issuer.summary


class _Signer:
    """Compact EdDSA JWS of many credentials that share a header and an Achievement.

    The same bytes as `jwt.encode(claims, key, algorithm="EdDSA", headers=headers)`: the
    header segment is PyJWT's own (computed once), the payload is the claims as PyJWT writes
    them (`json.dumps` with compact separators), except that the Achievement, most of a
    credential's 6 KB and the same for every certificate of a course version, is written to
    JSON once and put in place of a marker no claim can contain (random per signer).

    Its base64url form is computed once too, from each of the three offsets (modulo 3) at
    which it can start: base64 turns every 3 bytes into 4 characters on their own, so the
    payload's base64 is that of the bytes before the first whole group of the Achievement,
    the stored middle part, and that of the bytes after it.
    """

    def __init__(self, private: Any, headers: dict[str, str]) -> None:
        self.private = private
        header = jwt.api_jws.encode(b"{}", private, algorithm="EdDSA", headers=headers)
        self.header = header.split(".", 1)[0]
        self._header_dot = f"{self.header}.".encode("ascii")
        self.marker = f"urn:lms:achievement:{secrets.token_hex(16)}"
        self._quoted_marker = json.dumps(self.marker)
        #: The Achievement, its JSON, and the base64url of its whole groups from offset 0, 1, 2.
        self._achievement: tuple[dict[str, Any], bytes, tuple[bytes, ...]] | None = None

    def sign(self, claims: dict[str, Any]) -> str:
        """The token of `claims` (built by `credential_claims`)."""
        subject = claims["credentialSubject"]
        achievement = subject["achievement"]
        if self._achievement is None or self._achievement[0] is not achievement:
            text = _JSON.encode(achievement).encode("ascii")
            groups = tuple(
                _b64(text[skip : skip + (len(text) - skip) // 3 * 3]) for skip in range(3)
            )
            self._achievement = (achievement, text, groups)
        _, whole, groups = self._achievement
        subject["achievement"] = self.marker
        try:
            text = _JSON.encode(claims)
        finally:
            subject["achievement"] = achievement
        before, found, after = text.partition(self._quoted_marker)
        if not found or self._quoted_marker in after:
            raise ValueError("the claims must hold the Achievement's marker exactly once")
        # ASCII only: the encoder escapes everything else, as PyJWT's call does.
        head = before.encode("ascii")
        skip = -len(head) % 3  # the Achievement's bytes that complete the last group of `head`
        end = skip + (len(whole) - skip) // 3 * 3
        payload = b"".join(
            (_b64(head + whole[:skip]), groups[skip], _b64(whole[end:] + after.encode("ascii")))
        )
        signing_input = self._header_dot + payload
        signature = self.private.sign(signing_input)
        return b".".join((signing_input, _b64(signature))).decode("ascii")


def _b64(data: bytes) -> bytes:
    """base64url without padding, as PyJWT's `base64url_encode`."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class _Issuer:
    """Issues batches of one course version with one key, and remembers what they share."""

    def __init__(self, course: Course, content_version: ContentVersion, actor_id: int | None):
        self.course = course
        self.content_version = content_version
        self.actor_id = actor_id
        key = keys.ensure_signing_key()
        self.kid = key.kid
        self.signer = _Signer(
            keys.load_private_key(key), {"kid": keys.kid_url(key.kid), "typ": "JWT"}
        )
        self.years = int(content_version.snapshot.get("validity_years") or course.validity_years)
        self.summary = BulkSummary()
        self.issuer_profile = credentials.issuer_profile()
        #: The same for every certificate of the version.
        self.achievement: dict[str, Any] | None = None
        #: Normalised results by the levels given: a cohort has few distinct ones.
        self._results: dict[tuple[Any, ...], list[dict[str, Any]]] = {}

    def results_of(self, item: BulkItem) -> list[dict[str, Any]]:
        """`normalise_results` of the item's results; equal inputs share one (unchanged) list."""
        given = list(item.results)
        try:
            levels = tuple(
                (row.get("code"), type(row.get("level")), row.get("level")) for row in given
            )
            cached = self._results.get(levels)
        except TypeError:  # something unhashable: let normalise_results judge it
            return normalise_results(self.content_version, given)
        if cached is None:
            cached = self._results[levels] = normalise_results(self.content_version, given)
        return cached

    def issue(self, batch: list[BulkItem]) -> None:
        course, content_version, actor_id, kid = (
            self.course,
            self.content_version,
            self.actor_id,
            self.kid,
        )
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
                self.summary.skipped.append(item.user_id)
            else:
                holders.add(item.user_id)  # the same trainee twice in one call: once only
                fresh.append(item)
        if not fresh:
            return
        # Refuse bad results before anything is written or reserved.
        results = [self.results_of(item) for item in fresh]
        entries = reserve_entries(len(fresh))
        public_ids = new_public_ids(len(fresh))
        now = utcnow().replace(microsecond=0)
        expires_now = add_years(now, self.years)
        audit_data = {"key": kid, "supersedes": None, "bulk": True}
        sign = self.signer.sign
        rows: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        for item, rows_of_item, (status_list, index), public_id in zip(
            fresh, results, entries, public_ids, strict=True
        ):
            if item.issued_at is None:
                issued_at, expires_at = now, expires_now
            else:
                issued_at = item.issued_at.replace(microsecond=0)
                expires_at = add_years(issued_at, self.years)
            draft = SimpleNamespace(
                public_id=public_id,
                user_id=item.user_id,
                user=SimpleNamespace(name=item.name),
                course=course,
                content_version=content_version,
                results=rows_of_item,
                issued_at=issued_at,
                expires_at=expires_at,
                status_list=status_list,
                status_index=index,
            )
            if self.achievement is None:
                self.achievement = credentials.achievement_of(draft)  # type: ignore[arg-type]
            claims = credentials.credential_claims(
                draft,  # type: ignore[arg-type]
                signed_at=now,
                achievement=self.achievement,
                issuer=self.issuer_profile,
            )
            token = sign(claims)
            rows.append(
                {
                    "public_id": public_id,
                    "user_id": item.user_id,
                    "course_id": course.id,
                    "content_version_id": content_version.id,
                    "results": rows_of_item,
                    "issued_at": issued_at,
                    "expires_at": expires_at,
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
                    "subject_id": public_id,
                    "data": audit_data,
                    "request_id": "",
                }
            )
        insert_many(Certificate.__table__, rows)
        insert_many(AuditEvent.__table__, audits)
        self.summary.issued.extend(public_ids)


def insert_many(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """`session.execute(insert(table), rows)`, the same statement and values, for rows that
    repeat most of their values (dates, status, results, audit data): each distinct value is
    converted for the database once, not once per row, and the rows go to the driver's
    `executemany` as they are. Every row must give every column the statement writes."""
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=names, for_executemany=True)
    order = list(compiled.positiontup or ()) if compiled.positional else list(compiled.params)
    if set(order) != set(names) or len(order) != len(names):
        raise ValueError(f"the rows must give exactly the columns the INSERT writes: {order}")
    converters = [
        (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect), {})
        for name in order
    ]
    escaped = compiled.escaped_bind_names
    keys = [escaped.get(name, name) for name in order]
    parameters: list[Any] = []
    for row in rows:
        values: list[Any] = []
        for name, convert, converted in converters:
            value = row[name]
            if convert is not None:
                try:  # the rows keep every value alive, so no id is reused meanwhile
                    key = (type(value), value if isinstance(value, _BY_VALUE) else id(value))
                    value = converted[key]
                except KeyError:
                    value = converted[key] = convert(value)
            values.append(value)
        parameters.append(
            dialect.execute_sequence_format(values)
            if compiled.positional
            else dict(zip(keys, values, strict=True))
        )
    connection.exec_driver_sql(compiled.string, parameters)


#: Values converted once per distinct value; any other value is converted once per object.
_BY_VALUE = (str, int, dt.datetime, dt.date, enum.Enum)

#: Random byte -> id character: 32 letters divide 256, so its low five bits pick one uniformly.
_ID_CHARACTERS = bytes(ord(ids.ALPHABET[byte & 31]) for byte in range(256))


def new_public_ids(count: int) -> list[str]:
    """`count` fresh ids as `ids.new_public_id` makes them, from one call for random bytes."""
    size = ids.RANDOM_CHARS
    text = secrets.token_bytes(size * count).translate(_ID_CHARACTERS).decode("ascii")
    bodies = [text[start : start + size] for start in range(0, size * count, size)]
    return [ids.format_id(body + ids.check_character(body)) for body in bodies]
