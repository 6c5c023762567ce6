"""Verifying a signed credential: the six named checks of SPEC §3.

Hardened after RFC 8725: the algorithm is pinned to EdDSA and the key must be an Ed25519 key
of ours, found by the `kid` header in our own table (or in a JWKS the caller passes) and
nowhere else: `jku`, `x5u`, `jwk`, `x5c` are refused, never fetched, and a `kid` is never a
path. Offline (with a JWKS) nothing can say whether the credential is still in force, so
`status` is reported as not checked, never as passed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lms.caching import BoundedCache
from lms.certificates import credentials, keys, queries
from lms.certificates.ids import normalise_public_id
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.queries import lookup, successor
from lms.db import utcnow
from lms.messages import Message

__all__ = ["Check", "VerificationResult", "lookup", "normalise_public_id", "verify_token"]

CHECKS = ("format", "signature", "issuer", "dates", "status", "record")
#: Clock skew allowed on nbf/exp (RFC 8725 asks for a small one).
LEEWAY = dt.timedelta(seconds=60)
MAX_TOKEN_LENGTH = 64 * 1024
ALLOWED_HEADERS = frozenset({"alg", "typ", "kid"})
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Check:
    name: str
    #: None: not checked (offline, or an earlier check failed).
    passed: bool | None
    #: What the check found, by message id: shown in the reader's language (`message.text()`).
    message: Message

    @property
    def detail(self) -> str:
        """What the check found in the stable English of the API and the command line."""
        return self.message.english()


@dataclass
class VerificationResult:
    """`status` is the certificate's status online ("valid", "revoked", ...), "authentic"
    offline when everything that could be checked passed, or "invalid"/"expired"."""

    valid: bool
    status: str
    checks: list[Check] = field(default_factory=list)
    certificate_id: str | None = None
    payload: dict[str, Any] | None = None

    def check(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.passed is False]


#: (sha256 of the token, public key) pairs whose signature verified.
signature_cache: BoundedCache[bool] = BoundedCache(2048)


class _Failed(Exception):
    def __init__(self, message_id: str, **params: Any) -> None:
        self.message = Message.of(message_id, **params)
        super().__init__(self.message.english())


def _b64json(part: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise _Failed("verify.format.not_base64_json") from error


#: Well-formed credentials' (header, payload) by their SHA-256: decoding a 6 KB credential
#: and reading its JSON is most of what checking a known one costs. Shared: never change them.
parsed_cache: BoundedCache[tuple[dict[str, Any], dict[str, Any]]] = BoundedCache(256)


def _parse(token: object) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """The token, its SHA-256, header and payload of a well-formed credential; _Failed
    otherwise."""
    if not isinstance(token, str):
        raise _Failed("verify.format.not_text")
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise _Failed("verify.format.too_long", kb=MAX_TOKEN_LENGTH // 1024)
    if not _COMPACT_JWS.match(token):
        raise _Failed("verify.format.not_compact_jws")
    digest = credentials.sha256(token)
    header, payload = parsed_cache.get_or_compute(digest, lambda: _read_parts(token))
    return token, digest, header, payload


def _read_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header_part, payload_part, _signature = token.split(".")
    header, payload = _b64json(header_part), _b64json(payload_part)
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise _Failed("verify.format.not_objects")
    if header.get("typ") != "JWT":
        raise _Failed("verify.format.typ")
    for claim in ("iss", "sub", "jti"):
        if not isinstance(payload.get(claim), str) or not payload[claim]:
            raise _Failed("verify.format.claim_not_text", claim=claim)
    for claim in ("nbf", "exp"):
        value = payload.get(claim)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Failed("verify.format.claim_not_seconds", claim=claim)
    if "iat" in payload and (
        not isinstance(payload["iat"], int) or isinstance(payload["iat"], bool)
    ):
        raise _Failed("verify.format.iat_not_seconds")
    types = payload.get("type")
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        raise _Failed("verify.format.not_open_badge")
    return header, payload


def _key_from_jwks(kid: str, jwks: object) -> Ed25519PublicKey:
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(entries, list):
        raise _Failed("verify.signature.not_a_key_set")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("kid") == kid:
            try:
                return keys.public_key_from_jwk(entry)
            except (ValueError, binascii.Error) as error:
                raise _Failed(
                    "verify.signature.key_set_key_refused", kid=kid, error=str(error)
                ) from None
    raise _Failed("verify.signature.not_in_key_set")


def _key_from_database(
    kid: str, payload: dict[str, Any], known: Any = None
) -> tuple[Ed25519PublicKey, Message]:
    """`known`: a key's public columns read with the certificate (used if `kid` names it)."""
    key_id = keys.kid_from_header(kid)
    if known is not None and key_id is not None and known.kid == key_id:
        key = known
    else:
        key = keys.key_record(key_id) if key_id else None
    if key is None:
        raise _Failed("verify.signature.unknown_key")
    note = Message.of("verify.signature.ok", kid=key.kid)
    if key.revoked_at is not None:
        revoked = _day(key.revoked_at)
        if key.compromised_at is not None and keys.signed_before_compromise(
            key, payload.get("iat")
        ):
            note = Message.of(
                "verify.signature.ok_before_compromise",
                kid=key.kid,
                revoked=revoked,
                compromised=_utc(key.compromised_at),
                zone="UTC",
            )
        elif key.compromised_at:
            raise _Failed(
                "verify.signature.key_compromised",
                kid=key.kid,
                revoked=revoked,
                compromised=_utc(key.compromised_at),
                zone="UTC",
            )
        else:
            raise _Failed("verify.signature.key_revoked", kid=key.kid, revoked=revoked)
    try:
        return keys.public_key(key), note
    except ValueError as error:
        raise _Failed("verify.signature.key_unusable", kid=key.kid, error=str(error)) from None


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _day(value: dt.datetime) -> dt.date:
    """The day (in UTC) a moment fell on, as the details name it."""
    return _utc(value).date()


