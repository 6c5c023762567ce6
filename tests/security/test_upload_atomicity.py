"""An attachment is its file and its row together (SECURITY-TESTS line 32, on any database):
a failure after the file was written leaves no orphan file, a failed removal keeps both.

These run on real transactions (`committed`): the file clean-up follows the outermost commit
or rollback, which the per-test savepoint of `db_session` would hide."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event, orm

from lms.assessments.models import Attachment
from lms.db import db
from tests.conftest import login
from tests.grading.conftest import PDF
from tests.security.conftest import Person


def _files(app: Flask) -> set[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


@pytest.fixture
def trainee_client(committed: Flask, person: Person) -> Iterator:  # type: ignore[type-arg]
    committed.config["PROPAGATE_EXCEPTIONS"] = False  # failures become the 500 page
    client = committed.test_client()
    assert login(client, person.email).status_code == 302
    response = client.post(
        f"/assessments/modules/{person.module_id}/draft", data={"answer": "x", "version": ""}
    )
    assert response.status_code == 302
    yield client, person.module_id
    committed.config["PROPAGATE_EXCEPTIONS"] = None


def _upload(client, module_id: int):  # type: ignore[no-untyped-def]
    return client.post(
        f"/assessments/modules/{module_id}/draft",
        data={"answer": "x", "files": (io.BytesIO(PDF), "plan.pdf")},
        content_type="multipart/form-data",
    )


def test_a_failure_after_the_file_is_written_leaves_no_orphan(committed, trainee_client):
    client, module_id = trainee_client
    before = _files(committed)
    on_disk: list[int] = []

    def refuse_attachment_rows(session: orm.Session, context: object, instances: object) -> None:
        if any(isinstance(obj, Attachment) for obj in session.new):
            on_disk.append(len(_files(committed) - before))
            raise RuntimeError("the database refused the row")

    event.listen(orm.Session, "before_flush", refuse_attachment_rows)
    try:
        response = _upload(client, module_id)
    finally:
        event.remove(orm.Session, "before_flush", refuse_attachment_rows)
    assert response.status_code == 500
    assert on_disk == [1]  # the file was written when the row failed...
    assert _files(committed) == before  # ...and is gone again
    assert _count(committed, Attachment) == 0


def test_a_failed_removal_keeps_the_file_and_the_row(committed, trainee_client):
    client, module_id = trainee_client
    before = _files(committed)
    assert _upload(client, module_id).status_code == 302
    stored = _files(committed) - before
    assert len(stored) == 1
    with committed.app_context():
        attachment_id = db.session.scalar(sa.select(Attachment.id))
    url = f"/assessments/modules/{module_id}/draft"
    removal = {"answer": "x", "remove": str(attachment_id)}

    def refuse_commit(session: orm.Session) -> None:
        if session.info.get("lms_files_to_delete"):
            raise RuntimeError("the commit failed")

    event.listen(orm.Session, "before_commit", refuse_commit)
    try:
        response = client.post(url, data=removal)
    finally:
        event.remove(orm.Session, "before_commit", refuse_commit)
    assert response.status_code == 500
    assert stored <= _files(committed)  # the file stays with its row
    assert _count(committed, Attachment) == 1
    # The same removal, when nothing fails, takes both.
    assert client.post(url, data=removal).status_code == 302
    assert _count(committed, Attachment) == 0
    assert not stored & _files(committed)
