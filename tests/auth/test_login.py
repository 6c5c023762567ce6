import datetime as dt

import pytest
import time_machine

from lms.accounts.models import UserSession
from lms.db import db
from tests.conftest import PASSWORD, csrf_token_from, login, page_without_csrf_tokens
from tests.factories import admin, trainee


def _body_without_volatile_parts(response) -> str:
    # The echoed e-mail differs by construction; everything else must be identical.
    text = page_without_csrf_tokens(response)
    return text.replace("unknown@example.org", "X").replace("known@example.org", "X")


def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    trainee(email="known@example.org")
    known = client.post("/auth/login", data={"email": "known@example.org", "password": "x" * 14})
    unknown = client.post(
        "/auth/login", data={"email": "unknown@example.org", "password": "x" * 14}
    )
    assert known.status_code == unknown.status_code == 422
    assert _body_without_volatile_parts(known) == _body_without_volatile_parts(unknown)
    assert "not correct" in known.get_data(as_text=True)


def test_email_is_case_insensitive(client):
    trainee(email="coach@example.org")
    response = login(client, "  Coach@Example.ORG ")
    assert response.status_code == 302


def test_inactive_account_cannot_log_in(client):
    user = trainee(active=False)
    assert login(client, user.email).status_code == 422


def test_invited_account_without_password_cannot_log_in(client):
    user = trainee(invited=True)
    assert login(client, user.email, "").status_code == 422
    assert login(client, user.email, PASSWORD).status_code == 422


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, caplog):
    user = trainee()
    for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]:
        response = client.post(
            "/auth/login",
            data={"email": user.email, "password": "wrong password!"},
            environ_base={"REMOTE_ADDR": address},
        )
        assert response.status_code == 422
    locked = client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers
    assert "Login throttled" in caplog.text


def test_throttling_answers_the_same_for_unknown_accounts(client):
    for _ in range(5):
        client.post("/auth/login", data={"email": "ghost@example.org", "password": "nope" * 4})
    assert (
        client.post(
            "/auth/login", data={"email": "ghost@example.org", "password": "nope" * 4}
        ).status_code
        == 429
    )


def test_successful_logins_do_not_count_towards_the_lock(client):
    user = trainee()
    for _ in range(8):
        assert login(client, user.email).status_code == 302
        client.post("/auth/logout")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "%09//evil.example",
        "\t//evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "///evil.example",
    ],
)
def test_unsafe_next_sends_home(client, target):
    user = trainee()
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_local_next_is_followed(client):
    user = trainee()
    response = client.post(
        "/auth/login",
        query_string={"next": "/account/"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/account/"


def test_login_without_csrf_token_is_refused(client, csrf_enabled):
    user = trainee()
    response = login(client, user.email)
    assert response.status_code == 400
    assert client.get("/account/").status_code == 302  # still anonymous


def test_login_with_another_sessions_csrf_token_is_refused(app, client, csrf_enabled):
    user = trainee()
    other = app.test_client()
    foreign_token = csrf_token_from(other.get("/auth/login").get_data(as_text=True))
    client.get("/auth/login")
    response = client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": foreign_token},
    )
    assert response.status_code == 400


def test_login_with_its_own_csrf_token_works(client, csrf_enabled):
    user = trainee()
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_session_cookie_changes_at_login(client):
    user = trainee()
    client.get("/auth/login")
    client.set_cookie("lms_session", "pre-login-value")
    login(client, user.email)
    assert client.get_cookie("lms_session").value != "pre-login-value"


def test_cookie_replayed_after_logout_is_anonymous(client):
    user = trainee()
    login(client, user.email)
    cookie = client.get_cookie("lms_session").value
    assert client.post("/auth/logout").status_code == 302
    client.set_cookie("lms_session", cookie)
    response = client.get("/account/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_password_change_ends_the_other_sessions(app, client):
    user = trainee()
    other_browser = app.test_client()
    login(client, user.email)
    login(other_browser, user.email)
    response = client.post(
        "/account/password",
        data={
            "pw-current": PASSWORD,
            "pw-password": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other_browser.get("/account/").status_code == 302


def test_session_cookie_flags(client):
    user = trainee()
    response = login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Domain" not in cookie


def test_logout_needs_post(client):
    user = trainee()
    login(client, user.email)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/account/").status_code == 200


def test_sensitive_admin_page_needs_a_fresh_login(client):
    boss = admin()
    someone = trainee()
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        login(client, boss.email)
        assert client.get(f"/admin/users/{someone.id}").status_code == 200
        clock.shift(dt.timedelta(minutes=20))
        response = client.get(f"/admin/users/{someone.id}")
        assert response.status_code == 302
        assert "/auth/reauthenticate" in response.headers["Location"]
        again = client.post(response.headers["Location"], data={"password": PASSWORD})
        assert again.headers["Location"] == f"/admin/users/{someone.id}"
        assert client.get(f"/admin/users/{someone.id}").status_code == 200


def test_sessions_are_recorded_on_the_server(client):
    user = trainee()
    login(client, user.email)
    rows = db.session.query(UserSession).filter_by(user_id=user.id).all()
    assert len(rows) == 1
    assert rows[0].revoked_at is None
    client.post("/auth/logout")
    assert db.session.get(UserSession, rows[0].id).revoked_at is not None


def _autofocused(html: str) -> list[str]:
    import re

    return re.findall(
        r'<input [^>]*\bautofocus\b[^>]*\bid="(\w+)"|<input [^>]*\bid="(\w+)"[^>]*\bautofocus\b',
        html,
    )


def test_the_login_page_starts_in_the_e_mail_field_and_a_retry_in_the_password(client):
    fresh = client.get("/auth/login").get_data(as_text=True)
    assert [a or b for a, b in _autofocused(fresh)] == ["email"]
    trainee(email="known@example.org")
    retry = client.post("/auth/login", data={"email": "known@example.org", "password": "x" * 14})
    assert [a or b for a, b in _autofocused(retry.get_data(as_text=True))] == ["password"]
    empty = client.post("/auth/login", data={"email": "", "password": ""})
    assert [a or b for a, b in _autofocused(empty.get_data(as_text=True))] == ["email"]
