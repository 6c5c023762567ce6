"""The export holds every record about the person, in every table that refers to people."""

from __future__ import annotations

import io
import json
import time
import zipfile

import sqlalchemy as sa

from lms.audit.models import AuditEvent
from lms.db import db
from lms.privacy.schema import user_references
from tests.conftest import csrf_token_from, login
from tests.grading.conftest import PDF
from tests.privacy.conftest import EMAIL, NAME, OLD_EMAIL


def _download(client) -> zipfile.ZipFile:  # type: ignore[no-untyped-def]
    response = client.post("/privacy/my-data/export")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert "attachment;" in response.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.data))


def _json(archive: zipfile.ZipFile, name: str) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(archive.read(f"{name}.json"))


def test_export_covers_every_table_that_refers_to_people(app, client, people):
    uid = people.person.id
    with app.app_context():
        # The person has data in every such table: a table added later fails here until this
        # fixture (and so the export) covers it.
        empty = []
        for table in {ref.table.name for ref in user_references()}:
            columns = [ref.column for ref in user_references() if ref.table.name == table]
            count = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(db.metadata.tables[table])
                .where(sa.or_(*(column == uid for column in columns)))
            )
            if not count:
                empty.append(table)
        assert empty == [], f"the test person has no rows in {empty}: add some to populate()"
        expected_ids = {
            ref.table.name: set(
                db.session.scalars(sa.select(ref.table.c.id).where(ref.column == uid))
            )
            for ref in user_references()
            if "id" in ref.table.c and ref.table.name != "erasure_requests"
        }
    login(client, EMAIL)
    archive = _download(client)
    manifest = json.loads(archive.read("manifest.json"))
    for ref in user_references():
        assert manifest["records"].get(ref.table.name, 0) >= 1, ref.table.name
        assert f"{ref.table.name}.json" in archive.namelist()
    for table, ids in expected_ids.items():
        rows = _json(archive, table) + (_json(archive, "grades_given") if table == "grades" else [])
        exported = {row["id"] for row in rows}
        assert ids <= exported, (table, ids - exported)
    assert manifest["missing"] == []

    profile = _json(archive, "users")[0]
    assert (profile["name"], profile["email"]) == (NAME, EMAIL)
    [submission] = _json(archive, "submissions")
    assert submission["answer"] == f"Answer by {NAME}."
    [attachment] = _json(archive, "attachments")
    assert archive.read(attachment["file_in_archive"]) == PDF
    [grade] = _json(archive, "grades")
    assert grade["overall_feedback"].startswith("Dear")
    [certificate] = _json(archive, "certificates")
    assert certificate["public_id"] == people.certificate_id
    assert certificate["credential"].count(".") == 2  # the signed JWS itself
    assert any(m["recipient"] == EMAIL for m in _json(archive, "outbox_messages"))
    actions = {event["action"] for event in _json(archive, "audit_events")}
    assert {"user.email_changed", "privacy.erasure_requested"} <= actions
    assert OLD_EMAIL in json.dumps(_json(archive, "audit_events"))
    [token] = _json(archive, "api_tokens")
    assert token["name"] == "HR portal"


def test_export_never_contains_secrets(app, client, people):
    login(client, EMAIL)
    archive = _download(client)
    everything = " ".join(
        archive.read(name).decode() for name in archive.namelist() if name.endswith(".json")
    )
    for secret in ("password_hash", "token_hash", "code_hash", "scrypt"):
        assert secret not in everything, secret


def test_export_is_recorded_in_the_audit_trail(app, client, people):
    login(client, EMAIL)
    _download(client)
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "privacy.exported")
        ).one()
        assert event.actor_id == people.person.id
        assert event.data["records"]["submissions"] == 1


def test_export_asks_for_the_password_again_after_a_while(app, client, people):
    login(client, EMAIL)
    with client.session_transaction() as session:
        session["auth_at"] = int(time.time()) - 3600
    response = client.post("/privacy/my-data/export", headers={"Referer": "/privacy/my-data"})
    assert response.status_code == 302
    assert "/auth/reauthenticate" in response.headers["Location"]
    with app.app_context():
        assert not db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "privacy.exported")
        )


def test_export_needs_a_login_and_a_form_token(app, client, people, csrf_enabled):
    login_page = client.get("/auth/login").get_data(as_text=True)
    anonymous = client.post(
        "/privacy/my-data/export", data={"csrf_token": csrf_token_from(login_page)}
    )
    assert anonymous.status_code == 302
    assert "/auth/login" in anonymous.headers["Location"]
    client.post(
        "/auth/login",
        data={
            "email": EMAIL,
            "password": "correct horse battery staple",
            "csrf_token": csrf_token_from(login_page),
        },
    )
    assert client.post("/privacy/my-data/export").status_code == 400
    page = client.get("/privacy/my-data").get_data(as_text=True)
    response = client.post("/privacy/my-data/export", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