def _check_signature(
    token: str,
    digest: str,
    header: dict[str, Any],
    payload: dict[str, Any],
    jwks: object,
    known: Any = None,
) -> Message:
    alg = header.get("alg")
    if alg != "EdDSA":
        raise _Failed("verify.signature.algorithm", alg=repr(str(alg)[:20]))
    extra = sorted(set(header) - ALLOWED_HEADERS)
    if extra:
        raise _Failed("verify.signature.header_field", field=repr(extra[0][:20]))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _Failed("verify.signature.no_kid")
    if len(kid) > keys.MAX_KID_LENGTH:
        raise _Failed("verify.signature.kid_too_long", n=keys.MAX_KID_LENGTH)
    if jwks is None:
        public, note = _key_from_database(kid, payload, known)
    else:
        public = _key_from_jwks(kid, jwks)
        note = Message.of("verify.signature.ok_key_set", kid=kid)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    cache_key = (digest, raw)
    if cache_key in signature_cache:
        return note
    # RFC 7515 §5.2 by hand on the parts _parse already checked (alphabet, JSON, algorithm
    # pinned above): PyJWT would re-check every character of a 6 KB credential in Python,
    # which costs more than the Ed25519 verification itself.
    signing_input, _dot, signature_part = token.rpartition(".")
    try:
        signature = base64.urlsafe_b64decode(signature_part + "=" * (-len(signature_part) % 4))
        public.verify(signature, signing_input.encode("ascii"))
    except binascii.Error:
        raise _Failed("verify.signature.not_base64") from None
    except InvalidSignature:
        raise _Failed("verify.signature.mismatch") from None
    signature_cache.put(cache_key, True)
    return note


def _check_issuer(payload: dict[str, Any]) -> Message:
    expected = credentials.issuer_id()
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if payload["iss"] != expected or issuer_id != expected:
        shown = str(payload["iss"])[:100]
        raise _Failed("verify.issuer.other", claimed=repr(shown), expected=expected)
    return Message.of("verify.issuer.ok", issuer=expected)


