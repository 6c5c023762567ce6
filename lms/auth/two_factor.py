"""Two-factor authentication: TOTP (RFC 6238) codes from an authenticator app, and one-time
recovery codes for when the app is lost.

The TOTP secret is stored encrypted with AES-GCM under a key derived from SECRET_KEY (HKDF);
recovery codes are stored as keyed hashes under another derived key. Changing SECRET_KEY
therefore switches off every enrolment in effect: people then log in with a password only
after an administrator turned their two-factor authentication off (`lms two-factor reset`).
Secrets and codes are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from urllib.parse import quote

import segno
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.twofactor.hotp import HOTP
from flask import current_app
from flask_babel import gettext as _

from lms.accounts.models import RecoveryCode, User
from lms.audit import services as audit
from lms.db import db, utcnow
from lms.i18n import speaking_to
from lms.notifications.mail import queue_mail
from lms.urls import absolute_url

log = logging.getLogger(__name__)

#: Seconds per TOTP time step, digits per code (what every authenticator app uses).
TIME_STEP = 30
DIGITS = 6
#: Steps either side of now that are still accepted (clocks drift; people type slowly).
WINDOW = 1
#: Bytes of secret (160 bits, as RFC 4226 recommends).
SECRET_BYTES = 20
RECOVERY_CODE_COUNT = 10
#: Recovery codes: 10 characters from an alphabet without look-alikes (about 50 bits).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
#: How long a secret shown for enrolment stays valid before it must be confirmed.
SETUP_TTL_SECONDS = 15 * 60


class TwoFactorError(ValueError):
    """A two-factor request that cannot be carried out; the message says why."""


# --- Keys and encryption --------------------------------------------------------------------


def _derived_key(purpose: bytes) -> bytes:
    secret_key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key)


def seal(plaintext: bytes, context: str) -> str:
    """Encrypt `plaintext` bound to `context` (opening it under another context fails)."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_derived_key(b"lms two-factor secret v1")).encrypt(
        nonce, plaintext, context.encode()
    )
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(token: str, context: str) -> bytes | None:
    """Decrypt what `seal` made for `context`, or None if it was altered or the key changed."""
    if not token.startswith("v1:"):
        return None
    try:
        raw = base64.urlsafe_b64decode(token[3:].encode("ascii"))
        return AESGCM(_derived_key(b"lms two-factor secret v1")).decrypt(
            raw[:12], raw[12:], context.encode()
        )
    except (InvalidTag, ValueError):
        return None


def _user_context(user: User) -> str:
    return f"user:{user.id}"


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def secret_text(secret: bytes) -> str:
    """The secret in base32, as authenticator apps take it when typed in."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def user_secret(user: User) -> bytes | None:
    """The decrypted TOTP secret of `user`, or None if off or unreadable."""
    if user.two_factor_secret is None:
        return None
    secret = unseal(user.two_factor_secret, _user_context(user))
    if secret is None:
        log.error("The two-factor secret of user %s cannot be decrypted", user.id)
    return secret


# --- Enrolment (the secret waits, encrypted, in the session until confirmed) -----------------


def seal_setup(user: User, secret: bytes) -> str:
    payload = json.dumps({"s": secret_text(secret), "t": int(time.time())}).encode()
    return seal(payload, f"setup:{user.id}")


def unseal_setup(user: User, token: object) -> bytes | None:
    """The secret being enrolled, if `token` is one of ours for `user` and not too old."""
    if not isinstance(token, str):
        return None
    payload = unseal(token, f"setup:{user.id}")
    if payload is None:
        return None
    data = json.loads(payload)
    if time.time() - int(data["t"]) > SETUP_TTL_SECONDS:
        return None
    return _b32decode(str(data["s"]))


def _b32decode(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def provisioning_uri(user: User, secret: bytes) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code."""
    issuer = str(current_app.config["ISSUER_NAME"])
    label = quote(f"{issuer}:{user.email}", safe="@:")
    return (
        f"otpauth://totp/{label}?secret={secret_text(secret)}&issuer={quote(issuer)}"
        f"&algorithm=SHA1&digits={DIGITS}&period={TIME_STEP}"
    )


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URI (an <img> source; no inline style needed)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


