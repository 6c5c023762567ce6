"""The access-matrix helper: who gets which status for a URL."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask

from lms.accounts.models import User
from tests.conftest import login

#: Shorthands for the usual outcomes.
OK = 200
LOGIN = "login"  # redirected to the login page
FORBIDDEN = 403
NOT_FOUND = 404


def check_access(
    app: Flask,
    method: str,
    url: str,
    expected: Mapping[str, int | str],
    people: Mapping[str, Callable[[], User | None]],
    data: Mapping[str, object] | None = None,
) -> None:
    """Request `url` as each person and compare with `expected` (name -> status or LOGIN)."""
    failures = []
    for name, make_person in people.items():
        client = app.test_client()
        person = make_person()
        if person is not None:
            assert login(client, person.email).status_code == 302
        response = client.open(url, method=method, data=data)
        response.close()
        want = expected[name]
        if want == LOGIN:
            got_login = response.status_code == 302 and "/auth/login" in response.headers.get(
                "Location", ""
            )
            if not got_login:
                failures.append(f"{name}: wanted the login page, got {response.status_code}")
        elif response.status_code != want:
            failures.append(f"{name}: wanted {want}, got {response.status_code}")
    assert not failures, f"{method} {url}: " + "; ".join(failures)
