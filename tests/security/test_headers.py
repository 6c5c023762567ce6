"""Security headers on pages, errors, static files and downloads (SECURITY-TESTS 36)."""

from lms import create_app
from tests.conftest import base_test_config

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _check(response):
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp or "sandbox" in csp
    assert "unsafe-inline" not in csp
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    assert "Server" not in response.headers


def test_headers_on_a_page_an_error_and_a_static_file(client):
    for url in ("/auth/login", "/no/such/page", "/static/css/app.css", "/healthz"):
        response = client.get(url)
        _check(response)
        response.close()
    csp = client.get("/auth/login").headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_each_request_gets_its_own_nonce(client):
    first = client.get("/auth/login").headers["Content-Security-Policy"]
    second = client.get("/auth/login").headers["Content-Security-Policy"]
    assert first != second


def test_hsts_in_production(tmp_path):
    app = create_app(
        {**base_test_config(tmp_path, f"sqlite:///{tmp_path}/p.db"), "ENV": "production"}
    )
    response = app.test_client().get("/static/css/app.css")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    response.close()
