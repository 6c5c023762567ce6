"""The published status list says which certificates are out of force, decoded independently."""

import base64
import gzip

import jwt
import pytest
import sqlalchemy as sa

from lms.certificates import keys, services, statuslist
from lms.certificates.models import STATUS_LIST_SIZE, StatusList, StatusPurpose
from lms.certificates.verification import lookup
from lms.db import db
from tests.certificates.conftest import ISSUER, issue, parts


def _fetch_list(client, list_id):  # type: ignore[no-untyped-def]
    """GET the list and check its signature with PyJWT against the published JWKS."""
    response = client.get(f"/status/{list_id}")
    assert response.status_code == 200
    assert response.mimetype == "application/jwt"
    token = response.get_data(as_text=True)
    header = jwt.get_unverified_header(token)
    published = {entry["kid"]: entry for entry in client.get("/.well-known/jwks.json").json["keys"]}
    key = jwt.PyJWK(published[header["kid"]]).key
    claims = jwt.decode(token, key, algorithms=["EdDSA"], issuer=ISSUER)
    return response, claims


def _bits(claims) -> bytes:  # type: ignore[no-untyped-def]
    """Decode encodedList the way any verifier would: multibase 'u', base64url, GZIP."""
    encoded = claims["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _entry_is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _revoke(app, public_id: str, reason: str = "Fraudulent submission") -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        services.revoke(lookup(public_id), reason, None)
        db.session.commit()


def test_revoking_sets_the_bit_in_the_published_list(app, client, issued):
    status = parts(issued.credential)[1]["credentialStatus"]
    url = status["statusListCredential"]
    assert url.startswith("https://lms.example.test/status/")
    list_id, index = url.rsplit("/", 1)[1], int(status["statusListIndex"])

    _, before = _fetch_list(client, list_id)
    assert before["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert before["id"] == url
    subject = before["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == status["statusPurpose"]
    bits = _bits(before)
    assert len(bits) * 8 >= 131_072
    assert not _entry_is_set(bits, index)

    _revoke(app, issued.public_id)
    _, after = _fetch_list(client, list_id)
    bits = _bits(after)
    assert _entry_is_set(bits, index)
    assert sum(bin(byte).count("1") for byte in bits) == 1


def test_suspension_and_reinstatement_show_in_the_list(app, client, issued):
    status = parts(issued.credential)[1]["credentialStatus"]
    list_id, index = (
        status["statusListCredential"].rsplit("/", 1)[1],
        int(status["statusListIndex"]),
    )
    with app.app_context():
        services.suspend(lookup(issued.public_id), "Under review", None)
        db.session.commit()
    assert _entry_is_set(_bits(_fetch_list(client, list_id)[1]), index)
    with app.app_context():
        services.reinstate(lookup(issued.public_id), None)
        db.session.commit()
    assert not _entry_is_set(_bits(_fetch_list(client, list_id)[1]), index)


def test_the_signed_list_is_cached_until_it_changes(app, client, issued):
    list_id = parts(issued.credential)[1]["credentialStatus"]["statusListCredential"].rsplit(
        "/", 1
    )[1]
    first, _ = _fetch_list(client, list_id)
    second, _ = _fetch_list(client, list_id)
    assert first.get_data() == second.get_data()
    assert "max-age" in first.headers["Cache-Control"]
    assert first.headers["ETag"]
    unchanged = client.get(f"/status/{list_id}", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    _revoke(app, issued.public_id)
    third, _ = _fetch_list(client, list_id)
    assert third.get_data() != first.get_data()
    assert third.headers["ETag"] != first.headers["ETag"]


def test_an_unknown_list_is_404(client, issued):
    assert client.get("/status/999999").status_code == 404
    assert client.get("/status/abc").status_code == 404


def test_a_list_signed_by_a_revoked_key_is_signed_again_with_the_current_key(app, client, issued):
    list_id = parts(issued.credential)[1]["credentialStatus"]["statusListCredential"].rsplit(
        "/", 1
    )[1]
    with app.app_context():
        _, replacement = keys.revoke(issued.kid)
        db.session.commit()
        new_kid = keys.kid_url(replacement.kid)
    response, _ = _fetch_list(client, list_id)
    assert jwt.get_unverified_header(response.get_data(as_text=True))["kid"] == new_kid


def test_entries_are_unique_and_a_full_list_makes_way_for_a_new_one(imported):
    first, second = issue(), issue()
    assert first.status_list_id == second.status_list_id
    assert second.status_index == first.status_index + 1
    full = db.session.get(StatusList, first.status_list_id)
    full.next_index = full.size - 1
    db.session.flush()
    last, overflow = issue(), issue()
    assert (last.status_list_id, last.status_index) == (full.id, full.size - 1)
    assert overflow.status_list_id != full.id
    assert overflow.status_index == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatusList)) == 2


def test_lists_have_at_least_131072_entries(app_ctx):
    with pytest.raises(ValueError, match="131072"):
        statuslist.create_list(StatusPurpose.SUSPENSION, size=1024)
    created = statuslist.create_list(StatusPurpose.REVOCATION)
    assert created.size == STATUS_LIST_SIZE
    assert len(created.bits) == STATUS_LIST_SIZE // 8
    assert statuslist.decode_bits(statuslist.encode_bits(created.bits)) == created.bits
