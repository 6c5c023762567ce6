"""Invitation and password-reset links: single use, expiring, bound to one account."""

import datetime as dt

import time_machine

from lms.accounts.models import Role, User
from lms.db import db
from tests.conftest import PASSWORD, links_in, login, page_without_csrf_tokens
from tests.factories import admin, trainee

NEW_PASSWORD = "my new coaching passphrase"


def _reset_link(client, outbox, email):
    client.post("/auth/forgot", data={"email": email})
    assert outbox, "no mail was sent"
    link = links_in(outbox[-1].text)[0]
    return link


def _path(link):
    return link.removeprefix("https://lms.example.test")


def test_reset_link_uses_the_configured_base_url_whatever_the_host(client, mail_outbox):
    user = trainee()
    client.post("/auth/forgot", data={"email": user.email}, headers={"Host": "attacker.example"})
    link = links_in(mail_outbox[-1].text)[0]
    assert link.startswith("https://lms.example.test/auth/reset/")


def test_forgot_password_answers_the_same_for_known_and_unknown(client, mail_outbox):
    trainee(email="known@example.org")
    known = client.post("/auth/forgot", data={"email": "known@example.org"})
    unknown = client.post("/auth/forgot", data={"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert page_without_csrf_tokens(known) == page_without_csrf_tokens(unknown)
    assert len(mail_outbox) == 1


def test_reset_link_sets_the_password_once(client, mail_outbox):
    user = trainee()
    link = _path(_reset_link(client, mail_outbox, user.email))
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    client.post("/auth/logout")
    assert login(client, user.email, NEW_PASSWORD).status_code == 302
    client.post("/auth/logout")
    reused = client.post(
        link, data={"password": "another passphrase!", "confirm": "another passphrase!"}
    )
    assert reused.status_code == 404
    assert login(client, user.email, "another passphrase!").status_code == 422


def test_reset_link_expires(client, mail_outbox):
    user = trainee()
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        link = _path(_reset_link(client, mail_outbox, user.email))
        clock.shift(dt.timedelta(minutes=61))
        response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    assert login(client, user.email, PASSWORD).status_code == 302


def test_reset_link_only_changes_its_own_account(client, mail_outbox):
    alice = trainee()
    bob = trainee()
    link = _path(_reset_link(client, mail_outbox, alice.email))
    client.post(
        link,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "email": bob.email,
            "user_id": bob.id,
        },
    )
    client.post("/auth/logout")
    assert login(client, bob.email, NEW_PASSWORD).status_code == 422
    assert login(client, bob.email, PASSWORD).status_code == 302


def test_a_weak_password_is_refused_and_the_link_stays_usable(client, mail_outbox):
    user = trainee()
    link = _path(_reset_link(client, mail_outbox, user.email))
    for weak in ["short", "password1234", "aaaaaaaaaaaaaa", "x" * 129]:
        response = client.post(link, data={"password": weak, "confirm": weak})
        assert response.status_code == 422
    assert client.get(link).status_code == 200


def test_reset_ends_existing_sessions(app, client, mail_outbox):
    user = trainee()
    browser = app.test_client()
    login(browser, user.email)
    link = _path(_reset_link(client, mail_outbox, user.email))
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert browser.get("/account/").status_code == 302


def test_invitation_flow(client, mail_outbox):
    boss = admin()
    login(client, boss.email)
    response = client.post(
        "/admin/users/invite",
        data={
            "email": "New.Coach@Example.org",
            "name": "Nina Neu",
            "roles": ["trainee"],
            "organisation_id": boss.organisation_id,
        },
    )
    assert response.status_code == 302
    invitee = db.session.query(User).filter_by(email="new.coach@example.org").one()
    assert invitee.roles == {Role.TRAINEE}
    assert not invitee.has_password
    link = _path(links_in(mail_outbox[-1].text)[0])
    client.post("/auth/logout")
    page = client.get(link)
    assert "Nina Neu" in page.get_data(as_text=True)
    accepted = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/auth/logout")
    assert (
        client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 404
    )
    assert login(client, "new.coach@example.org", NEW_PASSWORD).status_code == 302


def test_invitation_expires(client, mail_outbox):
    boss = admin()
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        login(client, boss.email)
        client.post(
            "/admin/users/invite",
            data={
                "email": "late@example.org",
                "name": "Late Larry",
                "roles": ["trainee"],
                "organisation_id": 0,
            },
        )
        link = _path(links_in(mail_outbox[-1].text)[0])
        client.post("/auth/logout")
        clock.shift(dt.timedelta(days=8))
        assert client.get(link).status_code == 404


def test_inviting_a_known_address_answers_the_same(client, mail_outbox):
    boss = admin()
    existing = trainee(email="known@example.org")
    login(client, boss.email)
    known = client.post(
        "/admin/users/invite",
        data={
            "email": "known@example.org",
            "name": "Whoever",
            "roles": ["admin"],
            "organisation_id": 0,
        },
    )
    unknown = client.post(
        "/admin/users/invite",
        data={
            "email": "unknown@example.org",
            "name": "Whoever",
            "roles": ["admin"],
            "organisation_id": 0,
        },
    )
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert existing.roles == {Role.TRAINEE}
    assert "already have an account" in mail_outbox[0].text


def test_mail_is_sent_only_after_the_commit(client, mail_outbox, monkeypatch, errors_as_pages):
    """A request that fails after queueing a mail sends nothing."""
    from lms.accounts import services

    user = trainee()

    def explode(*args, **kwargs):
        raise RuntimeError("audit store down")

    original = services.request_password_reset

    def reset_then_fail(email):
        original(email)
        explode()

    monkeypatch.setattr(services, "request_password_reset", reset_then_fail)
    response = client.post("/auth/forgot", data={"email": user.email})
    assert response.status_code == 500
    assert mail_outbox == []


def test_mail_waits_for_the_outer_commit_not_a_savepoint(app, db_session, mail_outbox):
    from lms.notifications.mail import queue_mail

    with app.test_request_context():
        user = trainee()
        queue_mail(user.email, "Hello", "password_reset", user=user, url="https://x", minutes=5)
        with db.session.begin_nested():
            db.session.flush()
        assert mail_outbox == []
        savepoint = db.session.begin_nested()
        db.session.flush()
        savepoint.rollback()  # a savepoint rolled back keeps the outer transaction's mail
        db.session.commit()
    assert len(mail_outbox) == 1
