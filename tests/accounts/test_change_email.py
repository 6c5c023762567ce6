"""Changing one's e-mail address: a fresh login, the password, a unique address, a link sent to
the new address that must be opened, and a notice to the old one."""

import datetime as dt

import sqlalchemy as sa
import time_machine

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.db import db
from tests.conftest import PASSWORD, links_in, login
from tests.factories import trainee


def _request_change(client, outbox, new_email: str) -> str:  # type: ignore[no-untyped-def]
    """Ask for the change on My account; return the path of the link sent to `new_email`."""
    response = client.post("/account/email", data={"email": new_email, "password": PASSWORD})
    assert response.status_code == 302
    assert outbox[-1].to == new_email.lower()
    return links_in(outbox[-1].text)[0].removeprefix("https://lms.example.test")


def test_the_address_changes_only_when_the_link_sent_to_it_is_opened(client, mail_outbox):
    user = trainee(email="old@example.org")
    login(client, user.email)
    link = _request_change(client, mail_outbox, "New@Example.org")
    assert link.startswith("/account/email/confirm/")
    assert db.session.get(User, user.id).email == "old@example.org"
    requested = db.session.scalar(
        sa.select(AuditEvent).filter_by(action="user.email_change_requested")
    )
    assert requested.data == {"before": "old@example.org", "after": "new@example.org"}

    page = client.get(link)  # what a mail scanner following the link does: nothing changes
    assert page.status_code == 200
    assert "new@example.org" in page.get_data(as_text=True)
    assert db.session.get(User, user.id).email == "old@example.org"

    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/account/")
    assert db.session.get(User, user.id).email == "new@example.org"
    assert mail_outbox[-1].to == "old@example.org"
    assert "new@example.org" in mail_outbox[-1].text
    entry = db.session.scalar(sa.select(AuditEvent).filter_by(action="user.email_changed"))
    assert entry.data == {"before": "old@example.org", "after": "new@example.org"}
    client.post("/auth/logout")
    assert login(client, "new@example.org").status_code == 302


def test_the_link_works_once_and_only_the_newest_one(client, app, mail_outbox):
    user = trainee(email="me@example.org")
    login(client, user.email)
    first = _request_change(client, mail_outbox, "first@example.org")
    second = _request_change(client, mail_outbox, "second@example.org")
    assert client.post(first).status_code == 404
    other_browser = app.test_client()  # the link opened on a phone, not signed in
    done = other_browser.post(second)
    assert done.status_code == 302
    assert "/auth/login" in done.headers["Location"]
    assert db.session.get(User, user.id).email == "second@example.org"
    again = other_browser.get(second)
    assert again.status_code == 404
    assert "This link does not work" in again.get_data(as_text=True)


def test_an_expired_link_changes_nothing(client, mail_outbox):
    user = trainee(email="me@example.org")
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        login(client, user.email)
        link = _request_change(client, mail_outbox, "late@example.org")
        clock.shift(dt.timedelta(hours=24, minutes=1))
        assert client.post(link).status_code == 404
    assert db.session.get(User, user.id).email == "me@example.org"


def test_an_address_taken_in_the_meantime_is_refused_when_confirming(client, mail_outbox):
    user = trainee(email="me@example.org")
    login(client, user.email)
    link = _request_change(client, mail_outbox, "wanted@example.org")
    trainee(email="wanted@example.org")
    refused = client.post(link)
    assert refused.status_code == 409
    assert "Another account uses this e-mail address." in refused.get_data(as_text=True)
    assert db.session.get(User, user.id).email == "me@example.org"


def test_wrong_password_or_taken_address_changes_nothing(client):
    user = trainee(email="me@example.org")
    trainee(email="taken@example.org")
    login(client, user.email)
    wrong = client.post(
        "/account/email", data={"email": "x@example.org", "password": "not my password!"}
    )
    taken = client.post("/account/email", data={"email": "TAKEN@example.org", "password": PASSWORD})
    assert wrong.status_code == taken.status_code == 422
    assert "Another account uses this e-mail address." in taken.get_data(as_text=True)
    assert db.session.get(User, user.id).email == "me@example.org"


def test_changing_the_address_needs_a_fresh_login(client):
    user = trainee()
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        login(client, user.email)
        clock.shift(dt.timedelta(minutes=30))
        response = client.get("/account/email")
        assert response.status_code == 302
        assert "/auth/reauthenticate" in response.headers["Location"]
        posted = client.post(
            "/account/email", data={"email": "y@example.org", "password": PASSWORD}
        )
        assert "/auth/reauthenticate" in posted.headers["Location"]
    assert db.session.get(User, user.id).email == user.email
