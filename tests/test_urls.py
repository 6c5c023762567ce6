"""Links built outside a request (commands, jobs) come from LMS_BASE_URL and pass TRUSTED_HOSTS."""

from lms.courses.cli import DEFAULT_PATH
from lms.courses.services import import_path
from lms.urls import absolute_url


def test_links_outside_a_request_pass_the_trusted_hosts_check(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["lms.example.test"])
    assert absolute_url("auth.login") == "https://lms.example.test/auth/login"
    import_path(DEFAULT_PATH)  # rewrites lesson links with paths built outside a request
