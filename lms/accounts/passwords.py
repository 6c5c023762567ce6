"""The password rule: 12-128 characters, not a common password, not the user's own e-mail."""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128
#: scrypt at werkzeug's cost (N=2**15, r=8, p=1): about a tenth of a second per guess.
DEFAULT_METHOD = "scrypt"


def _method() -> str:
    """The hashing method: the default, except that a test configuration may make it cheaper
    (PASSWORD_HASH_METHOD), which is honoured only with TESTING on so no deployment can."""
    if has_app_context() and current_app.testing:
        return str(current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_METHOD))
    return DEFAULT_METHOD


@cache
def _dummy_hash(method: str) -> str:
    """A fixed hash to compare against when the account does not exist, so that a wrong
    e-mail costs the same time as a wrong password."""
    return generate_password_hash("timing-equaliser-not-a-password", method=method)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("lms").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Return what is wrong with a new password (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(str(_l("Use at least %(n)d characters.", n=MIN_LENGTH)))
    if len(password) > MAX_LENGTH:
        problems.append(str(_l("Use at most %(n)d characters.", n=MAX_LENGTH)))
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        problems.append(str(_l("This password is too common; choose another.")))
    if email and lowered in {email.lower(), email.lower().split("@")[0]}:
        problems.append(str(_l("Do not use your e-mail address as your password.")))
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        problems.append(str(_l("Do not use your name as your password.")))
    return problems


def hash_password(password: str, method: str | None = None) -> str:
    return generate_password_hash(password, method=method or _method())


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant work whether or not the account has one."""
    if password_hash is None:
        check_password_hash(_dummy_hash(_method()), password)
        return False
    return check_password_hash(password_hash, password)
