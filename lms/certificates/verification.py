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
    detail: str


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
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _b64json(part: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise _Failed("a part of the token is not base64url-encoded JSON") from error


#: Well-formed credentials' (header, payload) by their SHA-256: decoding a 6 KB credential
#: and reading its JSON is most of what checking a known one costs. Shared: never change them.
parsed_cache: BoundedCache[tuple[dict[str, Any], dict[str, Any]]] = BoundedCache(256)


def _parse(token: object) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """The token, its SHA-256, header and payload of a well-formed credential; _Failed
    otherwise."""
    if not isinstance(token, str):
        raise _Failed("the credential must be text (a compact JWS)")
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise _Failed(f"the credential is longer than {MAX_TOKEN_LENGTH // 1024} KB")
    if not _COMPACT_JWS.match(token):
        raise _Failed("not a compact JWS (three base64url parts separated by dots)")
    digest = credentials.sha256(token)
    header, payload = parsed_cache.get_or_compute(digest, lambda: _read_parts(token))
    return token, digest, header, payload


def _read_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header_part, payload_part, _signature = token.split(".")
    header, payload = _b64json(header_part), _b64json(payload_part)
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise _Failed("the header and the payload must be JSON objects")
    if header.get("typ") != "JWT":
        raise _Failed("the header's typ must be JWT")
    for claim in ("iss", "sub", "jti"):
        if not isinstance(payload.get(claim), str) or not payload[claim]:
            raise _Failed(f"the required claim '{claim}' is missing or not text")
    for claim in ("nbf", "exp"):
        value = payload.get(claim)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Failed(f"the required claim '{claim}' is missing or not a number of seconds")
    if "iat" in payload and (
        not isinstance(payload["iat"], int) or isinstance(payload["iat"], bool)
    ):
        raise _Failed("the claim 'iat' is not a number of seconds")
    types = payload.get("type")
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        raise _Failed("the payload is not an OpenBadgeCredential")
    return header, payload


def _key_from_jwks(kid: str, jwks: object) -> Ed25519PublicKey:
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(entries, list):
        raise _Failed('the key set given is not a JWKS ({"keys": [...]})')
    for entry in entries:
        if isinstance(entry, dict) and entry.get("kid") == kid:
            try:
                return keys.public_key_from_jwk(entry)
            except (ValueError, binascii.Error) as error:
                raise _Failed(f"the key {kid} in the key set is refused: {error}") from None
    raise _Failed("the key named by the credential is not in the key set given")


def _key_from_database(
    kid: str, payload: dict[str, Any], known: Any = None
) -> tuple[Ed25519PublicKey, str]:
    """`known`: a key's public columns read with the certificate (used if `kid` names it)."""
    key_id = keys.kid_from_header(kid)
    if known is not None and key_id is not None and known.kid == key_id:
        key = known
    else:
        key = keys.key_record(key_id) if key_id else None
    if key is None:
        raise _Failed("the credential names a signing key that is not one of this issuer's keys")
    note = f"signed with the issuer's key {key.kid}"
    if key.revoked_at is not None:
        if key.compromised_at is not None and keys.signed_before_compromise(
            key, payload.get("iat")
        ):
            note += (
                f" (revoked on {key.revoked_at:%Y-%m-%d}, but signed before it was compromised"
                f" on {key.compromised_at:%Y-%m-%d %H:%M} UTC)"
            )
        else:
            since = (
                f", compromised since {key.compromised_at:%Y-%m-%d %H:%M} UTC"
                if key.compromised_at
                else ""
            )
            raise _Failed(
                f"the signing key {key.kid} was revoked on {key.revoked_at:%Y-%m-%d}{since}: "
                "what it signed is no longer valid; ask the issuer for a re-issued credential"
            )
    try:
        return keys.public_key(key), note
    except ValueError as error:
        raise _Failed(f"the issuer's key {key.kid} is unusable: {error}") from None


def _check_signature(
    token: str,
    digest: str,
    header: dict[str, Any],
    payload: dict[str, Any],
    jwks: object,
    known: Any = None,
) -> str:
    alg = header.get("alg")
    if alg != "EdDSA":
        raise _Failed(f"the algorithm {str(alg)[:20]!r} is not accepted: only EdDSA (Ed25519)")
    extra = sorted(set(header) - ALLOWED_HEADERS)
    if extra:
        raise _Failed(
            f"the header field {extra[0][:20]!r} is not accepted: keys are taken only from the "
            "issuer's published key set"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _Failed("the header names no signing key (kid)")
    if len(kid) > keys.MAX_KID_LENGTH:
        raise _Failed(f"the key id is longer than {keys.MAX_KID_LENGTH} characters")
    if jwks is None:
        public, note = _key_from_database(kid, payload, known)
    else:
        public, note = _key_from_jwks(kid, jwks), f"signed with the key {kid} of the key set"
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
        raise _Failed("the signature is not base64url-encoded") from None
    except InvalidSignature:
        raise _Failed(
            "the signature does not match: the credential was altered, or not signed by this key"
        ) from None
    signature_cache.put(cache_key, True)
    return note


def _check_issuer(payload: dict[str, Any]) -> str:
    expected = credentials.issuer_id()
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if payload["iss"] != expected or issuer_id != expected:
        shown = str(payload["iss"])[:100]
        raise _Failed(f"issued by {shown!r}, not by this issuer ({expected})")
    return f"issued by {expected}"


def _parse_iso(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _check_dates(payload: dict[str, Any], now: dt.datetime) -> str:
    nbf, exp = payload["nbf"], payload["exp"]
    if _parse_iso(payload.get("validFrom")) != nbf or (
        "validUntil" in payload and _parse_iso(payload.get("validUntil")) != exp
    ):
        raise _Failed("validFrom/validUntil do not match the nbf/exp claims")
    start = dt.datetime.fromtimestamp(nbf, dt.UTC)
    end = dt.datetime.fromtimestamp(exp, dt.UTC)
    if now + LEEWAY < start:
        raise _Failed(f"not valid yet: valid from {start:%Y-%m-%d %H:%M} UTC")
    if now - LEEWAY >= end:
        raise _Failed(f"expired on {end:%Y-%m-%d}")
    return f"valid from {start:%Y-%m-%d} until {end:%Y-%m-%d}"


def _check_status(certificate: Certificate | None) -> str:
    if certificate is None:
        raise _Failed("the issuer has no certificate with this id")
    status = certificate.status
    if status == CertificateStatus.VALID:
        return "in force: neither revoked nor suspended"
    if status == CertificateStatus.REVOKED:
        when = f" on {certificate.revoked_at:%Y-%m-%d}" if certificate.revoked_at else ""
        raise _Failed(f"REVOKED{when}: {certificate.revocation_reason or 'no reason given'}")
    if status == CertificateStatus.SUSPENDED:
        when = f" since {certificate.suspended_at:%Y-%m-%d}" if certificate.suspended_at else ""
        raise _Failed(f"SUSPENDED{when}")
    if status == CertificateStatus.EXPIRED:
        raise _Failed(f"EXPIRED on {certificate.expires_at:%Y-%m-%d}")
    if status == CertificateStatus.SUPERSEDED:
        newer = successor(certificate)
        raise _Failed(
            "replaced by a renewed certificate" + (f" ({newer.public_id})" if newer else "")
        )
    raise _Failed("not issued (waiting for approval)")


def _check_record(certificate: Certificate | None, digest: str) -> str:
    if certificate is None or certificate.credential_sha256 is None:
        raise _Failed("the issuer has no record of this credential")
    if certificate.credential_sha256 != digest:
        raise _Failed(
            f"does not match the issuer's record of {certificate.public_id}: it was re-issued; "
            "use the current credential from the verify page"
        )
    return f"matches the issuer's record of {certificate.public_id}"


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

    def run(name: str, function: Callable[..., str], *args: Any) -> bool:
        try:
            results[name] = Check(name, True, function(*args))
        except _Failed as failure:
            results[name] = Check(name, False, failure.detail)
        return bool(results[name].passed)

    def skip_rest(detail: str) -> None:
        for name in CHECKS:
            results.setdefault(name, Check(name, None, detail))

    try:
        text, digest, header, payload = _parse(token)
        results["format"] = Check("format", True, "a well-formed OpenBadgeCredential (VC-JWT)")
    except _Failed as failure:
        results["format"] = Check("format", False, failure.detail)
        skip_rest("not checked: the credential could not be read")
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
        skip_rest("not checked: without a valid signature nothing in it can be trusted")
        return _finish(results, None, None, None)
    run("issuer", _check_issuer, payload)
    run("dates", _check_dates, payload, moment)
    public_id = normalise_public_id(credentials.public_id_from_credential_id(payload["jti"]))
    certificate = None
    if jwks is not None:
        results["status"] = Check(
            "status", None, "not checked offline: only the status list or the verify page can"
        )
        results["record"] = Check("record", None, "not checked offline")
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
            results["status"] = Check("status", None, "not checked")
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
    elif "dates" in failed and failed["dates"].detail.startswith("expired"):
        status = "expired"
    else:
        status = "invalid"
    return VerificationResult(False, status, checks, public_id, payload)
