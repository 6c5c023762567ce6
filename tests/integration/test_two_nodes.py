"""Two web nodes and one scheduler on one PostgreSQL and one Redis, as in docs/deployment.md.

Each node is a real `lms serve` (gunicorn with gunicorn.conf.py) on its own loopback port with
its own instance folder; they share only the database schema (one of this test's own), the
Redis rate limits (a key prefix of this test's own) and the secrets. Checked: a session cookie
from one node works on the other, a certificate issued through one verifies on the other, a
rate limit used up on one holds on the other, the scheduler's mail goes out exactly once, and
no web worker runs the scheduler.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask

from lms.accounts.models import Role
from lms.db import db, utcnow
from lms.notifications.models import OutboxMessage
from tests.certificates.conftest import import_courses, issue
from tests.conftest import (
    PASSWORD,
    app_on_fresh_postgres_schema,
    csrf_token_from,
    postgres_url_for,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres

SCHEMA = f"two_nodes_{os.getpid()}"
PREFIX = f"two_nodes_{os.getpid()}"
REDIS_URL = "redis://127.0.0.1:6379/0"
LMS = str(Path(sys.executable).parent / "lms")
BASE_URL = "https://lms.example.test"
START_TIMEOUT = 40


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError):
        if os.environ.get("CI"):
            raise
        pytest.skip("needs Redis on 127.0.0.1:6379 (required when CI is set)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Seeded:
    trainee_email: str
    trainee_name: str
    admin_email: str
    certificate_id: str


@pytest.fixture
def schema_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on the schema both nodes use (tables made, nothing in them); dropped after."""
    with app_on_fresh_postgres_schema(SCHEMA, tmp_path / "seed") as application:
        yield application


def seed(application: Flask) -> Seeded:
    """Courses, an admin, a trainee with a certificate, and one e-mail due for delivery."""
    with application.app_context():
        import_courses()
        admin = UserFactory(roles=[Role.ADMIN], email="admin@two-nodes.test")
        holder = UserFactory(roles=[Role.TRAINEE], email="trainee@two-nodes.test")
        certificate = issue(holder)
        db.session.add(
            OutboxMessage(
                recipient="reminded@two-nodes.test",
                subject="Once only",
                text="This goes out exactly once.",
                next_attempt_at=utcnow(),
            )
        )
        db.session.commit()
        return Seeded(holder.email, holder.name, admin.email, certificate.public_id)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    redis_or_skip()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        yield PREFIX
    finally:
        for key in client.scan_iter(match=f"*{PREFIX}*"):
            client.delete(key)
        client.close()


