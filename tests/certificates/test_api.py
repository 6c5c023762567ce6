"""The public JSON routes: keys, certificates by id, and verification (no login needed)."""

import pytest

from lms.certificates import keys, services
from lms.certificates.ids import new_public_id
from lms.certificates.verification import lookup
from lms.db import db
from tests.certificates.conftest import b64json, issue, parts

API_FIELDS = {
    "id",
    "status",
    "holder",
    "course",
    "results",
    "issued_at",
    "expires_at",
    "revoked_at",
    "revocation_reason",
    "verify_url",
    "credential",
}


def _assert_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]


def test_the_jwks_lists_current_and_retired_keys_with_cache_headers(app, client, issued):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    (published,) = response.get_json()["keys"]
    assert published["kid"] == f"https://lms.example.test/keys/{issued.kid}"
    assert published["kty"] == "OKP"
    assert published["crv"] == "Ed25519"
    assert "d" not in published
    assert parts(issued.credential)[0]["kid"] == published["kid"]
    again = client.get(
        "/.well-known/jwks.json", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304

    with app.app_context():
        keys.rotate()
        db.session.commit()
    rotated = client.get(
        "/.well-known/jwks.json", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert rotated.status_code == 200
    assert len(rotated.get_json()["keys"]) == 2


def test_each_key_is_served_at_its_kid_url(app, client, issued):
    jwk = client.get(f"/keys/{issued.kid}")
    assert jwk.status_code == 200
    (published,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert jwk.get_json() == published
    for unknown in ("NoSuchKey12345", "' OR '1'='1", "A" * 300, "..."):
        _assert_problem(client.get(f"/keys/{unknown}"), 404)
    assert client.get("/keys/..%2F..%2Fetc%2Fpasswd").status_code == 404
    with app.app_context():
        keys.revoke(issued.kid)
        db.session.commit()
    _assert_problem(client.get(f"/keys/{issued.kid}"), 404)
    assert issued.kid not in client.get("/.well-known/jwks.json").get_data(as_text=True)


def test_a_certificate_is_given_as_json_with_exactly_the_spec_fields(client, issued):
    response = client.get(f"/api/v1/certificates/{issued.public_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == API_FIELDS
    assert body["id"] == issued.public_id
    assert body["status"] == "valid"
    assert body["holder"] == {"name": issued.holder_name}
    assert body["course"]["title"] == "Accredited Cooperation Coach"
    assert body["results"][0] == {
        "code": "KA1",
        "title": body["results"][0]["title"],
        "priority": body["results"][0]["priority"],
        "level": 3,
        "level_name": "proficient",
    }
    assert body["issued_at"].endswith("Z")
    assert body["expires_at"].endswith("Z")
    assert body["revoked_at"] is None
    assert body["revocation_reason"] is None
    assert body["verify_url"] == f"https://lms.example.test/verify/{issued.public_id}"
    assert body["credential"] == issued.credential
    assert "email" not in response.get_data(as_text=True)


def test_ids_are_found_however_they_are_typed(client, issued):
    for typed in (issued.public_id.lower(), issued.public_id.replace("-", "")):
        assert client.get(f"/api/v1/certificates/{typed}").get_json()["id"] == issued.public_id


def test_unknown_mistyped_and_pending_certificates_are_404(app, client, issued):
    chars = list(issued.public_id)
    chars[-2] = "Z" if chars[-2] != "Z" else "Y"
    for missing in (new_public_id(), "".join(chars), "nonsense", "CC-' OR 1=1 --"):
        _assert_problem(client.get(f"/api/v1/certificates/{missing}"), 404)
    with app.app_context():
        from tests.certificates.conftest import OPEN_INNOVATION

        pending = issue(slug=OPEN_INNOVATION, pending=True).public_id
        db.session.commit()
    _assert_problem(client.get(f"/api/v1/certificates/{pending}"), 404)


def test_a_revoked_certificate_says_when_and_why(app, client, issued):
    with app.app_context():
        services.revoke(lookup(issued.public_id), "Plagiarised case study", None)
        db.session.commit()
    body = client.get(f"/api/v1/certificates/{issued.public_id}").get_json()
    assert body["status"] == "revoked"
    assert body["revoked_at"].endswith("Z")
    assert body["revocation_reason"] == "Plagiarised case study"
    verdict = client.post("/api/v1/verify", json={"credential": issued.credential}).get_json()
    assert verdict["valid"] is False
    assert verdict["status"] == "revoked"
    status = next(check for check in verdict["checks"] if check["check"] == "status")
    assert status["passed"] is False
    assert "Plagiarised case study" in status["detail"]


@pytest.mark.usefixtures("csrf_enabled")
def test_verify_accepts_the_jws_as_application_jwt_or_json_without_csrf(client, issued):
    as_jwt = client.post("/api/v1/verify", data=issued.credential, content_type="application/jwt")
    as_json = client.post("/api/v1/verify", json={"credential": issued.credential})
    for response in (as_jwt, as_json):
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == {"valid", "status", "checks", "certificate_id", "language"}
        assert body["valid"] is True
        assert body["status"] == "valid"
        assert body["certificate_id"] == issued.public_id
        assert [check["check"] for check in body["checks"]] == [
            "format",
            "signature",
            "issuer",
            "dates",
            "status",
            "record",
        ]
        assert all(check["passed"] is True and check["detail"] for check in body["checks"])


def test_verify_names_the_failed_check_of_a_doctored_credential(client, issued):
    header, payload, signature = issued.credential.split(".")
    doctored = parts(issued.credential)[1]
    doctored["credentialSubject"]["name"] = "Someone Else"
    token = f"{header}.{b64json(doctored)}.{signature}"
    body = client.post("/api/v1/verify", json={"credential": token}).get_json()
    assert body["valid"] is False
    assert body["status"] == "invalid"
    failed = [check["check"] for check in body["checks"] if check["passed"] is False]
    assert failed == ["signature"]
    assert body["certificate_id"] is None


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"", "application/jwt"),
        (b"   ", "application/jwt"),
        (b"\xff\xfe", "application/jwt"),
        (b"eyJ.eyJ.x", "text/plain"),
        (b"{}", "application/json"),
        (b'{"credential": 42}', "application/json"),
        (b'{"credential": ""}', "application/json"),
        (b'["eyJ"]', "application/json"),
        (b"{not json", "application/json"),
        (b"credential=eyJ", "application/x-www-form-urlencoded"),
    ],
)
def test_verify_refuses_bad_bodies_with_a_problem(client, issued, data, content_type):
    _assert_problem(client.post("/api/v1/verify", data=data, content_type=content_type), 400)


def test_verify_reports_garbage_as_a_failed_format_check(client, issued):
    body = client.post("/api/v1/verify", json={"credential": "hello.world"}).get_json()
    assert body["valid"] is False
    assert body["checks"][0] == {
        "check": "format",
        "passed": False,
        "detail": "not a compact JWS (three base64url parts separated by dots)",
        "message_id": "verify.format.not_compact_jws",
        "message": body["checks"][0]["message"],  # in the caller's language
    }
    assert all(check["passed"] is None for check in body["checks"][1:])


def test_an_oversized_body_is_refused(client, issued):
    response = client.post("/api/v1/verify", data=b"e" * 200_000, content_type="application/jwt")
    assert response.status_code == 413


def test_sweeping_random_ids_finds_nothing_and_is_throttled(client, issued):
    codes = [client.get(f"/api/v1/certificates/{new_public_id()}").status_code for _ in range(60)]
    assert set(codes) == {404}
    assert client.get(f"/api/v1/certificates/{new_public_id()}").status_code == 429
    assert client.get(f"/api/v1/certificates/{issued.public_id}").status_code == 429
    # Verifying shares the same per-address budget.
    assert client.post("/api/v1/verify", json={"credential": issued.credential}).status_code == 429
    # Keys and status lists stay reachable for verifiers.
    assert client.get("/.well-known/jwks.json").status_code == 200
