"""Changing one's e-mail address: a fresh login, the password, a unique address, a notice."""

import datetime as dt

import sqlalchemy as sa
import time_machine

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.db import db
from tests.conftest import PASSWORD, login
from tests.factories import trainee


def test_the_address_changes_and_the_old_one_is_told(client, mail_outbox):
    user = trainee(email="old@example.org")
    login(client, user.email)
    response = client.post(
        "/account/email", data={"email": "New@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert db.session.get(User, user.id).email == "new@example.org"
    assert mail_outbox[-1].to == "old@example.org"
    assert "new@example.org" in mail_outbox[-1].text
    entry = db.session.scalar(sa.select(AuditEvent).filter_by(action="user.email_changed"))
    assert entry.data == {"before": "old@example.org", "after": "new@example.org"}
    client.post("/auth/logout")
    assert login(client, "new@example.org").status_code == 302


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
