"""Error pages: every status has a friendly page with a request id and never a stack trace."""

import pytest
from flask import abort
from sqlalchemy.exc import OperationalError

from tests.conftest import login
from tests.factories import trainee


@pytest.fixture(scope="module")
def failing_app(tmp_path_factory):
    """An app of its own with routes that fail on purpose, as users would meet them."""
    from lms import create_app
    from tests.conftest import base_test_config

    folder = tmp_path_factory.mktemp("errors")
    app = create_app(base_test_config(folder, f"sqlite:///{folder / 'e.sqlite3'}"))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret internals: /srv/app/config.py line 12")

    def database_down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    def conflict():
        abort(409)

    app.add_url_rule("/_test/boom", "boom", boom)
    app.add_url_rule("/_test/db-down", "db_down", database_down)
    app.add_url_rule("/_test/conflict", "conflict", conflict)
    return app


@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/no/such/page", 404, "Page not found"),
        ("/_test/conflict", 409, "This changed in the meantime"),
        ("/_test/boom", 500, "Something went wrong on our side"),
        ("/_test/db-down", 503, "The service is briefly unavailable"),
    ],
)
def test_error_pages_carry_a_request_id_and_no_internals(failing_app, url, status, title):
    response = failing_app.test_client().get(url, headers={"X-Request-ID": "req-12345"})
    text = response.get_data(as_text=True)
    assert response.status_code == status
    assert title in text
    assert "req-12345" in text
    assert response.headers["X-Request-ID"] == "req-12345"
    assert "Traceback" not in text
    assert "secret internals" not in text
    assert "connection refused" not in text


def test_forbidden_and_bad_request_pages(client):
    user = trainee()
    login(client, user.email)
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403
    assert "You do not have access to this page" in forbidden.get_data(as_text=True)
    bad = client.get("/admin/users", query_string={"q": "x\x00y"})
    assert bad.status_code in (400, 403)


def test_a_made_up_request_id_is_replaced(client):
    response = client.get("/auth/login", headers={"X-Request-ID": "<script>"})
    assert response.headers["X-Request-ID"] != "<script>"
    assert len(response.headers["X-Request-ID"]) == 32


def test_api_errors_are_problem_json(client):
    response = client.get("/api/v1/certificates/not-an-id")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
