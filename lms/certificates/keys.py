"""Ed25519 signing keys: create, rotate, revoke, load, and publish as JWKs.

A key's public id (`kid`, in JWS headers, the JWKS and at `/keys/<kid>`) is the URL
`<BASE_URL>/keys/<key id>`; the table stores only the short random key id.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import re
import secrets
import string
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from lms.audit import services as audit
from lms.certificates.models import SigningKey, StatusList
from lms.db import db, utcnow

log = logging.getLogger(__name__)

#: What a key id may look like; anything else is refused before any lookup.
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: Longest `kid` header worth looking at (RFC 8725: bound what attackers control).
MAX_KID_LENGTH = 200
_KEY_ID_ALPHABET = string.ascii_letters + string.digits


class SigningKeyError(LookupError):
    """A key operation that cannot be done; the message says why."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _passphrase() -> bytes:
    passphrase = current_app.config.get("SIGNING_KEY_PASSPHRASE")
    if not passphrase:
        raise SigningKeyError("LMS_SIGNING_KEY_PASSPHRASE is not set: signing keys cannot be used")
    return str(passphrase).encode("utf-8")


def kid_url(kid: str) -> str:
    """The public `kid`: the URL that serves this key's JWK."""
    return f"{current_app.config['BASE_URL']}/keys/{kid}"


def kid_from_header(value: object) -> str | None:
    """The key id named by a JWS `kid` header, or None if it is not one of our key URLs."""
    if not isinstance(value, str) or len(value) > MAX_KID_LENGTH:
        return None
    prefix = f"{current_app.config['BASE_URL']}/keys/"
    if not value.startswith(prefix):
        return None
    kid = value[len(prefix) :]
    return kid if KEY_ID_PATTERN.match(kid) else None


def new_key_id() -> str:
    """16 random letters and digits (95 bits): never starting with '-', so that it can be
    typed as a command-line argument."""
    return "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(16))


def generate_key() -> SigningKey:
    """Create a new key pair, encrypt its private half and add it (it becomes current)."""
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    encrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    key = SigningKey(
        kid=new_key_id(),
        created_at=utcnow(),
        public_jwk={"kty": "OKP", "crv": "Ed25519", "x": b64url(raw_public)},
        private_pkcs8=encrypted,
    )
    db.session.add(key)
    db.session.flush()
    log.info("Created signing key %s", key.kid)
    return key


def current_key() -> SigningKey | None:
    """The newest key that is neither retired nor revoked."""
    return db.session.scalar(
        sa.select(SigningKey)
        .where(SigningKey.retired_at.is_(None), SigningKey.revoked_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid)
        .limit(1)
    )


def ensure_signing_key() -> SigningKey:
    """The current key, created if there is none."""
    return current_key() or generate_key()


def get_key(kid: str) -> SigningKey | None:
    if not KEY_ID_PATTERN.match(kid):
        return None
    return db.session.get(SigningKey, kid)


def key_record(kid: str) -> sa.Row[Any] | None:
    """A key's public columns in one plain query (for verification: no ORM object, no
    private half); None for an unknown or malformed key id."""
    if not KEY_ID_PATTERN.match(kid):
        return None
    return db.session.execute(_key_query(), {"kid": kid}).first()


@functools.cache
def _key_query() -> sa.Select[Any]:
    table = SigningKey.__table__
    columns = ("kid", "created_at", "retired_at", "revoked_at", "compromised_at", "public_jwk")
    return sa.select(*[table.c[name] for name in columns]).where(table.c.kid == sa.bindparam("kid"))


def all_keys() -> list[SigningKey]:
    return list(db.session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at)))


