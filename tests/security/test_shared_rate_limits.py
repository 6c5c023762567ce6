"""Rate limits hold across processes (SECURITY-TESTS lines 1, 26 and 34): two application
processes with the same Redis storage (LMS_RATELIMIT_STORAGE_URL=redis://…) share one login
budget and one certificate-lookup budget. Needs Redis on 127.0.0.1:6379; skipped without it,
except in CI (CI=…) where it is required."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from lms import PROJECT_ROOT

#: Apps of their own on their own SQLite files: once is enough, whatever the suite's database.
pytestmark = pytest.mark.database_independent

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

PROCESS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from lms import create_app
    from lms.certificates.ids import new_public_id
    from lms.db import db
    from tests.conftest import base_test_config

    directory, redis_url, prefix = sys.argv[1:4]
    config = base_test_config(Path(directory), f"sqlite:///{directory}/shared.sqlite3")
    config.update(
        RATELIMIT_STORAGE_URL=redis_url,
        RATELIMIT_KEY_PREFIX=prefix,
        LOGIN_LIMIT_PER_ADDRESS="3 per minute",
        VERIFY_RATE_LIMIT="3 per minute",
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    print("ready", flush=True)
    sys.stdin.readline()  # wait for our turn
    logins = [
        client.post(
            "/auth/login",
            data={"email": f"nobody{n}@example.org", "password": "wrong password!"},
        ).status_code
        for n in range(2)
    ]
    lookups = [client.get(f"/verify/{new_public_id()}").status_code for _ in range(2)]
    print(json.dumps({"logins": logins, "lookups": lookups}), flush=True)
    """
)


@pytest.fixture
def redis_client():  # type: ignore[no-untyped-def]
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI and did not answer at {REDIS_URL}: {error}")
        pytest.skip(f"needs Redis at {REDIS_URL} (LMS_TEST_REDIS_URL); required in CI")
    yield client
    client.close()


def test_two_processes_share_one_login_and_lookup_budget(redis_client, tmp_path: Path):
    prefix = f"lms-test-{uuid.uuid4().hex}"
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    processes = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", PROCESS, str(tmp_path / name), REDIS_URL, prefix],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for name in ("first", "second")
    ]
    results = []
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:  # one after the other: the second sees the first's counts
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write("go\n")
            process.stdin.flush()
            results.append(json.loads(process.stdout.readline()))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)
        keys = list(redis_client.scan_iter(match=f"*{prefix}*"))
        if keys:
            redis_client.delete(*keys)
    first, second = results
    assert first == {"logins": [422, 422], "lookups": [404, 404]}
    # Alone, the second process would allow two more of each: together they allow three.
    assert second == {"logins": [422, 429], "lookups": [404, 429]}


def test_while_redis_is_down_limits_hold_per_process_and_nothing_fails(app, tmp_path: Path):
    from lms import create_app
    from lms.db import db
    from lms.extensions import limiter
    from tests.conftest import base_test_config

    config = base_test_config(tmp_path, f"sqlite:///{tmp_path / 'own.sqlite3'}")
    config.update(
        RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0",  # nothing listens there
        LOGIN_LIMIT_PER_ADDRESS="2 per minute",
    )
    down = create_app(config)
    down.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with down.app_context():
            db.create_all()
        client = down.test_client()
        statuses = [
            client.post(
                "/auth/login",
                data={"email": f"nobody{n}@example.org", "password": "wrong password!"},
            ).status_code
            for n in range(3)
        ]
        assert statuses == [422, 422, 429]
    finally:
        with down.app_context():
            db.engine.dispose()
        limiter.init_app(app)  # the shared limiter goes back to the suite's application