def _parse_iso(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _check_dates(payload: dict[str, Any], now: dt.datetime) -> Message:
    nbf, exp = payload["nbf"], payload["exp"]
    if _parse_iso(payload.get("validFrom")) != nbf or (
        "validUntil" in payload and _parse_iso(payload.get("validUntil")) != exp
    ):
        raise _Failed("verify.dates.claims_differ")
    start = dt.datetime.fromtimestamp(nbf, dt.UTC)
    end = dt.datetime.fromtimestamp(exp, dt.UTC)
    if now + LEEWAY < start:
        raise _Failed("verify.dates.not_yet", start=start, zone="UTC")
    if now - LEEWAY >= end:
        raise _Failed("verify.dates.expired", end=end.date())
    return Message.of("verify.dates.ok", start=start.date(), end=end.date())


def _check_status(certificate: Certificate | None) -> Message:
    if certificate is None:
        raise _Failed("verify.status.unknown")
    status = certificate.status
    if status == CertificateStatus.VALID:
        return Message.of("verify.status.ok")
    if status == CertificateStatus.REVOKED:
        # The reason is the issuer's own words, shown as written.
        reason = certificate.revocation_reason or Message.of("verify.status.no_reason")
        if certificate.revoked_at:
            raise _Failed("verify.status.revoked", date=_day(certificate.revoked_at), reason=reason)
        raise _Failed("verify.status.revoked_undated", reason=reason)
    if status == CertificateStatus.SUSPENDED:
        if certificate.suspended_at:
            raise _Failed("verify.status.suspended", date=_day(certificate.suspended_at))
        raise _Failed("verify.status.suspended_undated")
    if status == CertificateStatus.EXPIRED:
        raise _Failed("verify.status.expired", date=_day(certificate.expires_at))
    if status == CertificateStatus.SUPERSEDED:
        newer = successor(certificate)
        if newer:
            raise _Failed("verify.status.superseded", id=newer.public_id)
        raise _Failed("verify.status.superseded_unknown")
    raise _Failed("verify.status.pending")


def _check_record(certificate: Certificate | None, digest: str) -> Message:
    if certificate is None or certificate.credential_sha256 is None:
        raise _Failed("verify.record.none")
    if certificate.credential_sha256 != digest:
        raise _Failed("verify.record.reissued", id=certificate.public_id)
    return Message.of("verify.record.ok", id=certificate.public_id)


def verify_token(
    token: object,
    *,
    jwks: dict[str, Any] | None = None,
    check_status: bool = True,
    now: dt.datetime | None = None,
    record: Any = None,
) -> VerificationResult:
    """Run every check on a compact JWS; online against our records unless `jwks` is given.

    `record`: the certificate the caller already loaded (the verify page by id); it is used
    only if the credential names it, and looked up otherwise.
    """
    moment = now or utcnow()
    results: dict[str, Check] = {}

    def run(name: str, function: Callable[..., Message], *args: Any) -> bool:
        try:
            results[name] = Check(name, True, function(*args))
        except _Failed as failure:
            results[name] = Check(name, False, failure.message)
        return bool(results[name].passed)

    def skip_rest(message_id: str) -> None:
        for name in CHECKS:
            results.setdefault(name, Check(name, None, Message.of(message_id)))

    try:
        text, digest, header, payload = _parse(token)
        results["format"] = Check("format", True, Message.of("verify.format.ok"))
    except _Failed as failure:
        results["format"] = Check("format", False, failure.message)
        skip_rest("verify.skipped.unreadable")
        return _finish(results, None, None, None)
    looked_up = False
    if jwks is None and record is None:
        # Online, the record (read with its signing key's public columns) serves both the
        # signature check and the status and record checks: one query, not two. It is
        # trusted for nothing before the signature is checked with the key the header names.
        claimed = credentials.public_id_from_credential_id(payload["jti"])
        canonical = normalise_public_id(claimed) if claimed else None
        record = queries.public_record(canonical) if canonical else None
        looked_up = True
    known_key = getattr(record, "signing_key", None) if record is not None else None
    if not run("signature", _check_signature, text, digest, header, payload, jwks, known_key):
        skip_rest("verify.skipped.unsigned")
        return _finish(results, None, None, None)
    run("issuer", _check_issuer, payload)
    run("dates", _check_dates, payload, moment)
    public_id = normalise_public_id(credentials.public_id_from_credential_id(payload["jti"]))
    certificate = None
    if jwks is not None:
        results["status"] = Check("status", None, Message.of("verify.status.offline"))
        results["record"] = Check("record", None, Message.of("verify.record.offline"))
    else:
        if record is not None and public_id is not None and record.public_id == public_id:
            certificate = record
        elif looked_up:
            certificate = None  # read above: the issuer has no certificate with this id
        else:
            certificate = queries.public_record(public_id) if public_id else None
        if check_status:
            run("status", _check_status, certificate)
        else:
            results["status"] = Check("status", None, Message.of("verify.status.not_checked"))
        run("record", _check_record, certificate, digest)
    return _finish(results, public_id, payload, certificate)


def _finish(
    results: dict[str, Check],
    public_id: str | None,
    payload: dict[str, Any] | None,
    certificate: Certificate | None,
) -> VerificationResult:
    """The verdict: valid only if no check failed; the status names the first reason."""
    checks = [results[name] for name in CHECKS]
    failed = {check.name: check for check in checks if check.passed is False}
    if not failed:
        status = "valid" if all(check.passed for check in checks) else "authentic"
        return VerificationResult(True, status, checks, public_id, payload)
    if failed.keys() & {"format", "signature", "issuer", "record"}:
        status = "invalid"
    elif "status" in failed and certificate is not None:
        status = certificate.status.value
    elif "dates" in failed and failed["dates"].message.id == "verify.dates.expired":
        status = "expired"
    else:
        status = "invalid"
    return VerificationResult(False, status, checks, public_id, payload)
