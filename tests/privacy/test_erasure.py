"""Erasure: nothing of the person is left in any table or in the upload folder, but what the
person chose to keep for their certificates; requests, refusals and approvals by admins."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.assessments import uploads
from lms.assessments.models import Submission
from lms.audit.models import AuditEvent
from lms.certificates.models import CertificateStatus
from lms.certificates.verification import verify_token
from lms.db import db
from lms.notifications.models import Notification, OutboxMessage
from lms.privacy import services as privacy
from lms.privacy.models import CertificateChoice, ErasureRequest, ErasureState
from lms.privacy.schema import user_references
from lms.scheduler.registry import run_job
from tests.conftest import login
from tests.privacy.conftest import (
    EMAIL,
    NAME,
    OLD_EMAIL,
    PENDING_EMAIL,
    certificate,
    erasure_request,
    mentions,
    populate,
)


def _references_to(uid: int) -> set[tuple[str, str]]:
    found = set()
    for ref in user_references():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(ref.table).where(ref.column == uid)
        )
        if count:
            found.add((ref.table.name, ref.column.name))
    return found


@pytest.mark.parametrize("choice", list(CertificateChoice))
def test_after_erasure_no_table_and_no_folder_holds_the_person(app, committed, mail_outbox, choice):
    with app.app_context():
        people = populate(app, choice)
        db.session.commit()
        uid = people.person.id
        copy = certificate(people.certificate_id).credential  # what the holder downloaded
        mine = [uploads.path_of(name) for name in people.stored_names]
        theirs = [uploads.path_of(name) for name in people.other_stored_names]
        assert all(path.is_file() for path in mine + theirs)
        assert mentions(PENDING_EMAIL)  # the scan finds them before
        assert mentions(NAME, EMAIL, OLD_EMAIL)

        with app.test_request_context():
            privacy.approve(erasure_request(uid), people.admin)
        db.session.commit()
        assert [mail.to for mail in mail_outbox][-1] == EMAIL  # the goodbye e-mail went out
        run_job("privacy-retention")  # and is then deleted from the outbox

        kept = mentions(NAME, EMAIL, OLD_EMAIL, PENDING_EMAIL)
        if choice == CertificateChoice.KEEP:
            assert kept == [("users", "name")]
        else:
            assert kept == []
        assert not any(path.exists() for path in mine), "the person's files are gone"
        assert all(path.is_file() for path in theirs), "other people's files stay"

        held = certificate(people.certificate_id)
        references = _references_to(uid)
        if choice == CertificateChoice.KEEP:
            assert references == {("certificates", "user_id")}
            assert verify_token(held.credential).valid
            placeholder = db.session.get(User, uid)
            assert placeholder.name == NAME
            assert not placeholder.active
            assert placeholder.password_hash is None
        else:
            assert references == {("certificates", "user_id")}
            assert held.status == CertificateStatus.REVOKED
            assert held.credential is None
            checked = verify_token(copy)  # an employer checks the copy: told it is revoked
            assert not checked.valid
            assert checked.status == "revoked"
            assert held.credential_sha256
            assert db.session.get(User, uid).name == privacy.PLACEHOLDER_NAME
        assert db.session.get(Submission, people.submission_id) is None
        assert db.session.get(Submission, people.other_submission_id) is not None
        row = erasure_request(uid)
        assert row.state == ErasureState.ERASED
        assert row.farewell_outbox_id is None
        actions = set(
            db.session.scalars(
                sa.select(AuditEvent.action).where(
                    AuditEvent.subject_type == "users", AuditEvent.subject_id == str(uid)
                )
            )
        )
        assert {"privacy.erasure_requested", "privacy.erasure_approved", "privacy.erased"} <= (
            actions
        )
        if db.session.get_bind().dialect.name == "postgresql":
            # The audit trail's guard is back on once the erasure is done.
            table = AuditEvent.__table__
            with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
                db.session.execute(sa.update(table).values(action="rewritten"))


def test_a_person_without_certificates_is_deleted_outright(app, committed, mail_outbox):
    with app.app_context():
        people = populate(app)
        db.session.execute(
            sa.delete(Certificate_table()).where(Certificate_table().c.user_id == people.person.id)
        )
        db.session.commit()
        uid = people.person.id
        with app.test_request_context():
            summary = privacy.approve(erasure_request(uid), people.admin)
        db.session.commit()
        assert summary["account"] == "deleted"
        assert db.session.get(User, uid) is None
        assert _references_to(uid) == set()
        assert erasure_request(uid).user_id is None
        assert mentions(NAME, EMAIL, OLD_EMAIL) == [("outbox_messages", "recipient")]
        run_job("privacy-retention")
        assert mentions(NAME, EMAIL, OLD_EMAIL) == []


def Certificate_table():  # noqa: N802
    return db.metadata.tables["certificates"]


def _fresh(client) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as session:
        session["auth_at"] = int(time.time())


def test_a_person_asks_once_and_may_withdraw(app, client, people):
    with app.app_context():
        told = db.session.scalars(
            sa.select(Notification).where(Notification.kind == "erasure_requested")
        ).one()
        assert told.user_id == people.admin.id  # every admin, here the only one
    login(client, EMAIL)
    page = client.get("/privacy/my-data").get_data(as_text=True)
    assert "Withdraw my request" in page  # the fixture asked already
    response = client.post(
        "/privacy/my-data/erasure", data={"certificates": "keep", "confirm": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ErasureRequest)) == 1
    client.post("/privacy/my-data/erasure/withdraw")
    with app.app_context():
        assert erasure_request(people.person.id).state == ErasureState.WITHDRAWN
    page = client.get("/privacy/my-data").get_data(as_text=True)
    assert "Keep them verifiable" in page  # the person holds a certificate: a choice to make
    assert "Earlier requests" in page
    response = client.post("/privacy/my-data/erasure", data={"certificates": "keep"})
    assert response.status_code == 422  # not confirmed: nothing asked
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    response = client.post(
        "/privacy/my-data/erasure", data={"certificates": "keep", "confirm": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert privacy.pending_request(db.session.get(User, people.person.id)).certificates == (
            CertificateChoice.KEEP
        )


def test_an_admin_refuses_with_a_reason_and_the_person_is_told(app, client, people, mail_outbox):
    login(client, people.admin.email)
    row_id = erasure_request(people.person.id).id
    page = client.get(f"/privacy/admin/{row_id}").get_data(as_text=True)
    assert "1 submission is waiting for a grade" in page
    assert client.post(f"/privacy/admin/{row_id}/refuse", data={"reason": " "}).status_code == 422
    with app.app_context():
        assert erasure_request(people.person.id).state == ErasureState.PENDING
    reason = "An appeal about your grade is still open."
    response = client.post(f"/privacy/admin/{row_id}/refuse", data={"reason": reason})
    assert response.status_code == 302
    with app.app_context():
        row = erasure_request(people.person.id)
        assert (row.state, row.refusal_reason) == (ErasureState.REFUSED, reason)
        note = db.session.scalars(
            sa.select(Notification).where(
                Notification.user_id == people.person.id, Notification.kind == "erasure_refused"
            )
        ).one()
        assert note.body == reason
        assert db.session.get(User, people.person.id).active
    assert any(mail.to == EMAIL and reason in mail.text for mail in mail_outbox)
    again = client.post(f"/privacy/admin/{row_id}/approve", data={"confirm": "y"})
    assert again.status_code == 422  # already decided
    with app.app_context():
        assert db.session.get(User, people.person.id) is not None


def test_approval_through_the_page_erases_and_logs_the_person_out(app, client, people):
    person = app.test_client()
    login(person, EMAIL)
    assert person.get("/privacy/my-data").status_code == 200
    login(client, people.admin.email)
    _fresh(client)
    row_id = erasure_request(people.person.id).id
    unconfirmed = client.post(f"/privacy/admin/{row_id}/approve", data={})
    assert unconfirmed.status_code == 422
    response = client.post(f"/privacy/admin/{row_id}/approve", data={"confirm": "y"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The account is erased" in page
    assert NAME not in page
    assert person.get("/privacy/my-data").status_code == 302  # the session ended
    assert login(person, EMAIL).status_code != 302


def test_admins_cannot_decide_their_own_request_and_pending_certificates_block(app, client, people):
    with app.app_context():
        with app.test_request_context():
            own = privacy.request_erasure(db.session.merge(people.admin), CertificateChoice.KEEP)
        db.session.commit()
        own_id = own.id
        held = certificate(people.certificate_id)
        held.status = CertificateStatus.PENDING_APPROVAL
        db.session.commit()
    login(client, people.admin.email)
    _fresh(client)
    response = client.post(f"/privacy/admin/{own_id}/approve", data={"confirm": "y"})
    assert response.status_code == 422
    assert "Another admin must decide" in response.get_data(as_text=True)
    row_id = erasure_request(people.person.id).id
    response = client.post(f"/privacy/admin/{row_id}/approve", data={"confirm": "y"})
    assert response.status_code == 422
    assert "waiting for approval" in response.get_data(as_text=True)
    with app.app_context():
        assert erasure_request(people.person.id).state == ErasureState.PENDING
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage)
        )  # nothing was deleted


def test_the_privacy_page_is_public_and_names_the_cookies(app, client, people):
    response = client.get("/privacy/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    login(client, EMAIL)
    names = {cookie.key for cookie in client._cookies.values()}  # noqa: SLF001
    assert names  # the login set the session cookie
    for name in names:
        assert f"<code>{name}</code>" in page
    assert "365 days after your cohort ends" in page
    assert 'href="/privacy/"' in client.get("/privacy/my-data").get_data(as_text=True)


def test_two_requests_at_once_leave_one(app, people, monkeypatch):
    """Two clicks that both passed the check before either wrote: the index keeps one."""
    monkeypatch.setattr(privacy, "pending_request", lambda user: None)
    with app.app_context(), app.test_request_context():
        person = db.session.get(User, people.person.id)
        with pytest.raises(privacy.PrivacyError, match="already asked"):
            privacy.request_erasure(person, CertificateChoice.KEEP)
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ErasureRequest)
            .where(ErasureRequest.state == ErasureState.PENDING)
        )
        assert count == 1
