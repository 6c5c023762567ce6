"""Two-factor authentication: enrolment, the code step of the login, recovery codes, and the
rule that admins must use it."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import sqlalchemy as sa
import time_machine

from lms.accounts.models import RecoveryCode, User
from lms.audit.models import AuditEvent
from lms.auth import two_factor
from lms.db import db
from tests.auth.two_factor_helpers import (
    code_step,
    enrol,
    password_step,
    secret_from_page,
    totp_code,
)
from tests.conftest import PASSWORD, login
from tests.factories import admin, trainee


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    """Time stands still 5 s into a 30-second step, so codes do not roll over mid-test."""
    start = (time.time() // 30) * 30 + 5
    with time_machine.travel(dt.datetime.fromtimestamp(start, dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def admins_need_two_factor(app):  # type: ignore[no-untyped-def]
    app.config["ADMIN_REQUIRE_2FA"] = True
    try:
        yield
    finally:
        app.config["ADMIN_REQUIRE_2FA"] = False


def actions(user: User) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.subject_type == "users", AuditEvent.subject_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )


# --- Enrolment ------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_then_needs_a_right_code(client):
    user = trainee()
    login(client, user.email)
    page = client.get("/auth/two-factor/setup")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert re.search(r'<img src="data:image/svg\+xml[^"]+"', html)
    secret = secret_from_page(html)
    assert "otpauth://totp/" in html

    wrong = client.post("/auth/two-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "not right" in wrong.get_data(as_text=True)
    assert db.session.get(User, user.id).two_factor_secret is None

    # The page shows the same key again until it is confirmed.
    assert secret_from_page(client.get("/auth/two-factor/setup").get_data(as_text=True)) == secret
    right = client.post("/auth/two-factor/setup", data={"code": totp_code(secret)})
    assert right.status_code == 302
    assert right.headers["Location"].endswith("/auth/two-factor/recovery-codes")
    assert db.session.get(User, user.id).has_two_factor
    assert "user.two_factor_enabled" in actions(user)

    shown = client.get("/auth/two-factor/recovery-codes")
    assert shown.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.get_data(as_text=True))
    assert len(set(codes)) == 10
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash).filter_by(user_id=user.id))
    stored_hashes = set(stored)
    assert len(stored_hashes) == 10
    assert not {c.replace("-", "") for c in codes} & stored_hashes
    # Shown once: the next visit sends to the management page.
    again = client.get("/auth/two-factor/recovery-codes")
    assert again.status_code == 302
    assert again.headers["Location"].endswith("/auth/two-factor/")


def test_secret_is_stored_encrypted_and_bound_to_its_account(app, client):
    user, other = trainee(), trainee()
    secret, _codes = enrol(app, user)
    enrol(app, other)
    stored = db.session.get(User, user.id).two_factor_secret
    with app.app_context():
        readable = two_factor.secret_text(secret)
        assert readable not in stored
        assert secret.hex() not in stored
        assert two_factor.user_secret(user) == secret
        # Copying one account's ciphertext onto another does not give a usable secret.
        other.two_factor_secret = stored
        assert two_factor.user_secret(other) is None
        db.session.rollback()
    # Another SECRET_KEY cannot read it.
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret-key"
    try:
        with app.app_context():
            assert two_factor.user_secret(user) is None
    finally:
        app.config["SECRET_KEY"] = original


def test_enrolment_needs_a_recent_password(client, clock):
    user = trainee()
    login(client, user.email)
    clock.shift(dt.timedelta(minutes=20))
    response = client.get("/auth/two-factor/setup")
    assert response.status_code == 302
    assert "/auth/reauthenticate" in response.headers["Location"]


# --- Logging in -----------------------------------------------------------------------------


def test_login_needs_the_code_after_the_password(app, client):
    user = trainee()
    secret, _codes = enrol(app, user)
    response = password_step(client, user)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login/code")
    assert client.get("/account/").status_code == 302
    code_page = client.get("/auth/login/code").get_data(as_text=True)
    assert re.search(r'<input [^>]*\bautofocus\b[^>]*id="code"', code_page)
    assert code_page.count("autofocus") == 1

    wrong = code_step(client, "123456" if totp_code(secret) != "123456" else "654321")
    assert wrong.status_code == 422
    assert client.get("/account/").status_code == 302

    right = code_step(client, totp_code(secret))
    assert right.status_code == 302
    assert client.get("/account/").status_code == 200


def test_the_page_asked_for_before_login_is_opened_after_the_code(app, client):
    user = trainee()
    secret, _codes = enrol(app, user)
    client.post("/auth/login?next=/account/", data={"email": user.email, "password": PASSWORD})
    assert code_step(client, totp_code(secret)).headers["Location"] == "/account/"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/account/",
        "/admin/users",
        "/auth/two-factor/",
        "/auth/two-factor/setup",
        "/notifications/",
        "/account/tokens/",
    ],
)
def test_a_half_logged_in_session_reaches_nothing(app, client, url):
    boss = admin()
    enrol(app, boss)
    password_step(client, boss)
    response = client.get(url)
    assert response.status_code in {302, 401, 404}
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]


def test_a_half_logged_in_session_cannot_act(app, client):
    user = trainee()
    enrol(app, user)
    password_step(client, user)
    response = client.post("/account/", data={"name": "Changed"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).name != "Changed"


def test_a_code_is_accepted_only_once(app, client):
    user = trainee()
    secret, _codes = enrol(app, user)
    code = totp_code(secret)
    password_step(client, user)
    assert code_step(client, code).status_code == 302
    client.post("/auth/logout")
    password_step(client, user)
    replay = code_step(client, code)
    assert replay.status_code == 422
    assert "used already" in replay.get_data(as_text=True)


def test_codes_of_the_neighbouring_steps_are_accepted_but_no_further(app, client):
    user = trainee()
    secret, _codes = enrol(app, user)
    password_step(client, user)
    assert code_step(client, totp_code(secret, time.time() + 60)).status_code == 422
    assert code_step(client, totp_code(secret, time.time() + 30)).status_code == 302
    client.post("/auth/logout")
    password_step(client, user)
    # The current code is older than the one just used: refused as well.
    assert code_step(client, totp_code(secret)).status_code == 422


def test_a_recovery_code_works_once_and_tells_the_owner(app, client, mail_outbox):
    user = trainee()
    _secret, codes = enrol(app, user)
    password_step(client, user)
    assert code_step(client, codes[3].upper()).status_code == 302
    assert client.get("/account/").status_code == 200
    assert "user.recovery_code_used" in actions(user)
    assert [m.subject for m in mail_outbox] == ["A recovery code was used to log in"]
    assert "9 unused codes are left" in mail_outbox[0].text
    client.post("/auth/logout")
    password_step(client, user)
    assert code_step(client, codes[3]).status_code == 422
    assert code_step(client, codes[4]).status_code == 302


def test_the_code_step_expires(app, client, clock):
    user = trainee()
    secret, _codes = enrol(app, user)
    password_step(client, user)
    clock.shift(dt.timedelta(minutes=11))
    response = code_step(client, totp_code(secret))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")
    assert client.get("/account/").status_code == 302


def test_a_password_reset_link_does_not_skip_the_code(app, client):
    from lms.accounts.models import TokenPurpose
    from lms.accounts.services import issue_token

    user = trainee()
    secret, _codes = enrol(app, user)
    with app.app_context():
        token = issue_token(user, TokenPurpose.PASSWORD_RESET, dt.timedelta(hours=1))
        db.session.commit()
    response = client.post(
        f"/auth/reset/{token}",
        data={"password": "a fresh long passphrase", "confirm": "a fresh long passphrase"},
    )
    assert response.headers["Location"].endswith("/auth/login/code")
    assert client.get("/account/").status_code == 302
    assert code_step(client, totp_code(secret)).status_code == 302
    assert client.get("/account/").status_code == 200


def test_the_code_step_is_rate_limited_per_account(app, client):
    user = trainee()
    secret, _codes = enrol(app, user)
    password_step(client, user)
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    for address in ["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4", "10.0.1.5"]:
        assert code_step(client, wrong, environ_base={"REMOTE_ADDR": address}).status_code == 422
    # Starting over with the password does not reset the count.
    password_step(client, user)
    locked = code_step(client, totp_code(secret), environ_base={"REMOTE_ADDR": "10.0.1.9"})
    assert locked.status_code == 429
    assert client.get("/account/").status_code == 302


# --- Managing it ----------------------------------------------------------------------------


def test_turning_it_off_needs_the_password_and_a_code(app, client, mail_outbox):
    user = trainee()
    secret, _codes = enrol(app, user)
    password_step(client, user)
    code_step(client, totp_code(secret))
    client.get("/auth/two-factor/")
    wrong_password = client.post(
        "/auth/two-factor/disable",
        data={"password": "not my password", "code": totp_code(secret, time.time() + 30)},
    )
    assert wrong_password.status_code == 422
    no_code = client.post("/auth/two-factor/disable", data={"password": PASSWORD, "code": "1"})
    assert no_code.status_code == 422
    assert db.session.get(User, user.id).has_two_factor

    done = client.post(
        "/auth/two-factor/disable",
        data={"password": PASSWORD, "code": totp_code(secret, time.time() + 30)},
    )
    assert done.status_code == 302
    refreshed = db.session.get(User, user.id)
    assert not refreshed.has_two_factor
    assert refreshed.two_factor_last_step is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert "user.two_factor_disabled" in actions(user)
    assert [m.subject for m in mail_outbox] == ["Two-factor authentication was turned off"]


def test_new_recovery_codes_replace_the_old_ones_after_a_recent_login(app, client, clock):
    user = trainee()
    secret, old_codes = enrol(app, user)
    password_step(client, user)
    code_step(client, totp_code(secret))
    clock.shift(dt.timedelta(minutes=20))
    stale = client.post("/auth/two-factor/recovery-codes/new")
    assert "/auth/reauthenticate" in stale.headers["Location"]
    client.post("/auth/reauthenticate", data={"password": PASSWORD})
    fresh = client.post("/auth/two-factor/recovery-codes/new")
    assert fresh.headers["Location"].endswith("/auth/two-factor/recovery-codes")
    page = client.get("/auth/two-factor/recovery-codes").get_data(as_text=True)
    new_codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    client.post("/auth/logout")
    password_step(client, user)
    assert code_step(client, old_codes[0]).status_code == 422
    assert code_step(client, new_codes[0]).status_code == 302


def test_the_account_page_shows_the_state(app, client):
    user = trainee()
    login(client, user.email)
    assert "Set up two-factor authentication" in client.get("/account/").get_data(as_text=True)
    enrol(app, user)
    assert "Recovery codes and turning it off" in client.get("/account/").get_data(as_text=True)


# --- Admins ---------------------------------------------------------------------------------


def test_an_admin_without_it_is_sent_to_enrol_before_anything_else(client, admins_need_two_factor):
    boss = admin()
    someone = trainee()
    login(client, boss.email)
    for url in ["/", "/admin/users", f"/admin/users/{someone.id}", "/admin/certificates"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/auth/two-factor/setup"), url
    action = client.post(
        f"/admin/users/{someone.id}",
        data={"name": "Renamed", "roles": ["trainee"], "active": "y"},
    )
    assert action.headers["Location"].endswith("/auth/two-factor/setup")
    assert db.session.get(User, someone.id).name != "Renamed"
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    assert "Administrators control accounts, certificates and signing keys" in page

    secret = secret_from_page(page)
    client.post("/auth/two-factor/setup", data={"code": totp_code(secret)})
    assert client.get("/admin/users").status_code == 200


def test_the_pages_left_open_to_an_admin_without_it_exist(app):
    from lms.auth.views import OPEN_WITHOUT_TWO_FACTOR

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not OPEN_WITHOUT_TWO_FACTOR - endpoints


def test_trainees_are_not_forced(client, admins_need_two_factor):
    user = trainee()
    login(client, user.email)
    assert client.get("/account/").status_code == 200


def test_the_rule_can_be_switched_off(client):
    boss = admin()
    login(client, boss.email)
    assert client.get("/admin/users").status_code == 200


# --- Command line ---------------------------------------------------------------------------


def test_command_line_prints_a_working_code_and_resets(app, client, runner, mail_outbox):
    user = trainee()
    enrol(app, user)
    printed = runner.invoke(args=["two-factor", "code", user.email])
    assert printed.exit_code == 0, printed.output
    password_step(client, user)
    assert code_step(client, printed.output.strip()).status_code == 302

    reset = runner.invoke(args=["two-factor", "reset", user.email])
    assert reset.exit_code == 0, reset.output
    assert not db.session.get(User, user.id).has_two_factor
    unknown = runner.invoke(args=["two-factor", "reset", "nobody@example.org"])
    assert unknown.exit_code != 0
