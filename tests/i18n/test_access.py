"""Access matrix of the language and time-zone settings."""

from tests.access import LOGIN, check_access
from tests.factories import admin, trainee, trainer

PEOPLE = {
    "anonymous": lambda: None,
    "trainee": trainee,
    "trainer": trainer,
    "admin": admin,
}


def test_everyone_may_switch_the_language(app, db_session):
    expected = dict.fromkeys(PEOPLE, 303)
    check_access(app, "POST", "/language", expected, PEOPLE, data={"locale": "de", "next": "/"})


def test_regional_settings_are_saved_by_everyone_signed_in_for_themselves(app, db_session):
    expected = {"anonymous": LOGIN, "trainee": 303, "trainer": 303, "admin": 303}
    data = {"locale": "fr", "timezone": "Europe/Paris"}
    check_access(app, "POST", "/account/regional", expected, PEOPLE, data=data)


def test_the_settings_have_no_get_page(app, db_session):
    expected = dict.fromkeys(PEOPLE, 405)
    check_access(app, "GET", "/language", expected, PEOPLE)
    check_access(app, "GET", "/account/regional", expected, PEOPLE)
