"""The employer's verify pages: by link, by typed id, by pasted credential, by file."""

import io
import json
import re

import sqlalchemy as sa

from lms.certificates import services
from lms.certificates.models import Certificate
from lms.db import db
from tests.certificates.conftest import parts
from tests.conftest import assert_inert_html, login
from tests.factories import admin


def test_the_verify_link_shows_valid_and_every_certified_claim(client, issued):
    page = client.get(f"/verify/{issued.public_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "VALID" in text
    assert issued.holder_name in text
    assert "Accredited Cooperation Coach" in text
    for code in ("KA1", "KA2", "KA3", "KA4"):
        assert code in text
    assert issued.kid in text
    assert "Valid until" in text
    for check in ("format", "signature", "issuer", "dates", "status", "record"):
        assert f'<strong data-check="{check}">' in text


def test_ids_typed_loosely_resolve_and_a_typo_is_named(client, issued):
    loose = issued.public_id.lower().replace("-", " ")
    response = client.get(f"/verify/{loose}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/verify/{issued.public_id}")
    compact = issued.public_id.replace("-", "")
    assert client.get(f"/verify/{compact}").status_code == 301
    typo = (
        issued.public_id[:-2] + ("X" if issued.public_id[-2] != "X" else "Y") + issued.public_id[-1]
    )
    mistyped = client.get(f"/verify/{typo}")
    assert mistyped.status_code == 404
    assert "mistyped" in mistyped.get_data(as_text=True)
    unknown = client.get("/verify/CC-0000-0000-0000-0000-0000")
    assert unknown.status_code == 404
    assert "No certificate with this id" in unknown.get_data(as_text=True)


def test_the_form_takes_an_id(client, issued):
    response = client.post("/verify", data={"certificate_id": issued.public_id.lower()})
    assert response.status_code == 302


def test_a_pasted_verify_link_in_the_form_finds_the_certificate(client, issued):
    canonical = f"/verify/{issued.public_id}"
    for pasted in (
        f"https://lms.example.test{canonical}",
        f"  \n http://other-host:5000{canonical}/ \r\n",
        f"lms.example.test{canonical.lower()}?lang=de#results",
        f"{issued.public_id}/",
    ):
        response = client.post("/verify", data={"certificate_id": pasted})
        assert response.status_code == 302, pasted
        assert response.headers["Location"].endswith(canonical), pasted
    assert client.get(canonical).status_code == 200


def test_a_trailing_slash_leads_to_the_certificate_and_unknown_ids_stay_unknown(client, issued):
    response = client.get(f"/verify/{issued.public_id}/")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/verify/{issued.public_id}")
    typo = issued.public_id[:-1] + ("X" if issued.public_id[-1] != "X" else "Y")
    mistyped = client.post("/verify", data={"certificate_id": f"https://host/verify/{typo}"})
    page = client.get(mistyped.headers["Location"])
    assert page.status_code == 404
    assert "mistyped" in page.get_data(as_text=True)
    assert typo in page.get_data(as_text=True)
    unknown = client.get("/verify/CC-0000-0000-0000-0000-0000/", follow_redirects=True)
    assert unknown.status_code == 404
    assert "No certificate with this id" in unknown.get_data(as_text=True)
    nothing = client.post("/verify", data={"certificate_id": "https://host/verify/"})
    assert client.get(nothing.headers["Location"]).status_code == 404


def test_pasting_the_credential_or_its_json(client, issued):
    for body in (issued.credential, json.dumps({"credential": issued.credential})):
        page = client.post("/verify", data={"credential": body})
        assert page.status_code == 200
        assert "VALID" in page.get_data(as_text=True)


def test_uploading_the_jwt_json_or_pdf(app, client, issued):
    from lms.certificates.pdf import render_certificate_pdf

    with app.app_context():
        certificate = db.session.scalar(
            sa.select(Certificate).filter_by(public_id=issued.public_id)
        )
        pdf = render_certificate_pdf(certificate, issuer_name="Issuer", verify_url="https://x")
    files = {
        "c.jwt": issued.credential.encode(),
        "c.json": json.dumps({"credential": issued.credential}).encode(),
        "c.pdf": pdf,
    }
    for name, content in files.items():
        page = client.post(
            "/verify",
            data={"file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert page.status_code == 200, name
        assert "VALID" in page.get_data(as_text=True), name


def test_an_altered_credential_names_the_failed_check(client, issued):
    header, payload, _signature = parts(issued.credential)
    payload["credentialSubject"]["achievement"]["name"] = "Master of Everything"
    head, _body, sig = issued.credential.split(".")
    from tests.certificates.conftest import b64json

    altered = ".".join([head, b64json(payload), sig])
    page = client.post("/verify", data={"credential": altered})
    text = page.get_data(as_text=True)
    assert "NOT VALID" in text
    assert "Failed check:</strong> Signature — the signature does not match" in text
    assert "Master of Everything" not in text


def test_a_forged_credential_in_a_file_fails(app, client, issued):
    _header, payload, _sig = parts(issued.credential)
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    header, _payload, _sig = parts(issued.credential)
    stranger = Ed25519PrivateKey.generate()  # not our key, but claiming our kid
    forged = jwt.encode(payload, stranger, algorithm="EdDSA", headers={"kid": header["kid"]})
    page = client.post(
        "/verify",
        data={"file": (io.BytesIO(forged.encode()), "forged.jwt")},
        content_type="multipart/form-data",
    )
    assert "NOT VALID" in page.get_data(as_text=True)


def test_revoked_shows_date_and_reason(app, client, issued):
    with app.app_context():
        certificate = db.session.scalar(
            sa.select(Certificate).filter_by(public_id=issued.public_id)
        )
        services.revoke(certificate, "Issued in error: wrong course", admin())
        db.session.commit()
    text = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert "REVOKED" in text
    assert "Issued in error: wrong course" in text
    assert "Revoked on" in text


def test_garbage_gets_a_clear_message_not_an_error(client, issued):
    for body in ("hello", "eyJ.eyJ.x", "{", '{"credential": 5}', "a" * 10_000):
        page = client.post("/verify", data={"credential": body})
        assert page.status_code in (200, 422), body
    empty = client.post("/verify", data={})
    assert empty.status_code == 422
    assert "Type a certificate id" in empty.get_data(as_text=True)
    pdf = client.post(
        "/verify",
        data={"file": (io.BytesIO(b"%PDF-1.4 nothing"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert "does not carry a signed credential" in pdf.get_data(as_text=True)


def test_names_with_markup_are_shown_inert(app, client):
    from tests.certificates.conftest import import_courses, issue
    from tests.factories import trainee

    with app.app_context():
        import_courses()
        made = issue(trainee(name='<img src=x onerror=alert(1)>"><script>x</script>'))
        db.session.commit()
        public_id = made.public_id
    html = client.get(f"/verify/{public_id}").get_data(as_text=True)
    assert_inert_html(html)


def test_many_random_ids_are_all_unknown_then_rate_limited(app, client, issued):
    usual = app.config["VERIFY_RATE_LIMIT"]
    app.config["VERIFY_RATE_LIMIT"] = "20 per minute"
    try:
        statuses = [
            client.get(f"/verify/CC-{n:04d}-AAAA-BBBB-CCCC-DDDD").status_code for n in range(25)
        ]
    finally:
        app.config["VERIFY_RATE_LIMIT"] = usual
    assert set(statuses[:20]) == {404}
    assert statuses[-1] == 429


def test_holder_page_and_downloads(client, issued):
    from lms.accounts.models import User

    holder = db.session.get(User, issued.user_id)
    login(client, holder.email)
    page = client.get("/certificates/").get_data(as_text=True)
    assert issued.public_id in page
    assert "linkedin.com/profile/add?" in page
    assert f"/verify/{issued.public_id}" in page
    jwt = client.get(f"/certificates/{issued.public_id}.jwt")
    assert jwt.get_data(as_text=True) == issued.credential
    assert jwt.headers["Content-Disposition"].startswith("attachment")
    pdf = client.get(f"/certificates/{issued.public_id}.pdf")
    assert pdf.data.startswith(b"%PDF")
    assert issued.credential.encode() in pdf.data
    assert (
        json.loads(client.get(f"/certificates/{issued.public_id}.json").data)["id"]
        == issued.public_id
    )


def test_nobody_else_downloads_a_certificate(app, issued):
    from tests.access import LOGIN, NOT_FOUND, OK, check_access
    from tests.factories import trainee

    people = {"anonymous": lambda: None, "other trainee": trainee, "admin": admin}
    for kind in ("pdf", "jwt", "json"):
        check_access(
            app,
            "GET",
            f"/certificates/{issued.public_id}.{kind}",
            {"anonymous": LOGIN, "other trainee": NOT_FOUND, "admin": NOT_FOUND},
            people,
        )
    check_access(
        app,
        "GET",
        f"/admin/certificates/{issued.public_id}",
        {"anonymous": LOGIN, "other trainee": 403, "admin": OK},
        people,
    )


def test_admin_revokes_with_a_reason_and_an_audit_entry(client, issued):
    from lms.audit.models import AuditEvent

    boss = admin()
    login(client, boss.email)
    url = f"/admin/certificates/{issued.public_id}"
    assert client.post(url, data={"action": "revoke", "reason": ""}).status_code == 422
    assert client.post(url, data={"action": "revoke", "reason": "Misconduct"}).status_code == 302
    assert "REVOKED" in client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.subject_id == issued.public_id)
    ).all()
    assert "certificate.revoked" in events


def test_admin_renews_and_the_old_certificate_points_to_the_new(client, issued):
    boss = admin()
    login(client, boss.email)
    response = client.post(f"/admin/certificates/{issued.public_id}", data={"action": "renew"})
    assert response.status_code == 302
    new_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert new_id != issued.public_id
    old_page = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert "SUPERSEDED" in old_page
    assert new_id in old_page
    assert "VALID" in client.get(f"/verify/{new_id}").get_data(as_text=True)


def _lookups_until_refused(app, client, headers=None):
    usual = app.config["VERIFY_RATE_LIMIT"]
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        for n in range(4):
            response = client.get(f"/verify/CC-{n:04d}-AAAA-BBBB-CCCC-DDDD", headers=headers)
    finally:
        app.config["VERIFY_RATE_LIMIT"] = usual
    assert response.status_code == 429
    return response


def test_a_refused_lookup_says_how_long_to_wait_and_sets_retry_after(app, client, issued):
    response = _lookups_until_refused(app, client)
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 61
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page
    assert re.search(r"Please wait (\d+ seconds|1 minute|2 minutes) before trying again\.", page)


def test_the_wait_is_said_in_the_readers_language(app, client, issued):
    german = _lookups_until_refused(app, client, {"Accept-Language": "de"})
    assert re.search(r"\d+ (Sekunden|Minuten?)\b", german.get_data(as_text=True))
    from lms.extensions import limiter

    with app.app_context():
        limiter.reset()
    french = _lookups_until_refused(app, client, {"Accept-Language": "fr"})
    assert re.search(r"\d+\s(secondes|minutes?)\b", french.get_data(as_text=True))
