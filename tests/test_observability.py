"""Operations: request ids, JSON logs, liveness and readiness, protected metrics, file storage."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from lms import create_app, health, logs, metrics
from lms.config import ConfigError
from lms.db import db
from lms.notifications.models import OutboxMessage
from lms.storage import LocalStorage, from_url, new_key
from tests.conftest import base_test_config, login
from tests.factories import trainee

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


# Request ids ------------------------------------------------------------------------------


def test_a_proxys_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-42.a:b"})
    assert response.headers["X-Request-ID"] == "edge-42.a:b"


@pytest.mark.parametrize("given", ["has spaces", "<script>", "x" * 65, "é"])
def test_an_unsafe_request_id_is_replaced(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] != given
    assert len(response.headers["X-Request-ID"]) == 32


# JSON logs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"ENV": "production"}, "json"),
        ({"ENV": "development"}, "text"),
        ({"ENV": "production", "LOG_FORMAT": "text"}, "text"),
        ({"ENV": "development", "LOG_FORMAT": "JSON"}, "json"),
        ({"ENV": "development", "LOG_FORMAT": "xml"}, "text"),
    ],
)
def test_log_format_is_json_in_production_unless_chosen(config, expected):
    assert logs.log_format(config) == expected


def test_a_json_log_record_is_one_line_with_the_fields():
    record = logging.LogRecord("lms.x", logging.WARNING, "", 0, "two\nlines %s", ("é",), None)
    record.request_id = "abc"
    record.status = 404
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "lms.x"
    assert entry["message"] == "two\nlines é"
    assert entry["request_id"] == "abc"
    assert entry["status"] == 404
    assert entry["time"].endswith("+00:00")
    assert "user_id" not in entry


@pytest.fixture(scope="module")
def json_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app of its own that logs JSON; the shared handler goes back to text afterwards."""
    folder = tmp_path_factory.mktemp("json-logs")
    config = base_test_config(folder, f"sqlite:///{folder / 'own.sqlite3'}")
    config["LOG_FORMAT"] = "json"
    application = create_app(config)
    with application.app_context():
        db.create_all()
    try:
        yield application
    finally:
        handler = next(h for h in logging.getLogger("lms").handlers if getattr(h, "_lms", False))
        handler.setFormatter(logs.make_formatter("text"))
        with application.app_context():
            db.engine.dispose()


def test_each_request_is_logged_as_json_with_the_logged_in_user(json_app, tmp_path):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    request_logger = logging.getLogger(logs.REQUEST_LOGGER)
    request_logger.addHandler(handler)
    try:
        with json_app.app_context():
            person = trainee()
            db.session.commit()
            person_id = person.id
        client = json_app.test_client()
        client.get("/auth/login", headers={"X-Request-ID": "anon-1"})
        login(client, person.email)
        client.get("/", headers={"X-Request-ID": "mine-1"})
    finally:
        request_logger.removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    anonymous = next(e for e in entries if e["request_id"] == "anon-1")
    assert anonymous["method"] == "GET"
    assert anonymous["path"] == "/auth/login"
    assert anonymous["status"] == 200
    assert anonymous["duration_ms"] >= 0
    assert "user_id" not in anonymous
    signed_in = next(e for e in entries if e["request_id"] == "mine-1")
    assert signed_in["user_id"] == person_id
    assert signed_in["path"] == "/"


# Liveness and readiness --------------------------------------------------------------------


def test_readyz_is_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok"}}