def node_environment(tmp_path: Path, name: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    (tmp_path / name / "metrics").mkdir(parents=True)
    environment.update(
        LMS_ENV="development",
        LMS_DOTENV=str(tmp_path / "no.env"),
        LMS_INSTANCE_PATH=str(tmp_path / name / "instance"),
        LMS_DATABASE_URL=postgres_url_for(SCHEMA),
        LMS_SECRET_KEY="two-nodes-shared-secret-key",
        LMS_SIGNING_KEY_PASSPHRASE="test-signing-passphrase",
        LMS_BASE_URL=BASE_URL,
        LMS_MAIL_URL="log://",
        LMS_RATELIMIT_STORAGE_URL=REDIS_URL,
        LMS_RATELIMIT_KEY_PREFIX=PREFIX,
        LMS_VERIFY_RATE_LIMIT="6 per minute",
        LMS_ADMIN_REQUIRE_2FA="false",
        LMS_LOG_FORMAT="json",
        # Asked for, but gunicorn.conf.py must refuse it: one scheduler per installation.
        LMS_RUN_SCHEDULER="true",
        LMS_WEB_WORKERS="1",
        LMS_WEB_THREADS="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / name / "metrics"),
    )
    return environment


class Processes:
    """Started processes, each in its own process group, all stopped in `stop()`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, arguments: list[str], environment: dict[str, str]) -> None:
        with (self.folder / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(  # noqa: S603 (our own command)
                arguments,
                env=environment,
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, process))

    def output(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def wait(self, name: str, timeout: float) -> int:
        process = dict(self.started)[name]
        return process.wait(timeout=timeout)

    def stop(self) -> None:
        for _name, process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def wait_ready(url: str, processes: Processes, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    pytest.fail(f"{name} did not become ready:\n{processes.output(name)[-3000:]}")


def log_in(url: str, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/auth/login", timeout=10)
    response = browser.post(
        f"{url}/auth/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token_from(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    assert "/auth/login" not in response.headers["Location"]
    return browser


def test_two_web_nodes_and_one_scheduler_share_one_database_and_redis(
    schema_app: Flask, redis_prefix: str, tmp_path: Path
) -> None:
    ports = {"node-a": free_port(), "node-b": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    processes = Processes(tmp_path)
    try:
        for name, port in ports.items():
            environment = node_environment(tmp_path, name)
            processes.start(name, [LMS, "serve", "--bind", f"127.0.0.1:{port}"], environment)
        scheduler_environment = node_environment(tmp_path, "scheduler")
        processes.start("scheduler", [LMS, "scheduler"], scheduler_environment)
        shared_schema = seed(schema_app)  # while the nodes start
        # Two machines' operators both ask for the mail run at once: one sends, one skips.
        for name in ("run-a", "run-b"):
            processes.start(
                name, [LMS, "scheduler", "--run", "retry-mail"], node_environment(tmp_path, name)
            )
        for name, url in urls.items():
            wait_ready(url, processes, name)
        a, b = urls["node-a"], urls["node-b"]

        # No version banner, and the request id comes back.
        health = requests.get(f"{a}/healthz", headers={"X-Request-ID": "probe-1"}, timeout=5)
        assert health.headers["Server"] == "lms"
        assert health.headers["X-Request-ID"] == "probe-1"

        # A session started on node A is valid on node B (server-side sessions, one key).
        trainee = log_in(a, shared_schema.trainee_email)
        cookie = trainee.cookies.get("lms_session")
        assert cookie
        on_b = requests.get(
            f"{b}/", cookies={"lms_session": cookie}, allow_redirects=False, timeout=10
        )
        assert on_b.status_code == 200
        assert shared_schema.trainee_name in on_b.text
        stranger = requests.get(f"{b}/", allow_redirects=False, timeout=10)
        assert stranger.status_code == 302  # without the cookie: to the login page

        # A certificate issued (renewed) through node A verifies on node B.
        admin = log_in(a, shared_schema.admin_email)
        detail = f"{a}/admin/certificates/{shared_schema.certificate_id}"
        renewed = admin.post(
            detail,
            data={"action": "renew", "csrf_token": csrf_token_from(admin.get(detail).text)},
            allow_redirects=False,
            timeout=10,
        )
        assert renewed.status_code == 302, renewed.text[:500]
        new_id = renewed.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        assert new_id != shared_schema.certificate_id
        record = requests.get(f"{b}/api/v1/certificates/{new_id}", timeout=10)
        assert record.status_code == 200
        assert record.json()["status"] == "valid"
        verdict = requests.post(
            f"{b}/api/v1/verify", json={"credential": record.json()["credential"]}, timeout=10
        )
        assert verdict.json()["valid"] is True, verdict.json()

        # The lookup budget (6 per minute per address) is one budget across both nodes.
        statuses = [requests.get(f"{a}/verify/{new_id}", timeout=10).status_code for _ in range(6)]
        assert statuses[-1] == 429
        assert 200 in statuses
        assert requests.get(f"{b}/verify/{new_id}", timeout=10).status_code == 429

        # The e-mail due went out exactly once, whichever process ran it.
        for name in ("run-a", "run-b"):
            assert processes.wait(name, timeout=START_TIMEOUT) == 0, processes.output(name)
        runs = processes.output("run-a") + processes.output("run-b")
        assert "retry-mail: 1 of 1 sent" in runs
        everything = runs + "".join(processes.output(n) for n in ("node-a", "node-b"))
        assert len(re.findall(r"Mail to reminded@two-nodes\.test", everything)) == 1
        metrics = requests.get(f"{b}/metrics", timeout=10).text
        assert re.search(r"^lms_mail_outbox_pending 0\.0$", metrics, re.MULTILINE)
    finally:
        processes.stop()

    assert "Scheduler running" in processes.output("scheduler")
    for name in ("node-a", "node-b"):
        output = processes.output(name)
        assert "LMS_RUN_SCHEDULER is ignored" in output
        assert "In-process scheduler started" not in output
