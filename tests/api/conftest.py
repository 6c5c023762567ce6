"""Helpers for the API tests: tokens made straight through the service."""

from __future__ import annotations

from flask import Flask

from lms.accounts.models import User
from lms.api import services
from lms.api.models import Scope
from lms.db import db
from tests.certificates.conftest import issued  # noqa: F401  (a committed certificate)


def make_token(app: Flask, user: User, scope: Scope, name: str = "HR portal") -> str:
    """A committed token (into the test's transaction) for `user`; return the bearer string."""
    with app.app_context():
        _row, raw = services.create_token(db.session.merge(user), name, scope)
        db.session.commit()
    return raw


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
