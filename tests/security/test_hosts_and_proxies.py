"""Host headers and proxies (SECURITY-TESTS lines 1 and 3): only the configured host names are
answered; `X-Forwarded-For` counts only when PROXY_COUNT says a proxy sets it, and then only the
address our own proxy added, so rate limits key on the real client address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from lms import create_app
from lms.config import load_config
from lms.db import db
from lms.extensions import limiter
from tests.conftest import base_test_config


def _app(directory: Path, **settings: object) -> Flask:
    config = base_test_config(directory, f"sqlite:///{directory / 'own.sqlite3'}")
    config.update(settings)
    application = create_app(config)
    with application.app_context():
        db.create_all()
    return application


@pytest.fixture
def make_app(tmp_path: Path, app: Flask) -> Iterator:  # type: ignore[type-arg]
    made: list[Flask] = []

    def make(**settings: object) -> Flask:
        directory = tmp_path / str(len(made))
        directory.mkdir()
        made.append(_app(directory, **settings))
        return made[-1]

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()
    limiter.init_app(app)  # the shared limiter goes back to the suite's application


def test_a_host_that_is_not_trusted_gets_400(make_app, caplog):
    application = make_app(TRUSTED_HOSTS=["lms.example.test", ".lms.example.test"])
    client = application.test_client()
    assert client.get("/auth/login", headers={"Host": "lms.example.test"}).status_code == 200
    assert client.get("/auth/login", headers={"Host": "www.lms.example.test"}).status_code == 200
    for host in ("evil.example", "lms.example.test.evil.example", "lms.example.test@evil"):
        refused = client.get("/auth/login", headers={"Host": host})
        assert refused.status_code == 400, host
        assert "evil" not in refused.get_data(as_text=True)
        assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert "untrusted host" in caplog.text


def test_trusted_hosts_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_TRUSTED_HOSTS", "lms.example.org, .example.net")
    application = Flask("probe", instance_path=str(tmp_path))
    load_config(application, None)
    assert application.config["TRUSTED_HOSTS"] == ["lms.example.org", ".example.net"]


def _fail_login(client, number: int, forwarded: str | None) -> int:  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        "/auth/login",
        data={"email": f"nobody{number}@example.org", "password": "wrong password!"},
        headers=headers,
        environ_base={"REMOTE_ADDR": "192.0.2.10"},  # the proxy's own address
    ).status_code


def test_behind_one_proxy_the_forwarded_address_is_the_client(make_app):
    client = make_app(PROXY_COUNT=1, LOGIN_LIMIT_PER_ADDRESS="2 per minute").test_client()
    assert _fail_login(client, 1, "203.0.113.1") == 422
    assert _fail_login(client, 2, "203.0.113.1") == 422
    assert _fail_login(client, 3, "203.0.113.1") == 429
    # Another client behind the same proxy has a budget of its own...
    assert _fail_login(client, 4, "203.0.113.2") == 422
    # ...and a client cannot escape by prepending addresses: only the last hop counts.
    assert _fail_login(client, 5, "198.51.100.7, 203.0.113.1") == 429


def test_without_a_proxy_forwarded_headers_are_ignored(make_app):
    client = make_app(PROXY_COUNT=0, LOGIN_LIMIT_PER_ADDRESS="2 per minute").test_client()
    assert _fail_login(client, 1, "203.0.113.1") == 422
    assert _fail_login(client, 2, "203.0.113.2") == 422
    assert _fail_login(client, 3, "203.0.113.3") == 429  # all from 192.0.2.10


def test_reset_links_use_the_base_url_behind_a_proxy_too(make_app, mail_outbox):
    from lms.accounts.models import User

    application = make_app(PROXY_COUNT=1)
    with application.app_context():
        from tests.factories import trainee

        user: User = trainee(email="reset@example.org")
        db.session.commit()
        assert user.id
    client = application.test_client()
    client.post(
        "/auth/forgot",
        data={"email": "reset@example.org"},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert len(mail_outbox) == 1
    text = str(mail_outbox[0])
    assert "https://lms.example.test/auth/reset/" in text
    assert "evil.example" not in text
