"""Backup → restore onto an empty database and upload folder (SECURITY-TESTS line 35): every
certificate still verifies, every attachment matches its hash, the schema is at the newest
migration, and on PostgreSQL new rows get fresh ids after the explicit ones."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import stamp

from lms import create_app
from lms.accounts.models import User
from lms.assessments import services as assessments
from lms.assessments import uploads
from lms.assessments.models import Attachment, Submission
from lms.audit import services as audit
from lms.audit.models import AuditEvent
from lms.backup import services as backup_services
from lms.certificates import keys
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate, CertificateStatus, SigningKey
from lms.certificates.verification import verify_token
from lms.cohorts.models import MemberRole
from lms.courses.models import Course
from lms.db import db
from tests.certificates.conftest import isolated_app, issue
from tests.conftest import WORKER, base_test_config, fresh_postgres_schema
from tests.factories import UserFactory
from tests.grading.conftest import COACH, PDF, add_cohort, member

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """A small but complete installation: two signing keys, a valid and a revoked certificate,
    a draft with two attachments, audit entries; its schema stamped at the newest migration."""
    application = isolated_app(tmp_path_factory.mktemp("source"))
    with application.app_context():
        stamp()
        course = db.session.scalar(sa.select(Course).filter_by(slug=COACH))
        module = next(m for m in course.modules if m.slug == "strategic-partnership")
        cohort = add_cohort(course, "Backup cohort")
        person = UserFactory(name="Zoë Ångström")
        member(cohort, person, MemberRole.TRAINEE)
        with application.test_request_context():
            draft = assessments.save_draft(person, module, "Mein Plan ✓", expected_version=None)
            assessments.add_attachment(person, draft, io.BytesIO(PDF), "plan.pdf")
            assessments.add_attachment(person, draft, io.BytesIO(PNG), "chart.png")
            keys.rotate()
            revoked = issue(UserFactory(name="Rolf Revoked"))
            certificate_services.revoke(revoked, "Issued in error", None)
            db.session.commit()
    return application


def _target_app(directory: Path, url: str) -> Flask:
    application = create_app(base_test_config(directory, url))
    with application.app_context():
        db.create_all()
        stamp()
    return application


@pytest.fixture
def sqlite_target(tmp_path: Path) -> Iterator[Flask]:
    application = _target_app(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def postgres_target(tmp_path: Path) -> Iterator[Flask]:
    with fresh_postgres_schema(f"test_{WORKER}_restore") as url:
        application = _target_app(tmp_path, url)
        yield application
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def archive(source: Flask, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup") / "lms.zip"
    result = source.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    return path


def _restore_and_check(source: Flask, target: Flask, archive: Path) -> None:
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output

    with source.app_context():
        expected = {
            table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in db.metadata.sorted_tables
        }
        expected_keys = {k.kid: k.private_pkcs8 for k in db.session.scalars(sa.select(SigningKey))}
    with target.app_context():
        # The schema is at the newest migration, every table has every row.
        with db.engine.connect() as connection:
            assert backup_services.current_revision(connection) == backup_services.head_revision()
        for table in db.metadata.sorted_tables:
            count = db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            assert count == expected[table.name], table.name
        # Keys arrive still encrypted, byte for byte, and still sign.
        restored_keys = {k.kid: k.private_pkcs8 for k in db.session.scalars(sa.select(SigningKey))}
        assert restored_keys == expected_keys
        assert len(restored_keys) == 2
        # Every certificate still verifies (the revoked one says so).
        certificates = db.session.scalars(sa.select(Certificate)).all()
        assert len(certificates) == 2
        for certificate in certificates:
            verdict = verify_token(certificate.credential)
            if certificate.status == CertificateStatus.REVOKED:
                assert verdict.status == "revoked"
                assert certificate.revocation_reason == "Issued in error"
                assert certificate.revoked_at is not None
                assert certificate.revoked_at.tzinfo
            else:
                assert verdict.valid, verdict.checks
        # Every attachment matches its recorded hash.
        attachments = db.session.scalars(sa.select(Attachment)).all()
        assert {a.content_type for a in attachments} == {"application/pdf", "image/png"}
        for attachment in attachments:
            data = uploads.path_of(attachment.stored_name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == attachment.sha256
        person = db.session.scalar(sa.select(User).filter_by(name="Zoë Ångström"))
        assert person is not None
        answer = db.session.scalar(sa.select(Submission.answer).filter_by(user_id=person.id))
        assert answer == "Mein Plan ✓"
        # New rows get ids after the restored ones (sequences reset on PostgreSQL), and a new
        # certificate can be signed with the restored, still encrypted key.
        highest = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
        entry = audit.record("backup.checked", "users", person.id)
        fresh = issue(person)
        db.session.commit()
        assert entry.id > highest
        assert verify_token(fresh.credential).valid


def test_restore_onto_empty_sqlite(source, archive, sqlite_target):
    _restore_and_check(source, sqlite_target, archive)


@pytest.mark.postgres
def test_restore_from_sqlite_onto_empty_postgresql(source, archive, postgres_target):
    _restore_and_check(source, postgres_target, archive)


def test_the_archive_is_portable_json_with_a_manifest(archive):
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        assert manifest["alembic_revision"]
        names = [entry["name"] for entry in manifest["tables"]]
        assert names.index("users") < names.index("submissions") < names.index("attachments")
        assert len(manifest["uploads"]) == 2
        key = json.loads(opened.read("tables/signing_keys.jsonl").splitlines()[0])
        assert isinstance(key["private_pkcs8"], str)
        assert "PRIVATE KEY" not in key["private_pkcs8"]
        certificate = json.loads(opened.read("tables/certificates.jsonl").splitlines()[0])
        assert certificate["issued_at"].endswith("+00:00")
        assert isinstance(certificate["results"], list)


def test_restore_refuses_a_database_that_is_not_empty(source, archive):
    before = _counts(source)
    result = source.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "not empty" in result.output
    assert "Nothing was restored" in result.output
    assert _counts(source) == before


def test_restore_refuses_other_files_and_a_damaged_upload(sqlite_target, archive, tmp_path):
    runner = sqlite_target.test_cli_runner()
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip file")
    result = runner.invoke(args=["restore", str(junk)])
    assert result.exit_code != 0
    assert "Cannot read" in result.output

    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive) as original, zipfile.ZipFile(damaged, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename.startswith("uploads/") and item.filename.endswith(
                next(iter(json.loads(original.read("manifest.json"))["uploads"]))
            ):
                data = data[:-1] + b"X"
            copy.writestr(item, data)
    result = runner.invoke(args=["restore", str(damaged)])
    assert result.exit_code != 0
    assert "damaged" in result.output
    with sqlite_target.app_context():
        assert _counts(sqlite_target) == dict.fromkeys(_counts(sqlite_target), 0)
        assert not list(Path(sqlite_target.config["UPLOAD_DIR"]).rglob("*.*"))
        assert not [p for p in Path(sqlite_target.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def _counts(application: Flask) -> dict[str, int]:
    with application.app_context():
        return {
            table.name: int(
                db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0
            )
            for table in db.metadata.sorted_tables
        }


def test_backup_refuses_a_database_behind_the_code(tmp_path):
    application = create_app(base_test_config(tmp_path, f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    with application.app_context():
        db.create_all()  # tables, but never migrated: no revision
    target = tmp_path / "never.zip"
    result = application.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code != 0
    assert "lms db upgrade" in result.output
    assert "Traceback" not in result.output
    assert not target.exists()
    assert not list(tmp_path.glob("*.part"))
    with application.app_context():
        db.engine.dispose()
