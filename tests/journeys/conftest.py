"""Journeys play ../shared/JOURNEYS.md as the people in them would, with CSRF tokens on.

Each journey takes the grading set-up (a course, a cohort, its trainers and trainees) and
walks through pages with `tests.journeys.person.Person`, moving the clock where time passes.
"""

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.grading.conftest import setup  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _forms_carry_their_csrf_tokens(request: pytest.FixtureRequest, app: Flask) -> Iterator[None]:
    """A journey's forms are sent with the token the page gave, as a browser sends them.

    A module that sends requests of its own making (the access matrix) says
    `FORMS_FROM_PAGES = False`."""
    if not getattr(request.module, "FORMS_FROM_PAGES", True):
        yield
        return
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
