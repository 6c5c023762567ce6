"""SECURITY-TESTS 22-24: forged and doctored tokens fail, and the failing check is named.

Every attack runs with the network and file reads switched off: a verifier that tried to
fetch a `jku`/`x5u` URL or open a `kid` as a path would fail the test, not just the token.
"""

import base64
import builtins
import datetime as dt
import hashlib
import hmac
import io
import json
import socket
import urllib.request

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms.certificates import keys
from lms.certificates.verification import LEEWAY, verify_token
from lms.db import db, utcnow
from tests.certificates.conftest import (
    b64,
    b64json,
    isolated_app,
    only_certificate,
    parts,
    payload_of,
    sign_as_issuer,
)


@pytest.fixture(scope="module")
def forger_target(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One issuer with one genuine certificate, shared by the attacks (which only read)."""
    application = isolated_app(tmp_path_factory.mktemp("attacks"))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def certificate(forger_target):  # type: ignore[no-untyped-def]
    with forger_target.app_context():
        yield only_certificate()


class Outbound(AssertionError):
    pass


@pytest.fixture
def sealed(monkeypatch):  # type: ignore[no-untyped-def]
    """No sockets, no URL fetches, no file opens while the test runs."""
    attempts: list[str] = []

    def refuse(what):  # type: ignore[no-untyped-def]
        def blocked(*args, **kwargs):  # type: ignore[no-untyped-def]
            attempts.append(f"{what}{args[:2]!r}")
            raise Outbound(f"{what} attempted during verification")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))
    monkeypatch.setattr(builtins, "open", refuse("open"))
    monkeypatch.setattr(io, "open", refuse("io.open"))
    return attempts


def _attacker_token(payload, headers) -> str:  # type: ignore[no-untyped-def]
    attacker = Ed25519PrivateKey.generate()
    return jwt.encode(payload, attacker, algorithm="EdDSA", headers={"typ": "JWT", **headers})


def _assert_fails(result, check: str, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert not result.valid, result.checks
    failed = result.check(check)
    assert failed.passed is False, result.checks
    for word in words:
        assert word in failed.detail, failed.detail
    assert result.status in {"invalid", "expired"}


def test_the_seal_holds(sealed):
    with pytest.raises(Outbound):
        urllib.request.urlopen("https://evil.example/jwks.json")  # noqa: S310
    with pytest.raises(Outbound):
        open("/etc/passwd")  # noqa: SIM115
    assert len(sealed) == 2
    sealed.clear()


def test_the_genuine_credential_verifies_with_everything_sealed(certificate, sealed):
    assert verify_token(certificate.credential).valid
    assert sealed == []


def test_alg_none_is_refused(certificate, sealed):
    header, payload, _ = parts(certificate.credential)
    token = f"{b64json({**header, 'alg': 'none'})}.{b64json(payload)}."
    _assert_fails(verify_token(token), "signature", "'none' is not accepted")
    assert sealed == []


@pytest.mark.parametrize("secret_form", ["raw", "jwk", "pem"])
def test_hs256_signed_with_the_published_public_key_is_refused(certificate, sealed, secret_form):
    header, payload, _ = parts(certificate.credential)
    key = keys.current_key()
    jwk = keys.public_jwk(key)
    secret = {
        "raw": base64.urlsafe_b64decode(jwk["x"] + "="),
        "jwk": json.dumps(jwk).encode(),
        "pem": keys.public_key(key).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }[secret_form]
    signing_input = f"{b64json({**header, 'alg': 'HS256'})}.{b64json(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    _assert_fails(verify_token(f"{signing_input}.{b64(mac)}"), "signature", "HS256")


def test_a_token_signed_with_an_ed448_key_is_refused(certificate, sealed):
    header, payload, _ = parts(certificate.credential)
    token = jwt.encode(payload, Ed448PrivateKey.generate(), algorithm="EdDSA", headers=header)
    _assert_fails(verify_token(token), "signature", "does not match")


def test_an_ed448_key_in_a_key_set_is_refused(certificate, sealed):
    header, payload, _ = parts(certificate.credential)
    ed448 = Ed448PrivateKey.generate()
    token = jwt.encode(payload, ed448, algorithm="EdDSA", headers=header)
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(ed448.public_key()))
    result = verify_token(token, jwks={"keys": [{**jwk, "kid": header["kid"]}]})
    _assert_fails(result, "signature", "not an Ed25519 public key")


def test_a_flipped_signature_bit_is_refused(certificate, sealed):
    header_part, payload_part, signature = certificate.credential.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    token = f"{header_part}.{payload_part}.{b64(bytes(raw))}"
    _assert_fails(verify_token(token), "signature", "does not match")


@pytest.mark.parametrize(
    ("signature_of", "detail"),
    [
        (lambda good: "", "does not match"),
        (lambda good: good[:-4], "does not match"),
        (lambda good: good + "AAAA", "does not match"),
        (lambda good: good[:-1], "not base64url-encoded"),  # 85 characters: no byte string
        (lambda good: good + "A", "does not match"),
        (lambda good: "A" * len(good), "does not match"),
    ],
    ids=["empty", "shortened", "lengthened", "one character less", "impossible length", "zeros"],
)
def test_a_signature_of_the_wrong_shape_is_refused(certificate, sealed, signature_of, detail):
    header_part, payload_part, signature = certificate.credential.split(".")
    token = f"{header_part}.{payload_part}.{signature_of(signature)}"
    _assert_fails(verify_token(token), "signature", detail)


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p["credentialSubject"].update(name="Mallory"),
        lambda p: p["credentialSubject"]["result"][0].update(
            achievedLevel=p["credentialSubject"]["result"][0]["achievedLevel"][:-1] + "4"
        ),
        lambda p: p.update(exp=p["exp"] + 10 * 365 * 86400),
        lambda p: p.update(validUntil="2099-01-01T00:00:00Z"),
        lambda p: p["credentialSubject"]["achievement"].update(name="Doctor of Everything"),
    ],
    ids=["holder name", "level", "exp", "validUntil", "qualification"],
)
def test_any_edited_claim_breaks_the_signature(certificate, sealed, edit):
    header_part, _, signature = certificate.credential.split(".")
    payload = payload_of(certificate)
    edit(payload)
    token = f"{header_part}.{b64json(payload)}.{signature}"
    _assert_fails(verify_token(token), "signature", "does not match")


@pytest.mark.parametrize(
    "kid",
    [
        "https://lms.example.test/keys/NotOneOfOurKeys123",
        "../../etc/passwd",
        "https://lms.example.test/keys/../../etc/passwd",
        "file:///etc/passwd",
        "x' OR '1'='1'; DROP TABLE signing_keys; --",
        "https://lms.example.test/keys/' OR 1=1 --",
        "A" * 10_240,
    ],
    ids=["unknown", "path", "path under our prefix", "file URL", "SQL", "SQL under prefix", "10KB"],
)
def test_strange_kids_are_refused_without_touching_files_or_network(certificate, sealed, kid):
    token = _attacker_token(payload_of(certificate), {"kid": kid})
    result = verify_token(token)
    _assert_fails(result, "signature")
    assert sealed == []
    assert keys.current_key() is not None  # the table is still there


@pytest.mark.parametrize(
    "extra",
    [
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        "jwk",
        {"x5c": ["MIIB..."]},
    ],
    ids=["jku", "x5u", "jwk", "x5c"],
)
@pytest.mark.parametrize("own_kid", [True, False], ids=["our kid", "no kid"])
def test_key_location_headers_are_refused_and_never_followed(certificate, sealed, extra, own_kid):
    attacker = Ed25519PrivateKey.generate()
    if extra == "jwk":
        extra = {"jwk": json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(attacker.public_key()))}
    headers = {"typ": "JWT", **extra}
    if own_kid:
        headers["kid"] = keys.kid_url(certificate.key_id)
    token = jwt.encode(payload_of(certificate), attacker, algorithm="EdDSA", headers=headers)
    _assert_fails(verify_token(token), "signature")
    _assert_fails(verify_token(token, jwks=keys.jwks()), "signature")
    assert sealed == []


def _resigned(certificate, **changes):  # type: ignore[no-untyped-def]
    payload = payload_of(certificate)
    payload.update(changes)
    return sign_as_issuer(payload)


def test_an_expired_credential_fails_the_dates_check(certificate, sealed):
    after_expiry = certificate.expires_at + dt.timedelta(days=1)
    result = verify_token(certificate.credential, now=after_expiry)
    _assert_fails(result, "dates", "expired")
    assert result.status == "expired"
    # Re-dated into the past by someone holding our key: still expired (and not our record).
    now = utcnow()
    past = int((now - dt.timedelta(days=30)).timestamp())
    token = _resigned(
        certificate, exp=past, validUntil=dt.datetime.fromtimestamp(past, dt.UTC).isoformat()
    )
    _assert_fails(verify_token(token, now=now), "dates", "expired")


def test_the_clock_leeway_is_at_most_60_seconds(certificate):
    assert dt.timedelta(0) < LEEWAY <= dt.timedelta(seconds=60)
    payload = payload_of(certificate)
    exp = payload["exp"]
    end = dt.datetime.fromtimestamp(exp, dt.UTC)
    assert (
        verify_token(certificate.credential, now=end + dt.timedelta(seconds=30))
        .check("dates")
        .passed
    )
    late = verify_token(certificate.credential, now=end + dt.timedelta(seconds=61))
    _assert_fails(late, "dates", "expired")
    start = dt.datetime.fromtimestamp(payload["nbf"], dt.UTC)
    assert (
        verify_token(certificate.credential, now=start - dt.timedelta(seconds=30))
        .check("dates")
        .passed
    )
    early = verify_token(certificate.credential, now=start - dt.timedelta(seconds=61))
    _assert_fails(early, "dates", "not valid yet")


def test_a_credential_not_yet_valid_fails_the_dates_check(certificate, sealed):
    later = int((utcnow() + dt.timedelta(days=2)).timestamp())
    token = _resigned(
        certificate, nbf=later, validFrom=dt.datetime.fromtimestamp(later, dt.UTC).isoformat()
    )
    _assert_fails(verify_token(token), "dates", "not valid yet")


def test_dates_that_disagree_with_nbf_and_exp_fail(certificate, sealed):
    token = _resigned(certificate, validUntil="2099-12-31T00:00:00Z")
    _assert_fails(verify_token(token), "dates", "do not match")


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://evil.example/issuer"},
        {"issuer": {"id": "https://evil.example/issuer", "type": ["Profile"]}},
    ],
    ids=["iss", "issuer profile"],
)
def test_a_wrong_issuer_fails_the_issuer_check(certificate, sealed, changes):
    _assert_fails(verify_token(_resigned(certificate, **changes)), "issuer", "not by this issuer")


@pytest.mark.parametrize("claim", ["iss", "sub", "jti", "nbf", "exp"])
def test_missing_required_claims_fail_the_format_check(certificate, sealed, claim):
    payload = payload_of(certificate)
    del payload[claim]
    result = verify_token(sign_as_issuer(payload))
    _assert_fails(result, "format", f"'{claim}'")
    assert all(check.passed is None for check in result.checks[1:])


@pytest.mark.parametrize(
    "token",
    [None, 42, "", "not a token", "a.b", "a.b.c.d", "eyJ.eyJ.", "!!!.???.###", "x" * 70_000],
)
def test_garbage_fails_the_format_check(app_ctx, token):
    _assert_fails(verify_token(token), "format")


def test_a_wrong_typ_fails_the_format_check(certificate):
    token = sign_as_issuer(payload_of(certificate), headers={"typ": "at+jwt"})
    _assert_fails(verify_token(token), "format", "typ")


def test_a_token_signed_by_our_key_but_unknown_to_our_records_fails_record(certificate):
    payload = payload_of(certificate)
    payload["credentialSubject"]["name"] = "Someone Else"
    result = verify_token(sign_as_issuer(payload))
    _assert_fails(result, "record", "does not match the issuer's record")


def test_a_credential_is_read_once_by_its_hash_and_a_changed_one_afresh(certificate, monkeypatch):
    from lms.certificates import verification

    reads: list[str] = []
    real_read = verification._read_parts

    def counted(token: str):  # type: ignore[no-untyped-def]
        reads.append(token)
        return real_read(token)

    monkeypatch.setattr(verification, "_read_parts", counted)
    verification.parsed_cache.clear()
    token = certificate.credential
    assert verify_token(token).valid
    assert verify_token(token).valid
    assert len(reads) == 1

    header, payload, signature = parts(token)
    payload["credentialSubject"]["name"] = "Someone Else"
    doctored = f"{b64json(header)}.{b64json(payload)}.{signature}"
    result = verify_token(doctored)
    assert len(reads) == 2
    assert result.check("signature").passed is False
    assert verify_token(token).payload["credentialSubject"]["name"] == certificate.user.name