def test_without_the_database_the_process_is_alive_but_not_ready(client, monkeypatch):
    monkeypatch.setattr(health, "database_reachable", lambda: False)
    alive = client.get("/healthz")
    assert alive.status_code == 200
    assert alive.json == {"status": "ok", "database": "unreachable"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"] == {"database": "unreachable"}


def test_readyz_checks_redis_when_rate_limits_are_kept_there(app, client, monkeypatch):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URL", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "redis": "unreachable"}


# Metrics -------------------------------------------------------------------------------


def test_metrics_are_hidden_from_other_addresses(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404


def test_metrics_open_with_the_bearer_token_only(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    wrong = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 404
    right = client.get(
        "/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer s3cret-token"}
    )
    assert right.status_code == 200


@pytest.mark.parametrize(
    ("address", "allow", "expected"),
    [
        ("127.0.0.1", "127.0.0.1,::1", True),
        ("::1", "127.0.0.1,::1", True),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("10.1.2.3", "127.0.0.1, not-an-address", False),
        ("not-an-address", "0.0.0.0/0", False),
        (None, "0.0.0.0/0", False),
        ("10.1.2.3", "", False),
    ],
)
def test_metrics_allow_list(address, allow, expected):
    assert metrics.allowed(address, None, {"METRICS_ALLOW": allow}) is expected


def test_no_token_configured_opens_nothing():
    assert not metrics.allowed("203.0.113.7", "Bearer ", {"METRICS_TOKEN": None})


def test_metrics_count_requests_by_route_not_by_path(client):
    client.get("/verify/CC-NO-SUCH-ID1")
    client.get("/verify/CC-NO-SUCH-ID2")
    page = client.get("/metrics")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/plain")
    text = page.get_data(as_text=True)
    assert 'endpoint="verify.by_id",method="GET",status="404"' in text
    assert "CC-NO-SUCH-ID" not in text
    assert "lms_http_request_duration_seconds_bucket" in text
    assert "lms_certificates_issued_total" in text


def test_metrics_show_the_queues_when_scraped(app, client, db_session):
    def pending() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        line = next(x for x in text.splitlines() if x.startswith("lms_mail_outbox_pending "))
        return float(line.split()[1])

    before = pending()
    with app.app_context():
        db.session.add(OutboxMessage(recipient="a@example.org", subject="s", text="t"))
        db.session.commit()
    assert pending() == before + 1
    assert "lms_grading_queue_length " in client.get("/metrics").get_data(as_text=True)


class FakeSession:
    """What the certificate-counting listeners look at: new objects, info, nesting."""

    def __init__(self, new: list[object], info: dict, *, nested: bool) -> None:
        self.new, self.info, self.nested = new, info, nested

    def in_nested_transaction(self) -> bool:
        return self.nested


def test_a_certificate_counts_when_the_outer_transaction_commits_only():
    from lms.certificates.models import Certificate

    counter = metrics.CERTIFICATES_ISSUED._value
    before = counter.get()
    certificate = object.__new__(Certificate)
    info: dict = {}
    metrics._remember_new_certificates(
        FakeSession([certificate, object()], info, nested=True), None
    )
    metrics._count_certificates(FakeSession([], info, nested=True))  # a savepoint released
    assert counter.get() == before
    metrics._count_certificates(FakeSession([], info, nested=False))
    assert counter.get() == before + 1
    metrics._count_certificates(FakeSession([], info, nested=False))  # counted once only
    assert counter.get() == before + 1
    metrics._remember_new_certificates(FakeSession([certificate], info, nested=False), None)
    rolled_back = type("Previous", (), {"nested": False})()
    metrics._forget_certificates(FakeSession([], info, nested=False), rolled_back)
    metrics._count_certificates(FakeSession([], info, nested=False))
    assert counter.get() == before + 1


# Storage -----------------------------------------------------------------------------------


def test_local_storage_keeps_reads_and_removes_files(tmp_path: Path):
    storage = LocalStorage(tmp_path / "files")
    key = new_key()
    staged = storage.staging_path(key)
    staged.write_bytes(b"%PDF-1.7 hello")
    assert not storage.exists(key)
    storage.save(key, staged)
    assert not staged.exists()
    assert storage.exists(key)
    assert storage.size(key) == 14
    with storage.open(key) as handle:
        assert handle.read() == b"%PDF-1.7 hello"
    assert storage.local_path(key) == tmp_path / "files" / key[:2] / key
    storage.delete(key)
    storage.delete(key)  # already gone: no error
    assert not storage.exists(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_local_storage_takes_a_file_staged_elsewhere(tmp_path: Path):
    storage = LocalStorage(tmp_path / "files")
    key = new_key()
    elsewhere = tmp_path / "upload.tmp"
    elsewhere.write_bytes(b"content")
    storage.save(key, elsewhere)
    assert storage.size(key) == 7
    assert not elsewhere.exists()
    assert list((tmp_path / "files").rglob("*.part")) == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "ab/../cd", "", "ABCDEF0123456789", "a" * 65])
def test_a_key_never_names_a_path(tmp_path: Path, key):
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError, match="Not a storage key"):
        storage.exists(key)


