import pytest

from tests.access import FORBIDDEN, LOGIN, OK, check_access
from tests.factories import OrganisationFactory, admin, trainee, trainer

PEOPLE = {
    "anonymous": lambda: None,
    "trainee": trainee,
    "trainer": trainer,
    "admin": admin,
}
ADMIN_ONLY = {"anonymous": LOGIN, "trainee": FORBIDDEN, "trainer": FORBIDDEN, "admin": OK}


@pytest.mark.parametrize(
    "url",
    ["/admin/users", "/admin/users/invite", "/admin/organisations", "/admin/organisations/new"],
)
def test_admin_pages_are_for_admins_only(app, db_session, url):
    check_access(app, "GET", url, ADMIN_ONLY, PEOPLE)


def test_user_and_organisation_pages_are_for_admins_only(app, db_session):
    someone = trainee()
    org = OrganisationFactory()
    check_access(app, "GET", f"/admin/users/{someone.id}", ADMIN_ONLY, PEOPLE)
    check_access(app, "GET", f"/admin/organisations/{org.id}", ADMIN_ONLY, PEOPLE)


def test_trainee_cannot_post_to_admin_pages(app, db_session):
    someone = trainee()
    forbidden_posts = {"anonymous": LOGIN, "trainee": FORBIDDEN, "trainer": FORBIDDEN}
    people = {k: v for k, v in PEOPLE.items() if k != "admin"}
    check_access(
        app,
        "POST",
        f"/admin/users/{someone.id}",
        forbidden_posts,
        people,
        data={"name": "Hacked", "roles": ["admin"], "active": "y"},
    )
    check_access(
        app,
        "POST",
        "/admin/users/invite",
        forbidden_posts,
        people,
        data={"email": "x@example.org", "name": "X", "roles": ["admin"]},
    )
    assert someone.name != "Hacked"


@pytest.mark.parametrize("url", ["/", "/account/"])
def test_signed_in_pages_send_anonymous_visitors_to_login(app, db_session, url):
    expected = {"anonymous": LOGIN, "trainee": OK, "trainer": OK, "admin": OK}
    check_access(app, "GET", url, expected, PEOPLE)


def test_unknown_user_id_is_404_for_admins(app, db_session):
    check_access(app, "GET", "/admin/users/999999", {"admin": 404}, {"admin": admin})
