"""Accounts: creating people, passwords, server-side sessions, invitation and reset links."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import orm

from lms.accounts.models import (
    AccountToken,
    Organisation,
    Role,
    TokenPurpose,
    User,
    UserRole,
    UserSession,
)
from lms.accounts.passwords import hash_password, password_problems, verify_password
from lms.audit import services as audit
from lms.db import db, utcnow
from lms.i18n import speaking_to
from lms.notifications.mail import queue_mail
from lms.urls import absolute_url

#: How often a session's last-seen time is written, to avoid a write on every request.
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=5)


class AccountError(ValueError):
    """A request about an account that cannot be carried out; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).filter_by(email=normalise_email(email)))


def check_password(user: User, password: str) -> None:
    """Raise AccountError when `password` breaks the password rule for `user`."""
    problems = password_problems(password, email=user.email, name=user.name)
    if problems:
        raise AccountError(" ".join(problems), field="password")


def create_user(
    email: str,
    name: str,
    roles: Iterable[Role],
    *,
    organisation: Organisation | None = None,
    password: str | None = None,
    actor: User | None = None,
) -> User:
    """Create an account; raise AccountError if the e-mail is taken or the password is weak."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."), "email")
    user = User(email=email, name=name.strip(), organisation=organisation, active=True)
    user.role_rows = [UserRole(role=role) for role in sorted(set(roles))]
    if password is not None:
        check_password(user, password)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created", "users", user.id, actor=actor, email=email, roles=sorted(user.roles)
    )
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (same work either way)."""
    user = find_user_by_email(email)
    if user is None:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def set_password(user: User, password: str, *, keep: UserSession | None = None) -> None:
    """Change the password and end every session except `keep`."""
    check_password(user, password)
    user.password_hash = hash_password(password)
    revoke_sessions(user, keep=keep)
    audit.record("user.password_changed", "users", user.id, actor=user)


def start_session(user: User, user_agent: str = "") -> UserSession:
    """Open a server-side session for a login; its raw token goes in the session cookie."""
    token = secrets.token_urlsafe(32)
    row = UserSession(user=user, token_hash=sha256(token), user_agent=user_agent[:255])
    row.last_seen_at = utcnow()
    row.cookie_token = token
    db.session.add(row)
    user.current_session = row
    user.last_login_at = utcnow()
    db.session.flush()
    return row


def load_session_user(token: str) -> User | None:
    """Return the user of a live session token, or None if it was revoked or is unknown."""
    row = (
        db.session.execute(
            sa.select(UserSession)
            .filter_by(token_hash=sha256(token), revoked_at=None)
            # The user and their roles come with the session: every page reads both.
            .options(orm.joinedload(UserSession.user).joinedload(User.role_rows))
        )
        .unique()
        .scalar_one_or_none()
    )
    if row is None or not row.user.active:
        return None
    row.cookie_token = token
    now = utcnow()
    if row.last_seen_at is None or now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
    row.user.current_session = row
    return row.user


def end_session(row: UserSession) -> None:
    row.revoked_at = utcnow()


