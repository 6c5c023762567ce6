"""Bulk issuing gives the same signed, verifiable certificates as issuing one by one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.certificates import bulk
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import CertificateError
from lms.certificates.verification import verify_token
from lms.courses.models import Course
from lms.db import db
from tests import factories


def _course() -> Course:
    course = db.session.scalars(sa.select(Course).order_by(Course.id)).first()
    assert course is not None
    assert course.current_version is not None
    return course


def _items(course: Course, users, level: int = 3) -> list[bulk.BulkItem]:  # type: ignore[no-untyped-def]
    codes = [ka["code"] for ka in course.current_version.snapshot["key_activities"]]
    return [
        bulk.BulkItem(user.id, user.name, [{"code": c, "level": level} for c in codes])
        for user in users
    ]


def test_each_certificate_is_signed_verifiable_and_audited(app_ctx):  # type: ignore[no-untyped-def]
    course = _course()
    users = [factories.trainee() for _ in range(3)]
    summary = bulk.issue_bulk(course, course.current_version, _items(course, users), batch_size=2)
    assert len(summary.issued) == 3
    certificates = list(
        db.session.scalars(sa.select(Certificate).where(Certificate.public_id.in_(summary.issued)))
    )
    assert {c.user_id for c in certificates} == {u.id for u in users}
    assert len({(c.status_list_id, c.status_index) for c in certificates}) == 3
    for certificate in certificates:
        assert certificate.status == CertificateStatus.VALID
        result = verify_token(certificate.credential)
        assert result.valid, result.failed
        assert result.payload["credentialSubject"]["name"] == certificate.user.name
    audited = db.session.scalars(
        sa.select(AuditEvent.subject_id).where(AuditEvent.action == "certificate.issued")
    )
    assert set(summary.issued) <= set(audited)


def test_holders_are_skipped_and_nothing_is_issued_twice(app_ctx):  # type: ignore[no-untyped-def]
    course = _course()
    users = [factories.trainee() for _ in range(2)]
    first = bulk.issue_bulk(course, course.current_version, _items(course, users[:1]))
    again = bulk.issue_bulk(course, course.current_version, _items(course, users + users))
    assert len(first.issued) == 1
    assert len(again.issued) == 1
    assert users[0].id in again.skipped
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Certificate)
        .where(Certificate.user_id.in_([u.id for u in users]))
    )
    assert count == 2


def test_bad_results_change_nothing(app_ctx):  # type: ignore[no-untyped-def]
    course = _course()
    user = factories.trainee()
    items = [bulk.BulkItem(user.id, user.name, [{"code": "nope", "level": 9}])]
    with pytest.raises(CertificateError, match="level"):
        bulk.issue_bulk(course, course.current_version, items)
    assert db.session.scalar(sa.select(Certificate).where(Certificate.user_id == user.id)) is None


def test_the_tokens_are_the_bytes_pyjwt_writes_for_the_same_claims(app_ctx):  # type: ignore[no-untyped-def]
    """The bulk signer writes the shared Achievement once; the result must not differ."""
    import jwt

    from lms.certificates import keys

    course = _course()
    # Names of three lengths in a row put the shared Achievement at each offset modulo 3,
    # where its base64 is spliced in; the others need escaping in JSON.
    names = ["Al", "Ada", "Alan", 'Quote " and urn:lms:achievement:x', "Zoë Ünal 😀 \\ /"]
    users = [factories.trainee(name=name) for name in names]
    summary = bulk.issue_bulk(course, course.current_version, _items(course, users))
    assert len(summary.issued) == len(names)
    key = keys.current_key()
    private = keys.load_private_key(key)
    for public_id in summary.issued:
        token = db.session.scalar(
            sa.select(Certificate.credential).where(Certificate.public_id == public_id)
        )
        claims = jwt.decode(token, options={"verify_signature": False})
        again = jwt.encode(
            claims, private, algorithm="EdDSA", headers={"kid": keys.kid_url(key.kid), "typ": "JWT"}
        )
        assert token == again


def test_the_signer_refuses_claims_that_would_hold_its_marker_twice(app_ctx):  # type: ignore[no-untyped-def]
    from lms.certificates import keys

    key = keys.ensure_signing_key()
    signer = bulk._Signer(keys.load_private_key(key), {"kid": "k", "typ": "JWT"})
    claims = {"name": signer.marker, "credentialSubject": {"achievement": {"id": "a"}}}
    with pytest.raises(ValueError, match="marker"):
        signer.sign(claims)


def test_the_rows_are_written_as_an_insert_would_write_them(app_ctx):  # type: ignore[no-untyped-def]
    """The batch INSERT converts each repeated value once; what is stored must not differ."""
    import datetime as dt

    table = AuditEvent.__table__
    at = dt.datetime(2030, 2, 28, 23, 59, 58, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    data = {"key": "k", "supersedes": None, "bulk": True, "list": [1, "ü"]}
    rows = [
        {
            "at": at,
            "actor_id": None,
            "action": "test.bulk",
            "subject_type": "certificates",
            "subject_id": subject,
            "data": {"a": data, "b": data, "c": {}, "d": None}[subject],  # None: JSON null
            "request_id": "",
        }
        for subject in ("a", "b", "c", "d")
    ]
    bulk.insert_many(table, rows)
    db.session.execute(sa.insert(table), [{**row, "action": "test.plain"} for row in rows])
    stored = db.session.execute(
        sa.select(table).where(table.c.action.in_(["test.bulk", "test.plain"])).order_by(table.c.id)
    ).all()
    assert len(stored) == 8
    by_insert = [row._asdict() for row in stored[:4]]
    by_execute = [row._asdict() for row in stored[4:]]
    for row in by_insert + by_execute:
        del row["id"], row["action"]
    assert by_insert == by_execute
    assert by_insert[0]["at"] == at
    assert by_insert[0]["data"] == data
    raw = db.session.execute(
        sa.text(
            "SELECT CAST(data AS TEXT) FROM audit_events WHERE action LIKE 'test.%' ORDER BY id"
        )
    ).scalars()
    texts = list(raw)
    assert texts[:4] == texts[4:]


def test_the_batch_insert_refuses_rows_without_a_column_it_writes(app_ctx):  # type: ignore[no-untyped-def]
    row = {"action": "test.bulk", "subject_type": "x", "subject_id": "y", "actor_id": None}
    with pytest.raises(ValueError, match="columns"):
        bulk.insert_many(AuditEvent.__table__, [row])  # `at`, `data`, `request_id` have defaults


def test_public_ids_are_valid_and_distinct(app_ctx):  # type: ignore[no-untyped-def]
    from lms.certificates import ids

    made = bulk.new_public_ids(500)
    assert len(set(made)) == 500
    assert all(ids.normalise_public_id(public_id) == public_id for public_id in made)
    assert all(len(public_id) == len(ids.new_public_id()) for public_id in made)


def test_remembered_results_still_refuse_what_normalising_refuses(app_ctx):  # type: ignore[no-untyped-def]
    """Results are normalised once per distinct set of levels; a look-alike is not the same."""
    course = _course()
    users = [factories.trainee() for _ in range(2)]
    good = _items(course, users[:1], level=1)
    codes = [ka["code"] for ka in course.current_version.snapshot["key_activities"]]
    bad = [bulk.BulkItem(users[1].id, users[1].name, [{"code": c, "level": True} for c in codes])]
    with pytest.raises(CertificateError, match="level"):
        bulk.issue_bulk(course, course.current_version, good + bad)


def test_a_given_issue_date_is_kept_to_the_second(app_ctx):  # type: ignore[no-untyped-def]
    import datetime as dt

    from lms.certificates.services import add_years

    course = _course()
    user = factories.trainee()
    issued_at = dt.datetime(2024, 2, 29, 12, 34, 56, 789, tzinfo=dt.UTC)
    (item,) = _items(course, [user])
    item = bulk.BulkItem(item.user_id, item.name, iter(item.results), issued_at=issued_at)
    summary = bulk.issue_bulk(course, course.current_version, [item])
    certificate = db.session.scalars(
        sa.select(Certificate).where(Certificate.public_id == summary.issued[0])
    ).one()
    years = course.current_version.snapshot.get("validity_years") or course.validity_years
    assert certificate.issued_at == issued_at.replace(microsecond=0)
    assert certificate.expires_at == add_years(issued_at.replace(microsecond=0), int(years))
    payload = verify_token(certificate.credential).payload
    assert payload["validFrom"] == "2024-02-29T12:34:56Z"
    assert payload["nbf"] == int(issued_at.replace(microsecond=0).timestamp())
