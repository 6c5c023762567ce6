"""The admin page of undelivered mail, and a person's notification preferences."""

from __future__ import annotations

import pytest

from lms.db import db
from lms.notifications import services as notifications
from lms.notifications.models import OutboxMessage, OutboxState
from tests.conftest import login
from tests.factories import admin, trainee, trainer


def test_admins_see_failed_and_pending_mail(client):
    boss = admin()
    db.session.add_all(
        [
            OutboxMessage(
                recipient="a@example.org",
                subject="Stuck one",
                text="x",
                state=OutboxState.FAILED,
                attempts=8,
                last_error="refused",
            ),
            OutboxMessage(
                recipient="b@example.org",
                subject="Delivered one",
                text="x",
                state=OutboxState.SENT,
                attempts=1,
            ),
        ]
    )
    db.session.commit()
    login(client, boss.email)
    page = client.get("/notifications/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Stuck one" in html
    assert "refused" in html
    assert "Delivered one" not in html


@pytest.mark.parametrize("make", [trainee, trainer])
def test_others_cannot_open_the_outbox(client, make):
    person = make()
    db.session.commit()
    login(client, person.email)
    assert client.get("/notifications/outbox").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/notifications/outbox")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_a_person_turns_reminders_off_on_the_account_page(client, app):
    person = trainee()
    db.session.commit()
    login(client, person.email)
    page = client.get("/account/").get_data(as_text=True)
    assert 'name="reminders"' in page
    response = client.post("/notifications/preferences", data={})
    assert response.status_code == 302
    with app.app_context():
        assert not notifications.wants(person.id, notifications.Category.REMINDERS)
    client.post("/notifications/preferences", data={"reminders": "on"})
    with app.app_context():
        assert notifications.wants(person.id, notifications.Category.REMINDERS)
