"""Signing keys: stored encrypted, rotated, revoked (also from a compromise on), re-issued."""

import datetime as dt

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from lms.audit.models import AuditEvent
from lms.certificates import keys, services
from lms.certificates.models import SigningKey
from lms.certificates.verification import verify_token
from lms.db import db
from tests.certificates.conftest import issue, parts


def _kid_in(token: str) -> str:
    return parts(token)[0]["kid"]


def test_the_private_key_is_stored_encrypted_and_never_shown(app_ctx, caplog):
    key = keys.generate_key()
    assert key.private_pkcs8.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # a passphrase is needed
        serialization.load_pem_private_key(key.private_pkcs8, password=None)
    # A wrong passphrase fails either at the padding check or, when the garbage happens to
    # pad correctly, at parsing the decrypted bytes; both are a ValueError.
    with pytest.raises(ValueError, match="Incorrect password|Bad decrypt|Could not deserialize"):
        serialization.load_pem_private_key(key.private_pkcs8, password=b"wrong")
    assert keys.load_private_key(key).public_key() == keys.public_key(key)
    assert "PRIVATE" not in repr(key)
    assert key.kid in repr(key)
    assert all("PRIVATE" not in record.getMessage() for record in caplog.records)


def test_ensure_signing_key_creates_one_only_when_there_is_none(app_ctx):
    assert keys.current_key() is None
    first = keys.ensure_signing_key()
    assert keys.ensure_signing_key() is first
    assert keys.KEY_ID_PATTERN.match(first.kid)


def test_the_jwks_publishes_okp_ed25519_keys_under_their_url_kid(app_ctx):
    key = keys.ensure_signing_key()
    (published,) = keys.jwks()["keys"]
    assert published == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": key.public_jwk["x"],
        "kid": f"https://lms.example.test/keys/{key.kid}",
        "alg": "EdDSA",
        "use": "sig",
    }
    assert "d" not in published


def test_after_rotation_new_certificates_carry_the_new_kid_and_old_ones_verify(imported):
    old_certificate = issue()
    old_key = keys.current_key()
    assert old_key is not None
    new_key, retired = keys.rotate()
    assert retired == [old_key]
    assert old_key.retired_at is not None
    assert keys.current_key() is new_key
    new_certificate = issue()
    assert _kid_in(new_certificate.credential) == keys.kid_url(new_key.kid)
    assert _kid_in(old_certificate.credential) == keys.kid_url(old_key.kid)
    assert verify_token(old_certificate.credential).valid
    assert verify_token(new_certificate.credential).valid
    published = {entry["kid"] for entry in keys.jwks()["keys"]}
    assert published == {keys.kid_url(old_key.kid), keys.kid_url(new_key.kid)}


def test_a_revoked_key_leaves_the_jwks_and_everything_it_signed_fails(imported):
    certificate = issue()
    kid = certificate.key_id
    revoked, replacement = keys.revoke(kid)
    assert revoked.revoked_at is not None
    assert replacement is not None
    assert keys.current_key() is replacement
    assert keys.kid_url(kid) not in {entry["kid"] for entry in keys.jwks()["keys"]}
    result = verify_token(certificate.credential)
    assert not result.valid
    signature = result.check("signature")
    assert signature.passed is False
    assert f"signing key {kid} was revoked on" in signature.detail
    assert "re-issued credential" in signature.detail
    with pytest.raises(keys.SigningKeyError, match="already revoked"):
        keys.revoke(kid)
    actions = db.session.scalars(sa.select(AuditEvent.action).filter_by(subject_id=kid))
    assert "signing_key.revoked" in list(actions)


def test_a_compromised_key_fails_only_what_it_signed_from_the_compromise_on(imported):
    certificate = issue()
    signed_at = certificate.issued_at
    assert signed_at is not None
    keys.revoke(certificate.key_id, compromised_at=signed_at + dt.timedelta(hours=1))
    before = verify_token(certificate.credential)
    assert before.valid, before.checks
    assert "signed before it was compromised" in before.check("signature").detail


def test_a_key_compromised_before_signing_makes_the_credential_fail(imported):
    certificate = issue()
    signed_at = certificate.issued_at
    assert signed_at is not None
    keys.revoke(certificate.key_id, compromised_at=signed_at - dt.timedelta(days=1))
    result = verify_token(certificate.credential)
    assert not result.valid
    assert "compromised since" in result.check("signature").detail


def test_reissuing_re_signs_with_the_current_key_and_the_old_token_stops_matching(imported):
    first, second = issue(), issue()
    old_kid, old_token = first.key_id, first.credential
    assert second.key_id == old_kid
    _, replacement = keys.revoke(old_kid)
    assert replacement is not None
    seen = []
    summary = services.reissue_for_key(old_kid, on_certificate=seen.append)
    assert (summary.certificates, summary.new_kid) == (2, replacement.kid)
    assert seen == [first, second]
    for certificate in (first, second):
        assert certificate.key_id == replacement.kid
        assert _kid_in(certificate.credential) == keys.kid_url(replacement.kid)
        assert verify_token(certificate.credential).valid
        assert parts(certificate.credential)[1]["jti"].endswith(certificate.public_id)
    stale = verify_token(old_token)
    assert not stale.valid
    assert stale.check("signature").passed is False
    actions = db.session.scalars(sa.select(AuditEvent.action).filter_by(subject_id=first.public_id))
    assert "certificate.reissued" in list(actions)


def test_reissue_of_a_retired_key_leaves_the_old_token_authentic_but_not_the_record(imported):
    certificate = issue()
    old_kid, old_token = certificate.key_id, certificate.credential
    keys.rotate()
    services.reissue_for_key(old_kid)
    result = verify_token(old_token)
    assert result.check("signature").passed is True
    assert result.check("record").passed is False
    assert "re-issued" in result.check("record").detail
    assert not result.valid


def test_the_current_key_cannot_be_reissued_from(imported):
    certificate = issue()
    with pytest.raises(services.CertificateError, match="rotate or revoke it first"):
        services.reissue_for_key(certificate.key_id)
    with pytest.raises(services.CertificateError, match="no signing key"):
        services.reissue_for_key("does-not-exist")


def test_keys_are_listed_oldest_first(app_ctx):
    first = keys.ensure_signing_key()
    second, _ = keys.rotate()
    assert [key.kid for key in keys.all_keys()] == [first.kid, second.kid]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningKey)) == 2
