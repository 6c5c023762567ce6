"""The database goes away (SECURITY-TESTS lines 32 and 33, PostgreSQL).

A proxy the test controls stands between the application and PostgreSQL: cutting it is the
database host disappearing. Pages answer a clean 503 (HTML, or problem+json under /api), the
same process recovers once the database is back (the pool pings before use), and a request cut
off at its commit leaves neither a row nor an uploaded file behind. A worker process killed
with SIGKILL just before its commit leaves nothing either.
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event, orm
from sqlalchemy.engine import make_url

from lms import PROJECT_ROOT, create_app
from lms.assessments.models import Attachment, Submission
from lms.certificates.ids import new_public_id
from lms.db import db
from tests.conftest import base_test_config, login, postgres_url_for_worker
from tests.grading.conftest import PDF
from tests.security.conftest import Person
from tests.security.faults import CuttableProxy

pytestmark = pytest.mark.postgres

UNAVAILABLE = "The service is briefly unavailable"


@pytest.fixture
def proxy() -> Iterator[CuttableProxy]:
    url = make_url(postgres_url_for_worker())
    with CuttableProxy((url.host or "127.0.0.1", url.port or 5432)) as running:
        yield running


@pytest.fixture
def proxied_app(tmp_path: Path, proxy: CuttableProxy, person: Person) -> Iterator[Flask]:
    url = make_url(postgres_url_for_worker()).set(host="127.0.0.1", port=proxy.port)
    application = create_app(base_test_config(tmp_path, url.render_as_string(hide_password=False)))
    # As in production: an error raised after the view (at the commit) becomes the error page.
    application.config["PROPAGATE_EXCEPTIONS"] = False
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _draft(client, person: Person, text: str = "An answer"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/assessments/modules/{person.module_id}/draft", data={"answer": text, "version": ""}
    )


def _rows(committed: Flask, model: type, **filters: object) -> int:
    with committed.app_context():
        db.session.remove()
        return int(
            db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**filters))
            or 0
        )


def test_a_clean_503_while_the_database_is_away_then_recovery_without_restart(
    proxied_app, proxy, person, committed
):
    client = proxied_app.test_client()
    assert login(client, person.email).status_code == 302
    assert client.get("/").status_code == 200

    proxy.cut()
    page = client.get("/")
    assert page.status_code == 503
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert UNAVAILABLE in html
    assert page.headers["Retry-After"] == "30"
    for internal in ("Traceback", "OperationalError", "psycopg", "5432"):
        assert internal not in html
    api = client.get(f"/api/v1/certificates/{new_public_id()}")
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["status"] == 503
    assert _draft(client, person).status_code == 503
    # An employer's lookups read outside the session's transaction: the same clean answers.
    employer = proxied_app.test_client()
    unknown = new_public_id()
    page = employer.get(f"/verify/{unknown}")
    assert page.status_code == 503
    assert UNAVAILABLE in page.get_data(as_text=True)
    lookup = employer.get(f"/api/v1/certificates/{unknown}")
    assert lookup.status_code == 503
    assert lookup.mimetype == "application/problem+json"

    proxy.restore()
    assert client.get("/").status_code == 200  # same process, same pool: it pinged and reconnected
    assert employer.get(f"/verify/{unknown}").status_code == 404
    assert employer.get(f"/api/v1/certificates/{unknown}").status_code == 404
    assert _rows(committed, Submission, user_id=person.user_id) == 0
    assert _draft(client, person).status_code == 302
    assert _rows(committed, Submission, user_id=person.user_id) == 1


def test_a_connection_lost_at_the_commit_leaves_no_row_and_no_file(
    proxied_app, proxy, person, committed
):
    client = proxied_app.test_client()
    assert login(client, person.email).status_code == 302
    assert _draft(client, person).status_code == 302
    with committed.app_context():
        submission_id = db.session.scalar(
            sa.select(Submission.id).filter_by(user_id=person.user_id)
        )
    upload_dir = Path(proxied_app.config["UPLOAD_DIR"])
    before = sorted(upload_dir.rglob("*")) if upload_dir.exists() else []

    def cut_at_commit(session: orm.Session) -> None:
        if session.info.get("lms_written_files"):  # the upload's own commit
            proxy.cut()

    event.listen(orm.Session, "before_commit", cut_at_commit)
    try:
        response = client.post(
            f"/assessments/modules/{person.module_id}/draft",
            data={"answer": "An answer", "files": (io.BytesIO(PDF), "plan.pdf")},
            content_type="multipart/form-data",
        )
    finally:
        event.remove(orm.Session, "before_commit", cut_at_commit)
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)
    proxy.restore()
    assert _rows(committed, Attachment, submission_id=submission_id) == 0
    after = sorted(upload_dir.rglob("*")) if upload_dir.exists() else []
    assert [p for p in after if p.is_file()] == [p for p in before if p.is_file()]
    # And the same upload works once the database is back.
    retry = client.post(
        f"/assessments/modules/{person.module_id}/draft",
        data={"answer": "An answer", "files": (io.BytesIO(PDF), "plan.pdf")},
        content_type="multipart/form-data",
    )
    assert retry.status_code == 302
    assert _rows(committed, Attachment, submission_id=submission_id) == 1


WORKER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sqlalchemy import event, orm
    from lms import create_app
    from tests.conftest import base_test_config, login

    url, instance, email, module_id = sys.argv[1:5]
    app = create_app(base_test_config(Path(instance), url))
    client = app.test_client()
    assert login(client, email).status_code == 302

    def hang(session):
        print("committing", flush=True)
        time.sleep(120)

    event.listen(orm.Session, "before_commit", hang)
    client.post(f"/assessments/modules/{module_id}/draft", data={"answer": "x", "version": ""})
    """
)


def test_a_worker_killed_mid_request_leaves_nothing(person, committed, tmp_path):
    name = f"lms-killed-{uuid.uuid4().hex[:12]}"
    url = make_url(postgres_url_for_worker()).update_query_dict({"application_name": name})
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [
            sys.executable,
            "-c",
            WORKER_SCRIPT,
            url.render_as_string(hide_password=False),
            str(tmp_path),
            person.email,
            str(person.module_id),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "committing"
        with committed.app_context():
            waiting = db.session.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = :name AND state = 'idle in transaction'"
                ),
                {"name": name},
            )
            db.session.rollback()
        assert waiting == 1  # the draft is inserted, not committed, when the worker dies
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()
    deadline = time.monotonic() + 10
    with committed.app_context():
        while True:
            left = db.session.scalar(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": name},
            )
            db.session.rollback()
            if left == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert left == 0  # PostgreSQL ended the session and rolled its transaction back
    assert _rows(committed, Submission, user_id=person.user_id) == 0