def rotate(*, actor: Any = None) -> tuple[SigningKey, list[SigningKey]]:
    """Make a new current key; earlier ones retire (they stay published and verifiable)."""
    now = utcnow()
    retired = list(
        db.session.scalars(
            sa.select(SigningKey).where(
                SigningKey.retired_at.is_(None), SigningKey.revoked_at.is_(None)
            )
        )
    )
    for key in retired:
        key.retired_at = now
    db.session.flush()
    new = generate_key()
    audit.record(
        "signing_key.rotated",
        "signing_keys",
        new.kid,
        actor=actor,
        retired=[k.kid for k in retired],
    )
    return new, retired


def revoke(
    kid: str, *, compromised_at: dt.datetime | None = None, actor: Any = None
) -> tuple[SigningKey, SigningKey | None]:
    """Withdraw a key: it leaves the JWKS and what it signed fails verification.

    With `compromised_at`, only credentials signed from then on fail; without it, all do.
    If it was the current key, a new one is made so that signing goes on. Returns the revoked
    key and the replacement (or None).
    """
    key = get_key(kid)
    if key is None:
        raise SigningKeyError(f"no signing key {kid!r}")
    if key.revoked_at is not None:
        raise SigningKeyError(f"signing key {kid} was already revoked on {key.revoked_at:%Y-%m-%d}")
    if compromised_at is not None and compromised_at.tzinfo is None:
        raise SigningKeyError("compromised_at needs a time zone (UTC)")
    now = utcnow()
    was_current = key.is_usable_for_signing
    key.revoked_at = now
    key.retired_at = key.retired_at or now
    key.compromised_at = compromised_at
    # Status lists it signed are signed again (with the current key) when next served.
    for status_list in db.session.scalars(
        sa.select(StatusList).where(StatusList.signed_with == kid)
    ):
        status_list.credential = None
        status_list.signed_with = None
    db.session.flush()
    replacement = generate_key() if was_current and current_key() is None else None
    audit.record(
        "signing_key.revoked",
        "signing_keys",
        kid,
        actor=actor,
        compromised_at=compromised_at.isoformat() if compromised_at else None,
        replacement=replacement.kid if replacement else None,
    )
    return key, replacement


def signed_before_compromise(key: SigningKey | sa.Row[Any], issued_at: int | None) -> bool:
    """Whether a credential issued at `issued_at` (epoch seconds) predates the compromise."""
    if key.compromised_at is None or issued_at is None:
        return False
    return issued_at < key.compromised_at.timestamp()


def load_private_key(key: SigningKey) -> Ed25519PrivateKey:
    """Decrypt the private key with the signing passphrase."""
    return _decrypt(key.kid, bytes(key.private_pkcs8), _passphrase())


@functools.lru_cache(maxsize=8)
def _decrypt(kid: str, encrypted: bytes, passphrase: bytes) -> Ed25519PrivateKey:
    # Decrypting runs a deliberately slow key derivation; re-issuing hundreds of credentials
    # would pay it each time, so a few decrypted keys are kept in this process.
    private = serialization.load_pem_private_key(encrypted, password=passphrase)
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyError(f"signing key {kid} is not an Ed25519 key")
    return private


def public_key(key: SigningKey | sa.Row[Any]) -> Ed25519PublicKey:
    return public_key_from_jwk(key.public_jwk)


def public_key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    """An Ed25519 public key from an OKP JWK; ValueError for anything else."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("not an Ed25519 public key (OKP, crv Ed25519)")
    if "d" in jwk:
        raise ValueError("a private key was given where a public key belongs")
    return _ed25519_public_key(jwk["x"])


@functools.lru_cache(maxsize=64)
def _ed25519_public_key(x: str) -> Ed25519PublicKey:
    """Built once per key and process: every online verification needs the same few."""
    raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The published JWK: OKP/Ed25519 with our `kid` URL."""
    return {**key.public_jwk, "kid": kid_url(key.kid), "alg": "EdDSA", "use": "sig"}


def jwks() -> dict[str, Any]:
    """Current and retired keys, not revoked, newest first."""
    keys = db.session.scalars(
        sa.select(SigningKey)
        .where(SigningKey.revoked_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid)
    )
    return {"keys": [public_jwk(key) for key in keys]}