def revoke_sessions(user: User, *, keep: UserSession | None = None) -> None:
    """End all of a user's sessions (but `keep`)."""
    query = (
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep is not None and keep.id is not None:
        query = query.where(UserSession.id != keep.id)
    db.session.execute(query)


# --- Links sent by e-mail -------------------------------------------------------------------


def issue_token(
    user: User, purpose: TokenPurpose, ttl: dt.timedelta, *, new_email: str | None = None
) -> str:
    """Create a single-use link token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user=user,
            purpose=purpose,
            token_hash=sha256(token),
            expires_at=utcnow() + ttl,
            new_email=new_email,
        )
    )
    return token


def find_valid_token(token: str, purpose: TokenPurpose) -> AccountToken | None:
    """Return the unexpired, unused token row for a link, or None."""
    row = db.session.scalar(
        sa.select(AccountToken).filter_by(token_hash=sha256(token), purpose=purpose)
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def _use_up_links(user: User, purpose: TokenPurpose) -> None:
    """Mark every unused link of this kind of the user as used: one works, once."""
    db.session.execute(
        sa.update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def redeem_token(row: AccountToken, password: str) -> User:
    """Use a link token to set the password; every other link of that kind dies with it."""
    user = row.user
    check_password(user, password)
    _use_up_links(user, row.purpose)
    user.password_hash = hash_password(password)
    revoke_sessions(user)
    audit.record(f"user.{row.purpose.value}_used", "users", user.id, actor=user)
    return user


def invite_user(
    email: str,
    name: str,
    roles: Iterable[Role],
    *,
    organisation: Organisation | None,
    actor: User,
) -> None:
    """Invite someone by e-mail. An existing account gets a sign-in hint instead, so the
    answer to the inviter is the same whether or not the address is known."""
    existing = find_user_by_email(email)
    if existing is not None:
        with speaking_to(existing):
            queue_mail(
                existing.email,
                _("You already have an account"),
                "account_exists",
                user=existing,
                login_url=absolute_url("auth.login"),
                reset_url=absolute_url("auth.forgot_password"),
            )
        audit.record("user.invite_existing", "users", existing.id, actor=actor)
        return
    user = create_user(email, name, roles, organisation=organisation, actor=actor)
    send_invitation(user, actor=actor)


def send_invitation(user: User, *, actor: User) -> None:
    """E-mail a fresh invitation link (earlier ones stay valid until they expire or one is used)."""
    hours = int(current_app.config["INVITATION_TTL_HOURS"])
    token = issue_token(user, TokenPurpose.INVITATION, dt.timedelta(hours=hours))
    queue_mail(
        user.email,
        _("You are invited to the Cooperation Coach accreditation"),
        "invitation",
        user=user,
        inviter=actor,
        url=absolute_url("auth.accept_invitation", token=token),
        hours=hours,
    )
    audit.record("user.invited", "users", user.id, actor=actor)


def request_password_reset(email: str) -> None:
    """Send a reset link if an active account has this e-mail; do nothing visible otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.has_password:
        return
    minutes = int(current_app.config["RESET_TTL_MINUTES"])
    token = issue_token(user, TokenPurpose.PASSWORD_RESET, dt.timedelta(minutes=minutes))
    with speaking_to(user):
        queue_mail(
            user.email,
            _("Reset your password"),
            "password_reset",
            user=user,
            url=absolute_url("auth.reset_password", token=token),
            minutes=minutes,
        )
    audit.record("user.password_reset_requested", "users", user.id)


def update_user(
    user: User,
    *,
    name: str,
    roles: Iterable[Role],
    organisation: Organisation | None,
    active: bool,
    actor: User,
) -> None:
    """Change a user's profile, roles, organisation or active flag, recording before and after."""
    new_roles = set(roles)
    if user.id == actor.id and Role.ADMIN not in new_roles:
        raise AccountError(_("You cannot remove your own admin role."), "roles")
    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."), "active")
    before = _snapshot(user)
    user.name = name.strip()
    user.organisation = organisation
    user.active = active
    current = {row.role: row for row in user.role_rows}
    user.role_rows = [current.get(role) or UserRole(role=role) for role in sorted(new_roles)]
    if not active:
        revoke_sessions(user)
    after = _snapshot(user)
    if before != after:
        audit.record("user.updated", "users", user.id, actor=actor, before=before, after=after)


def _snapshot(user: User) -> dict[str, object]:
    return {
        "name": user.name,
        "roles": sorted(role.value for role in user.roles),
        "organisation_id": user.organisation.id if user.organisation else None,
        "active": user.active,
    }


def save_organisation(
    organisation: Organisation | None, *, name: str, country: str, region: str, actor: User
) -> Organisation:
    """Create or update an organisation; raise AccountError if the name is taken."""
    name = name.strip()
    clash = db.session.scalar(sa.select(Organisation).filter(Organisation.name == name))
    if clash is not None and clash is not organisation:
        raise AccountError(_("An organisation with this name already exists."), "name")
    if organisation is None:
        organisation = Organisation()
        db.session.add(organisation)
    organisation.name = name
    organisation.country = country.strip().upper()
    organisation.region = region.strip()
    db.session.flush()
    audit.record(
        "organisation.saved",
        "organisations",
        organisation.id,
        actor=actor,
        name=name,
        country=organisation.country,
        region=organisation.region,
    )
    return organisation


#: How long the link that confirms a new e-mail address works.
EMAIL_CHANGE_LINK_HOURS = 24


def request_email_change(user: User, new_email: str) -> str:
    """Send a link to the new address; the account moves to it only when the link is opened.

    So nobody moves an account to an address they do not read (a typing mistake would lock
    its owner out) or claims someone else's. An earlier link stops working. Returns the
    normalised new address.
    """
    email = _available_email(user, new_email)
    _use_up_links(user, TokenPurpose.EMAIL_CHANGE)
    token = issue_token(
        user,
        TokenPurpose.EMAIL_CHANGE,
        dt.timedelta(hours=EMAIL_CHANGE_LINK_HOURS),
        new_email=email,
    )
    with speaking_to(user):
        queue_mail(
            email,
            _("Confirm your new e-mail address"),
            "email_change_confirm",
            user=user,
            new_email=email,
            confirm_url=absolute_url("accounts.confirm_email", token=token),
            hours=EMAIL_CHANGE_LINK_HOURS,
        )
    audit.record(
        "user.email_change_requested", "users", user.id, actor=user, before=user.email, after=email
    )
    return email


def confirm_email_change(row: AccountToken) -> User:
    """Open a confirmation link: the account's login address becomes the one it was sent to."""
    if row.purpose != TokenPurpose.EMAIL_CHANGE or row.new_email is None:
        raise AccountError(_("This link does not confirm an e-mail address."))
    user = row.user
    _use_up_links(user, TokenPurpose.EMAIL_CHANGE)
    change_email(user, row.new_email)
    return user


def _available_email(user: User, new_email: str) -> str:
    email = normalise_email(new_email)
    if email == user.email:
        raise AccountError(_("That is already your e-mail address."), "email")
    if find_user_by_email(email) is not None:
        raise AccountError(_("Another account uses this e-mail address."), "email")
    return email


def change_email(user: User, new_email: str) -> str:
    """Give the account a new login e-mail; tell the old address. Returns the old one."""
    email = _available_email(user, new_email)
    old = user.email
    user.email = email
    db.session.flush()
    with speaking_to(user):
        queue_mail(
            old,
            _("Your e-mail address was changed"),
            "email_changed",
            user=user,
            new_email=email,
            reset_url=absolute_url("auth.forgot_password"),
        )
    audit.record("user.email_changed", "users", user.id, actor=user, before=old, after=email)
    return old
