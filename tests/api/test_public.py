"""The public API: batch verification, ETags, rate-limit headers, the OpenAPI document."""

from __future__ import annotations

from lms.certificates import services
from lms.certificates.ids import new_public_id
from lms.certificates.verification import lookup
from lms.db import db
from tests.certificates.conftest import b64json, import_courses, issue, parts


def test_batch_verification_gives_each_item_its_own_result(app, client, db_session):
    with app.app_context():
        import_courses()
        good = issue()
        revoked = issue()
        services.revoke(lookup(revoked.public_id), "Plagiarised case study", None)
        db.session.commit()
        good_id, good_jws, revoked_jws = good.public_id, good.credential, revoked.credential
    header, payload, signature = good_jws.split(".")
    doctored = parts(good_jws)[1]
    doctored["credentialSubject"]["name"] = "Someone Else"
    forged = f"{header}.{b64json(doctored)}.{signature}"
    items = [good_id.lower(), good_jws, revoked_jws, forged, new_public_id(), "not.a.jws"]
    response = client.post("/api/v1/verify/batch", json={"items": items})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["kind"] for r in results] == [
        "id",
        "credential",
        "credential",
        "credential",
        "id",
        "credential",
    ]
    assert [r["valid"] for r in results] == [True, True, False, False, False, False]
    assert [r["status"] for r in results] == [
        "valid",
        "valid",
        "revoked",
        "invalid",
        "unknown",
        "invalid",
    ]
    assert results[0]["certificate_id"] == good_id
    failed = [c["check"] for c in results[3]["checks"] if c["passed"] is False]
    assert failed == ["signature"]
    assert results[4]["checks"] == []


def test_batch_verification_refuses_bad_bodies(client, db_session):
    for body in ({}, {"items": []}, {"items": ["x"] * 101}, {"items": [1]}, {"items": [""]}, []):
        response = client.post("/api/v1/verify/batch", json=body)
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
    as_text = client.post("/api/v1/verify/batch", data="x", content_type="text/plain")
    assert as_text.status_code == 400


def test_public_certificates_carry_an_etag_and_rate_limit_headers(client, issued):
    first = client.get(f"/api/v1/certificates/{issued.public_id}")
    assert first.headers["ETag"]
    assert first.headers["RateLimit-Policy"] == '"lookups";q=60;w=60'
    assert first.headers["RateLimit"].startswith('"lookups";r=59;t=')
    again = client.get(
        f"/api/v1/certificates/{issued.public_id}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_the_rate_limit_answers_with_a_problem_and_retry_after(client, issued):
    for _ in range(60):
        client.post("/api/v1/verify/batch", json={"items": [issued.public_id]})
    refused = client.get(f"/api/v1/certificates/{issued.public_id}")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("#problem-too-many-requests")
    assert int(refused.headers["Retry-After"]) > 0


def test_the_openapi_document_and_the_reference_page_are_served(client, db_session):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert "/verify/batch" in document["paths"]
    assert document["servers"] == [{"url": "https://lms.example.test/api/v1"}]
    cached = client.get("/api/v1/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "POST /verify/batch" in page.text
    assert 'id="problem-forbidden"' in page.text


def test_methods_an_operation_does_not_have_get_405_with_allow(client, db_session):
    for method, url in (("DELETE", "/api/v1/verify"), ("PUT", "/api/v1/users")):
        response = client.open(url, method=method)
        assert response.status_code == 405
        assert response.mimetype == "application/problem+json"
        assert response.headers["Allow"]