# --- Codes ----------------------------------------------------------------------------------


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // TIME_STEP)


def code_at(secret: bytes, step: int) -> str:
    # HMAC-SHA-1 is what RFC 6238 and every authenticator app use for TOTP.
    hotp = HOTP(secret, DIGITS, hashes.SHA1())  # noqa: S303 (HMAC, not a bare hash)
    return hotp.generate(step).decode("ascii")


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def matching_step(secret: bytes, code: str, after: int | None) -> int | None:
    """The time step within the window whose code is `code`, later than step `after`."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = current_step()
    for step in range(now - WINDOW, now + WINDOW + 1):
        if (after is None or step > after) and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def enable(user: User, secret: bytes, code: str) -> list[str]:
    """Turn two-factor on once `code` proves the app holds `secret`; return recovery codes."""
    if user.has_two_factor:
        raise TwoFactorError(_("Two-factor authentication is already on."))
    step = matching_step(secret, code, None)
    if step is None:
        raise TwoFactorError(
            _("That code is not right. Check the time on your phone and type the newest code.")
        )
    user.two_factor_secret = seal(secret, _user_context(user))
    user.two_factor_enabled_at = utcnow()
    user.two_factor_last_step = step
    codes = _new_recovery_codes(user)
    audit.record("user.two_factor_enabled", "users", user.id, actor=user)
    return codes


def disable(user: User, *, actor: User | None) -> None:
    """Turn two-factor off, forget the secret and the recovery codes, tell the owner."""
    user.two_factor_secret = None
    user.two_factor_enabled_at = None
    user.two_factor_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("user.two_factor_disabled", "users", user.id, actor=actor)
    with speaking_to(user):  # an admin may have turned it off: the owner reads the mail
        queue_mail(
            user.email,
            _("Two-factor authentication was turned off"),
            "two_factor_disabled",
            user=user,
            reset_url=absolute_url("auth.forgot_password"),
        )


def use_totp(user: User, code: str) -> bool:
    """Accept `code` if it is current and unused; it can never be used again."""
    secret = user_secret(user)
    if secret is None:
        return False
    step = matching_step(secret, code, user.two_factor_last_step)
    if step is None:
        return False
    # A conditional update, so two requests racing with one code cannot both win.
    last = User.two_factor_last_step
    result = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, sa.or_(last.is_(None), last < step))
        .values(two_factor_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.two_factor_last_step = step
    return True


# --- Recovery codes -------------------------------------------------------------------------


def _code_hash(code: str) -> str:
    key = _derived_key(b"lms recovery codes v1")
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(raw)))
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of `user` with ten new ones (the old ones stop working)."""
    if not user.has_two_factor:
        raise TwoFactorError(_("Two-factor authentication is off."))
    codes = _new_recovery_codes(user)
    audit.record("user.recovery_codes_generated", "users", user.id, actor=user)
    return codes


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def use_recovery_code(user: User, code: str) -> bool:
    """Accept an unused recovery code once; record it and tell the owner by e-mail."""
    normalised = normalise_code(code)
    if len(normalised) != _RECOVERY_LENGTH:
        return False
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    left = recovery_codes_left(user)
    audit.record("user.recovery_code_used", "users", user.id, actor=user, codes_left=left)
    with speaking_to(user):
        queue_mail(
            user.email,
            _("A recovery code was used to log in"),
            "two_factor_recovery_code_used",
            user=user,
            left=left,
            reset_url=absolute_url("auth.forgot_password"),
        )
    return True


def verify(user: User, code: str) -> bool:
    """Accept a current TOTP code or an unused recovery code for `user`."""
    if not user.has_two_factor:
        return False
    return use_totp(user, code) or use_recovery_code(user, code)
