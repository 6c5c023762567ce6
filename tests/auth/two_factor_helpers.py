"""Helpers for tests of two-factor authentication: codes computed independently of the app."""

from __future__ import annotations

import base64
import re
import time

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from lms.accounts.models import User
from lms.auth import two_factor
from lms.db import db
from tests.conftest import PASSWORD


def totp_code(secret: bytes, at: float | None = None) -> str:
    """The code an authenticator app shows at time `at` (now by default)."""
    moment = time.time() if at is None else at
    return TOTP(secret, 6, SHA1(), 30).generate(moment).decode()  # noqa: S303 (RFC 6238)


def secret_from_page(html: str) -> bytes:
    """The key printed for typing into the app, as the person would read it."""
    match = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', html)
    assert match, "no secret on the page"
    text = match.group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def enrol(app, user: User) -> tuple[bytes, list[str]]:  # type: ignore[no-untyped-def]
    """Turn two-factor on for `user` directly; the code of the step before now is spent."""
    secret = two_factor.new_secret()
    with app.app_context():
        user = db.session.merge(user)  # attached again if a request has come and gone
        codes = two_factor.enable(user, secret, totp_code(secret, time.time() - 30))
        db.session.commit()  # into the test's transaction, before the context removes the session
    return secret, codes


def password_step(client, user: User):  # type: ignore[no-untyped-def]
    return client.post("/auth/login", data={"email": user.email, "password": PASSWORD})


def code_step(client, code: str, **kwargs):  # type: ignore[no-untyped-def]
    return client.post("/auth/login/code", data={"code": code}, **kwargs)
