"""Access matrix of the notification pages."""

from tests.access import FORBIDDEN, LOGIN, OK, check_access
from tests.factories import admin, trainee, trainer

PEOPLE = {
    "anonymous": lambda: None,
    "trainee": trainee,
    "trainer": trainer,
    "admin": admin,
}
EVERYONE_SIGNED_IN = {"anonymous": LOGIN, "trainee": OK, "trainer": OK, "admin": OK}


def test_the_outbox_page_is_for_admins_only(app, db_session):
    expected = {"anonymous": LOGIN, "trainee": FORBIDDEN, "trainer": FORBIDDEN, "admin": OK}
    check_access(app, "GET", "/notifications/outbox", expected, PEOPLE)


def test_the_notification_list_is_for_everyone_signed_in(app, db_session):
    check_access(app, "GET", "/notifications/", EVERYONE_SIGNED_IN, PEOPLE)


def test_preferences_are_saved_by_everyone_signed_in_for_themselves(app, db_session):
    expected = {"anonymous": LOGIN, "trainee": 302, "trainer": 302, "admin": 302}
    check_access(app, "POST", "/notifications/preferences", expected, PEOPLE, data={})
