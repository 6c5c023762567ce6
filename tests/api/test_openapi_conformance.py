"""schemathesis against the served app and its own OpenAPI document, every check on.

The app runs on a loopback port in a thread (as in tests/e2e), with its own SQLite database:
the shipped courses, one certificate, and an admin's `admin-read` token that schemathesis
sends. Each operation gets positive and negative examples, every response check enabled
(no 5xx, status codes, content types, headers and bodies as documented, valid data accepted,
invalid data refused). Methods an operation lacks (405 with Allow) and requests without a
token or with a wrong one are covered in test_public.py and test_tokens.py. Examples are
bounded and derandomized so that the run is quick and repeatable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import GenerationMode

from lms import create_app
from lms.api import services
from lms.api.models import Scope
from lms.api.openapi import _paths
from lms.db import db
from tests.certificates.conftest import import_courses, issue
from tests.conftest import base_test_config
from tests.e2e.conftest import LiveServer, free_port
from tests.factories import UserFactory, admin

MAX_EXAMPLES = 20
#: schemathesis' own default for refusing invalid data.
NEGATIVE_STATUSES = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "415",
    "422",
    "428",
    "429",
    "5xx",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The base URL of the served app, and an admin-read token."""
    directory = tmp_path_factory.mktemp("api-conformance")
    port = free_port()
    config = base_test_config(directory, f"sqlite:///{directory / 'api.sqlite3'}")
    config.update(
        BASE_URL=f"http://127.0.0.1:{port}",
        # Thousands of requests from one address: the budget is not what is tested here.
        VERIFY_RATE_LIMIT="100000 per minute",
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        import_courses()
        issue(UserFactory(name="Mary Jackson"))
        _row, token = services.create_token(admin(), "schemathesis", Scope.ADMIN_READ)
        db.session.commit()
    with LiveServer(app, port=port) as server:
        yield server.url, token
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def api_schema(served: tuple[str, str]):  # type: ignore[no-untyped-def]
    url, token = served
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261122,
            "checks": {
                "enabled": True,
                # An oversized body is refused as such (413, documented), not as a 400.
                "negative_data_rejection": {"expected-statuses": [*NEGATIVE_STATUSES, "413"]},
            },
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
            },
            "auth": {"openapi": {"bearerAuth": {"bearer": token}}},
        }
    )
    return schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=config)


#: Every operation of the document, known without serving it.
OPERATIONS = [(path, method) for path, operations in _paths().items() for method in operations]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_conforms_to_the_openapi_document(api_schema, path, method, mode):  # type: ignore[no-untyped-def]
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):  # type: ignore[no-untyped-def]
        # An application/jwt body is text: a "wrong type" (an integer, say) sent as text is
        # a string again. schemathesis discounts this for text/plain but does not know
        # application/jwt, so negative bodies are checked as JSON only, where types are real.
        assume(mode is GenerationMode.POSITIVE or case.media_type != "application/jwt")
        case.call_and_validate()

    call()
