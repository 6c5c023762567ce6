"""schemathesis against the served app and its own OpenAPI document, every check on.

The app runs on a loopback port in a thread (as in tests/e2e), with its own SQLite database:
the shipped courses, a cohort with a trainer and a trainee who holds a certificate, an admin's
`admin-read` token, and the holder's own token for `/me/certificates`. The schemathesis command
line then runs every phase (coverage: documented and undocumented methods, boundary values,
missing and wrong parameters; fuzzing: positive and negative examples) with every check enabled:
no 5xx, status codes, content types, headers and bodies as documented, valid data accepted,
invalid data refused, and authentication not ignored. Its warnings (an operation that only saw
401s, 404s or 429s, say) fail the run too, so that no operation goes untested unnoticed.
Examples are bounded and deterministic, so that the run is quick and repeatable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lms import create_app
from lms.api import services
from lms.api.models import Scope
from lms.api.openapi import _paths
from lms.cohorts.models import MemberRole
from lms.db import db
from tests.certificates.conftest import course, import_courses, issue
from tests.conftest import base_test_config
from tests.courses.conftest import enrol
from tests.e2e.conftest import LiveServer, free_port
from tests.factories import UserFactory, admin, trainer

#: Apps of their own on their own SQLite files: once is enough, whatever the suite's database.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = 12
#: schemathesis' default statuses for refusing invalid data, and ours for an oversized body.
NEGATIVE_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"]


@dataclass
class Served:
    url: str
    admin_token: str
    holder_token: str
    cohort_id: int


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("api-conformance")
    port = free_port()
    config = base_test_config(directory, f"sqlite:///{directory / 'api.sqlite3'}")
    config.update(
        BASE_URL=f"http://127.0.0.1:{port}",
        # Hundreds of requests from one address and token: the budgets are not tested here.
        VERIFY_RATE_LIMIT="100000 per minute",
        API_RATE_LIMIT="100000 per minute",
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        import_courses()
        holder = UserFactory(name="Mary Jackson")
        issue(holder)
        cohort = enrol(course().id, (trainer(), MemberRole.TRAINER), (holder, MemberRole.TRAINEE))
        _row, admin_token = services.create_token(admin(), "schemathesis", Scope.ADMIN_READ)
        _row, holder_token = services.create_token(holder, "schemathesis", Scope.HOLDER)
        db.session.commit()
        cohort_id = cohort.id
    with LiveServer(app, port=port) as server:
        yield Served(server.url, admin_token, holder_token, cohort_id)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _config(served: Served) -> str:
    statuses = ", ".join(f'"{status}"' for status in NEGATIVE_STATUSES)
    return f"""
seed = 20261122
warnings = {{ fail-on = true }}

[checks]
enabled = true
negative_data_rejection = {{ expected-statuses = [{statuses}] }}

[generation]
max-examples = {MAX_EXAMPLES}
deterministic = true

[auth.openapi.bearerAuth]
bearer = "{served.admin_token}"

[[operations]]
include-path = "/me/certificates"
headers = {{ Authorization = "Bearer {served.holder_token}" }}

[[operations]]
include-path = "/cohorts/{{cohort_id}}/progress"
parameters = {{ cohort_id = {served.cohort_id} }}
"""


def test_every_operation_conforms_to_the_openapi_document(served, tmp_path):  # type: ignore[no-untyped-def]
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(served))
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{served.url}/api/v1/openapi.json",
            "--checks",
            "all",
            "--no-color",
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        },
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    operations = sum(len(methods) for methods in _paths().values())
    assert f"Tested: {operations}" in report, report[-3000:]
