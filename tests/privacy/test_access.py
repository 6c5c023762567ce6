"""Who may open which privacy page, and who may act on erasure requests."""

import pytest

from lms.privacy.models import ErasureState
from tests.access import FORBIDDEN, LOGIN, OK, check_access
from tests.factories import admin, trainee, trainer
from tests.privacy.conftest import erasure_request

PEOPLE = {"anonymous": lambda: None, "trainee": trainee, "trainer": trainer, "admin": admin}
EVERYONE = {"anonymous": OK, "trainee": OK, "trainer": OK, "admin": OK}
SIGNED_IN = {"anonymous": LOGIN, "trainee": OK, "trainer": OK, "admin": OK}
ADMINS = {"anonymous": LOGIN, "trainee": FORBIDDEN, "trainer": FORBIDDEN, "admin": OK}


@pytest.mark.parametrize(
    ("url", "expected"),
    [("/privacy/", EVERYONE), ("/privacy/my-data", SIGNED_IN), ("/privacy/admin/", ADMINS)],
)
def test_privacy_pages(app, db_session, url, expected):
    check_access(app, "GET", url, expected, PEOPLE)


def test_erasure_requests_are_for_admins_only(app, people):
    with app.app_context():
        row_id = erasure_request(people.person.id).id
    row = f"/privacy/admin/{row_id}"
    check_access(app, "GET", row, ADMINS, PEOPLE)
    not_admins = {k: v for k, v in PEOPLE.items() if k != "admin"}
    forbidden = {"anonymous": LOGIN, "trainee": FORBIDDEN, "trainer": FORBIDDEN}
    check_access(app, "POST", f"{row}/approve", forbidden, not_admins, data={"confirm": "y"})
    check_access(app, "POST", f"{row}/refuse", forbidden, not_admins, data={"reason": "No."})
    check_access(app, "GET", "/privacy/admin/999999", {"admin": 404}, {"admin": admin})
    with app.app_context():
        assert erasure_request(people.person.id).state == ErasureState.PENDING
