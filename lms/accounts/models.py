"""People and the organisations they belong to."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import orm

from lms.db import TimestampMixin, db, enum_column


class Role(enum.StrEnum):
    TRAINEE = "trainee"
    TRAINER = "trainer"
    ADMIN = "admin"


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name, not a password)
    EMAIL_CHANGE = "email_change"


class Organisation(TimestampMixin, db.Model):
    """An SME intermediary or innovation agency that coaches belong to."""

    __tablename__ = "organisations"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    #: Display name, unique.
    name: orm.Mapped[str] = orm.mapped_column(sa.String(200), unique=True)
    #: ISO 3166-1 alpha-2 country code, upper case.
    country: orm.Mapped[str] = orm.mapped_column(sa.String(2), index=True)
    #: Region within the country (free text, e.g. "Saxony-Anhalt").
    region: orm.Mapped[str] = orm.mapped_column(sa.String(120), default="", index=True)

    members: orm.WriteOnlyMapped[User] = orm.relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(UserMixin, TimestampMixin, db.Model):
    """An account: trainee, trainer, admin, or several of these."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    #: Login e-mail, stored lower-cased so that uniqueness ignores case.
    email: orm.Mapped[str] = orm.mapped_column(sa.String(254), unique=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    #: scrypt hash; None until an invitation is accepted.
    password_hash: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    organisation_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    #: Inactive accounts cannot log in; their sessions end.
    active: orm.Mapped[bool] = orm.mapped_column(default=True)
    last_login_at: orm.Mapped[dt.datetime | None]
    #: Preferred interface language (en, de, fr); None follows the browser.
    locale: orm.Mapped[str | None] = orm.mapped_column(sa.String(8))
    #: IANA time zone name for dates shown to this user.
    timezone: orm.Mapped[str] = orm.mapped_column(sa.String(64), default="Europe/Brussels")
    #: TOTP secret for two-factor authentication, encrypted (lms.auth.two_factor); None: off.
    two_factor_secret: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    #: When two-factor authentication was turned on.
    two_factor_enabled_at: orm.Mapped[dt.datetime | None]
    #: The last TOTP time step accepted, so that no code is accepted twice.
    two_factor_last_step: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)

    organisation: orm.Mapped[Organisation | None] = orm.relationship(back_populates="members")
    role_rows: orm.Mapped[list[UserRole]] = orm.relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    #: The server-side session this request is authenticated by (set by the user loader).
    current_session = None  # a UserSession, or None outside a request

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_trainer(self) -> bool:
        return Role.TRAINER in self.roles

    @property
    def is_trainee(self) -> bool:
        return Role.TRAINEE in self.roles

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_secret is not None

    def get_id(self) -> str:  # Flask-Login keeps the session token, not the user id
        if self.current_session is None:
            raise RuntimeError("get_id() needs a server-side session; use start_session()")
        return self.current_session.cookie_token


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: orm.Mapped[Role] = orm.mapped_column(enum_column(Role), primary_key=True)

    user: orm.Mapped[User] = orm.relationship(back_populates="role_rows")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role.value}>"


class UserSession(TimestampMixin, db.Model):
    """A login, revocable on the server: logout or a password change ends it for good."""

    __tablename__ = "user_sessions"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the random token kept in the signed session cookie.
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    last_seen_at: orm.Mapped[dt.datetime | None]
    revoked_at: orm.Mapped[dt.datetime | None]
    user_agent: orm.Mapped[str] = orm.mapped_column(sa.String(255), default="")

    user: orm.Mapped[User] = orm.relationship()

    #: The raw token, known only in the request that created the session.
    cookie_token = ""

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"


class AccountToken(TimestampMixin, db.Model):
    """A single-use, expiring link sent by e-mail: an invitation, a password reset, or the
    confirmation of a new e-mail address (sent to that address)."""

    __tablename__ = "account_tokens"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: orm.Mapped[TokenPurpose] = orm.mapped_column(enum_column(TokenPurpose))
    #: SHA-256 of the token in the link; the link itself is never stored.
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    expires_at: orm.Mapped[dt.datetime]
    used_at: orm.Mapped[dt.datetime | None]
    #: The address an e-mail change link confirms (None for the other purposes).
    new_email: orm.Mapped[str | None] = orm.mapped_column(sa.String(254))

    user: orm.Mapped[User] = orm.relationship()

    def __repr__(self) -> str:
        return f"<AccountToken {self.id} {self.purpose.value} user={self.user_id}>"


class RecoveryCode(db.Model):
    """A one-time code that stands in for a TOTP code when the authenticator is lost."""

    __tablename__ = "recovery_codes"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: Keyed hash (HMAC-SHA-256) of the code; the code itself is shown once and never stored.
    code_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    used_at: orm.Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"
