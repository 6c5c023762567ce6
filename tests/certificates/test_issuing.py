"""Issuing, approving, revoking, suspending, reinstating, renewing and expiring certificates."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditEvent
from lms.certificates import services, statuslist
from lms.certificates.models import (
    Certificate,
    CertificateStatus,
    CredentialIsImmutable,
)
from lms.certificates.services import CertificateError
from lms.certificates.verification import verify_token
from lms.db import db, utcnow
from tests.certificates.conftest import COACH, OPEN_INNOVATION, course, issue, results_for
from tests.factories import admin, trainee


def _actions(certificate: Certificate) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .filter_by(subject_type="certificates", subject_id=certificate.public_id)
            .order_by(AuditEvent.id)
        )
    )


def _bit(certificate: Certificate) -> bool:
    assert certificate.status_list is not None
    assert certificate.status_index is not None
    return statuslist.bit_is_set(certificate.status_list.bits, certificate.status_index)


def test_issuing_signs_a_credential_with_results_dates_and_a_status_entry(imported):
    holder = trainee(name="Grace Hopper")
    certificate = issue(holder, level=3)
    assert certificate.status == CertificateStatus.VALID
    assert certificate.issued_at is not None
    assert certificate.expires_at is not None
    years = course(COACH).validity_years
    assert certificate.expires_at.year == certificate.issued_at.year + years
    assert [row["code"] for row in certificate.results][:2] == ["KA1", "KA2"]
    assert all(
        row["level"] == 3 and row["level_name"] == "proficient" for row in certificate.results
    )
    assert certificate.credential
    assert certificate.key_id
    assert certificate.credential_sha256
    assert certificate.status_index is not None
    assert not _bit(certificate)
    assert verify_token(certificate.credential).valid
    assert _actions(certificate) == ["certificate.issued"]


def test_issuing_twice_returns_the_one_valid_certificate(imported):
    holder = trainee()
    first = issue(holder)
    again = issue(holder, level=4)
    assert again.id == first.id
    other_course = issue(holder, slug=OPEN_INNOVATION)
    assert other_course.id != first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 2


def test_the_database_itself_refuses_a_second_valid_certificate(imported):
    first = issue()
    clone = Certificate(
        public_id="CC-0000-0000-0000-0000-0000",
        user_id=first.user_id,
        course_id=first.course_id,
        content_version_id=first.content_version_id,
        results=first.results,
        status=CertificateStatus.VALID,
    )
    savepoint = db.session.begin_nested()
    db.session.add(clone)
    with pytest.raises(IntegrityError):
        db.session.flush()
    savepoint.rollback()
    # A revoked one does not count: a new valid certificate may follow it.
    services.revoke(first, "Issued by mistake", None)
    second = issue(first.user)
    assert second.id != first.id


def test_results_must_cover_every_key_activity_with_a_level_0_to_4(imported):
    found = course()
    assert found.current_version is not None
    results = results_for(found)
    with pytest.raises(CertificateError, match="missing: KA1"):
        services.issue_certificate(trainee(), found, found.current_version, results[1:])
    with pytest.raises(CertificateError, match="unknown: KA99"):
        services.issue_certificate(
            trainee(), found, found.current_version, [*results, {"code": "KA99", "level": 2}]
        )
    results[0]["level"] = 5
    with pytest.raises(CertificateError, match="0 to 4"):
        services.issue_certificate(trainee(), found, found.current_version, results)


def test_a_content_version_of_another_course_is_refused(imported):
    other = course(OPEN_INNOVATION)
    with pytest.raises(CertificateError, match="another course"):
        services.issue_certificate(trainee(), course(), other.current_version, results_for(other))


def test_pending_certificates_wait_for_approval_then_are_signed(imported):
    holder, approver = trainee(), admin()
    pending = issue(holder, slug=OPEN_INNOVATION, pending=True)
    assert pending.status == CertificateStatus.PENDING_APPROVAL
    assert pending.credential is None
    assert pending.issued_at is None
    assert issue(holder, slug=OPEN_INNOVATION).id == pending.id  # still the one
    services.approve(pending, approver)
    assert pending.status == CertificateStatus.VALID
    assert pending.approved_by_id == approver.id
    assert pending.credential is not None
    assert verify_token(pending.credential).valid
    with pytest.raises(CertificateError, match="not waiting"):
        services.approve(pending, approver)
    assert _actions(pending) == ["certificate.requested", "certificate.approved"]


def test_revoking_sets_the_status_bit_and_is_audited_even_when_repeated(certificate):
    actor = admin()
    services.revoke(certificate, "  Plagiarised case study  ", actor)
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "Plagiarised case study"
    assert certificate.revoked_at is not None
    assert _bit(certificate)
    first_date = certificate.revoked_at
    services.revoke(certificate, "Another reason", actor)
    assert certificate.revoked_at == first_date
    assert certificate.revocation_reason == "Plagiarised case study"
    assert _actions(certificate)[-2:] == ["certificate.revoked", "certificate.revoke_repeated"]
    result = verify_token(certificate.credential)
    assert not result.valid
    assert result.status == "revoked"
    assert "Plagiarised case study" in result.check("status").detail
    with pytest.raises(CertificateError, match="reason"):
        services.revoke(issue(), "   ", actor)


def test_un_revoking_restores_the_certificate_and_leaves_an_audit_entry(certificate):
    actor = admin()
    services.revoke(certificate, "Wrong trainee", actor)
    services.reinstate(certificate, actor, reason="Revoked in error")
    assert certificate.status == CertificateStatus.VALID
    assert certificate.revoked_at is None
    assert not _bit(certificate)
    entry = db.session.scalar(
        sa.select(AuditEvent).filter_by(
            action="certificate.reinstated", subject_id=certificate.public_id
        )
    )
    assert entry is not None
    assert entry.data["previous"] == "revoked"
    assert entry.data["revocation_reason"] == "Wrong trainee"
    assert verify_token(certificate.credential).valid


def test_suspending_and_reinstating_flip_the_status_bit(certificate):
    actor = admin()
    services.suspend(certificate, "Complaint under investigation", actor)
    assert certificate.status == CertificateStatus.SUSPENDED
    assert _bit(certificate)
    result = verify_token(certificate.credential)
    assert (result.valid, result.status) == (False, "suspended")
    with pytest.raises(CertificateError, match="only a valid"):
        services.suspend(certificate, "again", actor)
    services.reinstate(certificate, actor)
    assert certificate.status == CertificateStatus.VALID
    assert not _bit(certificate)
    assert verify_token(certificate.credential).valid
    with pytest.raises(CertificateError, match="only a suspended or revoked"):
        services.reinstate(certificate, actor)
    assert _actions(certificate)[-2:] == ["certificate.suspended", "certificate.reinstated"]


def test_a_suspended_certificate_cannot_come_back_beside_a_newer_valid_one(certificate):
    actor = admin()
    services.suspend(certificate, "Investigation", actor)
    newer = issue(certificate.user)
    assert newer.id != certificate.id
    with pytest.raises(CertificateError, match="another valid certificate"):
        services.reinstate(certificate, actor)
    assert certificate.status == CertificateStatus.SUSPENDED


def test_renewing_supersedes_the_old_certificate(certificate):
    actor = admin()
    renewed = services.renew(certificate, actor)
    assert renewed.id != certificate.id
    assert renewed.public_id != certificate.public_id
    assert renewed.supersedes_id == certificate.id
    assert certificate.status == CertificateStatus.SUPERSEDED
    assert _bit(certificate)
    assert renewed.status == CertificateStatus.VALID
    assert renewed.results == certificate.results
    old = verify_token(certificate.credential)
    assert (old.valid, old.status) == (False, "superseded")
    assert renewed.public_id in old.check("status").detail
    assert verify_token(renewed.credential).valid
    with pytest.raises(CertificateError, match="only a valid or expired"):
        services.renew(certificate, actor)


def test_expire_due_marks_only_certificates_past_their_date(imported):
    due, later = issue(), issue()
    due.expires_at = utcnow() - dt.timedelta(days=1)
    db.session.flush()
    assert services.expire_due() == 1
    assert due.status == CertificateStatus.EXPIRED
    assert later.status == CertificateStatus.VALID
    assert services.expire_due() == 0
    assert "certificate.expired" in _actions(due)
    in_ten_years = utcnow() + dt.timedelta(days=3660)
    assert services.expire_due(in_ten_years) == 1


def test_a_signed_credential_cannot_be_changed_outside_reissue(certificate):
    certificate.credential = certificate.credential + "x"
    with pytest.raises(CredentialIsImmutable):
        db.session.flush()
    db.session.rollback()


def test_leap_day_certificates_expire_on_28_february():
    leap = dt.datetime(2028, 2, 29, 12, tzinfo=dt.UTC)
    assert services.add_years(leap, 3) == dt.datetime(2031, 2, 28, 12, tzinfo=dt.UTC)
