"""Creating, revoking and checking personal API tokens (writes flush; the request commits)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.api.models import ApiToken, Scope
from lms.db import db, utcnow

TOKEN_PREFIX = "lms_"  # noqa: S105 (a marker, not a secret)
MAX_TOKENS_PER_USER = 20
#: last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be created or revoked; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def allowed_scopes(user: User) -> list[Scope]:
    """The scopes this person may give a token."""
    scopes = [Scope.VERIFY, Scope.HOLDER]
    if user.is_admin:
        scopes.append(Scope.ADMIN_READ)
    return scopes


def create_token(user: User, name: str, scope: Scope) -> tuple[ApiToken, str]:
    """Make a token for `user`; return the row and the token, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError(_("Give the token a name of 1 to 100 characters."))
    if scope not in allowed_scopes(user):
        raise TokenError(_("You cannot give a token this scope."))
    if len(tokens_of(user)) >= MAX_TOKENS_PER_USER:
        raise TokenError(_("You have too many tokens. Revoke one you no longer use first."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, scope=scope, token_hash=hash_token(raw), prefix=raw[:10]
    )
    db.session.add(token)
    db.session.flush()
    return token, raw


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens that are not revoked, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the person's own tokens for good."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.is_revoked:
        raise TokenError(_("No such token."))
    token.revoked_at = utcnow()
    db.session.flush()
    return token


def authenticate(raw: str) -> ApiToken | None:
    """The live token for this bearer string (recording its use), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).filter_by(token_hash=hash_token(raw)))
    if token is None or token.is_revoked or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.flush()
    return token
