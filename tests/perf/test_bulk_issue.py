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
    users = [factories.trainee(), factories.trainee(name='Quote " and urn:lms:achievement:x')]
    summary = bulk.issue_bulk(course, course.current_version, _items(course, users))
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