def test_storage_url_names_a_folder_or_is_refused(tmp_path: Path):
    assert isinstance(from_url(None, tmp_path), LocalStorage)
    assert from_url(f"file://{tmp_path}/shared", tmp_path).root == tmp_path / "shared"  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="LMS_STORAGE_URL"):
        from_url("s3://bucket/uploads", tmp_path)
    with pytest.raises(ConfigError, match="LMS_STORAGE_URL"):
        from_url("file://host/relative", tmp_path)


def test_the_storage_url_is_the_upload_folder(tmp_path: Path):
    config = base_test_config(tmp_path, f"sqlite:///{tmp_path / 'own.sqlite3'}")
    config["STORAGE_URL"] = f"file://{tmp_path}/shared-volume"
    application = create_app(config)
    assert application.config["UPLOAD_DIR"] == str(tmp_path / "shared-volume")
    config["STORAGE_URL"] = "ftp://files.example.org/"
    with pytest.raises(ConfigError, match="LMS_STORAGE_URL"):
        create_app(config)


def test_a_request_refused_by_the_csrf_check_keeps_its_request_id(client, csrf_enabled):
    response = client.post("/auth/login", data={}, headers={"X-Request-ID": "refused-1"})
    assert response.status_code == 400
    assert response.headers["X-Request-ID"] == "refused-1"


# gunicorn settings and `lms serve` ------------------------------------------------------------


@pytest.fixture
def gunicorn_conf(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """gunicorn.conf.py as gunicorn loads it, with the environment it changes restored."""
    import runpy

    from lms import PROJECT_ROOT

    monkeypatch.setenv("LMS_DOTENV", str(tmp_path / "none.env"))
    monkeypatch.setenv("LMS_RUN_SCHEDULER", "true")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("LMS_BIND", "127.0.0.1:9001, 127.0.0.1:9002")
    monkeypatch.setenv("LMS_WEB_WORKERS", "3")
    monkeypatch.setenv("LMS_LOG_FORMAT", "json")
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert os.environ["LMS_RUN_SCHEDULER"] == "false"  # never in the web workers
    return settings


def test_gunicorn_settings_come_from_the_environment(gunicorn_conf):
    import gunicorn.http.wsgi

    assert gunicorn_conf["bind"] == ["127.0.0.1:9001", "127.0.0.1:9002"]
    assert gunicorn_conf["workers"] == 3
    assert gunicorn_conf["wsgi_app"] == "lms:create_app()"
    assert gunicorn_conf["logger_class"].__name__ == "JsonLogger"
    assert gunicorn.http.wsgi.SERVER == "lms"  # the Server header, without a version


def test_gunicorns_access_log_is_json_with_the_request_id(gunicorn_conf):
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = gunicorn_conf["JsonLogger"](config)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)
    response = SimpleNamespace(status="404 NOT FOUND", headers=[("X-Request-ID", "edge-7")])
    request = SimpleNamespace(method="GET", path="/nowhere")
    logger.access(response, request, {"REMOTE_ADDR": "10.0.0.1"}, dt.timedelta(milliseconds=12))
    entry = json.loads(stream.getvalue())
    assert entry["logger"] == "gunicorn.access"
    assert entry["request_id"] == "edge-7"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/nowhere", 404)
    assert entry["duration_ms"] == 12.0


def test_lms_serve_starts_gunicorn_with_the_settings_file(monkeypatch):
    from click.testing import CliRunner

    from lms import serve as serve_module
    from lms.cli import cli

    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(serve_module.os, "execv", lambda path, args: started.append((path, args)))
    # Recorded, so that what the command sets is undone after the test.
    monkeypatch.setenv("LMS_BIND", "unset")
    monkeypatch.setenv("LMS_WEB_THREADS", "unset")
    result = CliRunner().invoke(cli, ["serve", "--bind", "127.0.0.1:9100", "--threads", "2"])
    assert result.exit_code == 0, result.output
    path, arguments = started[0]
    assert path.endswith("gunicorn")
    assert arguments[1:3] == ["--config", str(serve_module.CONFIG_FILE)]
    assert arguments[-1] == "lms:create_app()"
    assert os.environ["LMS_BIND"] == "127.0.0.1:9100"
    assert os.environ["LMS_WEB_THREADS"] == "2"


def test_lms_serve_refuses_a_worker_count_of_zero():
    from click.testing import CliRunner

    from lms.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--workers", "0"])
    assert result.exit_code != 0
    assert "--workers" in result.output
