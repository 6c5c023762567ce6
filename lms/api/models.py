"""Personal API tokens: shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import TimestampMixin, db, enum_column


class Scope(enum.StrEnum):
    """What a token may do; each scope is one of these, never a mix."""

    #: Verification only (the public routes, with a budget of its own).
    VERIFY = "verify"
    #: The holder's own certificates; for a trainer also the progress of the cohorts they train.
    HOLDER = "holder"
    #: Read everything an admin can read (admins only).
    ADMIN_READ = "admin-read"


class ApiToken(TimestampMixin, db.Model):
    """A bearer token a person made for an HR system or a partner platform."""

    __tablename__ = "api_tokens"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: What the person calls it ("HR portal").
    name: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    scope: orm.Mapped[Scope] = orm.mapped_column(enum_column(Scope))
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, so that a person can tell their tokens apart.
    prefix: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    last_used_at: orm.Mapped[dt.datetime | None]
    revoked_at: orm.Mapped[dt.datetime | None]

    user = orm.relationship("User")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.scope.value} user={self.user_id}>"
