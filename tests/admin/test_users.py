from lms.accounts.models import Organisation, Role, User
from lms.audit.models import AuditEvent
from lms.db import db
from tests.conftest import login
from tests.factories import OrganisationFactory, UserFactory, admin, trainee


def test_admin_searches_and_paginates_people(client):
    boss = admin(name="Alex Admin")
    for n in range(30):
        trainee(name=f"Coach {n:02d}", email=f"coach{n:02d}@agency.example")
    login(client, boss.email)
    page = client.get("/admin/users", query_string={"q": "coach1"}).get_data(as_text=True)
    assert "Coach 10" in page
    assert "Coach 19" in page
    assert "Coach 20" not in page
    first = client.get("/admin/users").get_data(as_text=True)
    assert "Page 1 of 2" in first
    second = client.get("/admin/users", query_string={"page": 2}).get_data(as_text=True)
    assert "Coach 29" in second


def test_search_handles_wildcards_and_sql_text(client):
    boss = admin()
    trainee(name="Percent 100%")
    login(client, boss.email)
    assert client.get("/admin/users", query_string={"q": "a\x00b"}).status_code == 400
    for q in ["%", "_", "' OR 1=1 --", "\\", "100%"]:
        response = client.get("/admin/users", query_string={"q": q, "role": "x'--", "page": "-1"})
        assert response.status_code == 200
    page = client.get("/admin/users", query_string={"q": "%"}).get_data(as_text=True)
    assert "Percent 100%" in page
    assert "1 person" in page


def test_admin_edits_roles_and_organisation_with_an_audit_entry(client):
    boss = admin()
    org = OrganisationFactory(name="Agence Grand Est")
    person = trainee(name="Chloé")
    login(client, boss.email)
    response = client.post(
        f"/admin/users/{person.id}",
        data={
            "name": "Chloé Dubois",
            "roles": ["trainee", "trainer"],
            "organisation_id": org.id,
            "active": "y",
        },
    )
    assert response.status_code == 302
    changed = db.session.get(User, person.id)
    assert changed.roles == {Role.TRAINEE, Role.TRAINER}
    assert changed.organisation_id == org.id
    entry = db.session.query(AuditEvent).filter_by(action="user.updated").one()
    assert entry.actor_id == boss.id
    assert entry.data["before"]["roles"] == ["trainee"]
    assert entry.data["after"]["roles"] == ["trainee", "trainer"]


def test_deactivating_someone_ends_their_sessions(app, client):
    boss = admin()
    person = trainee()
    their_browser = app.test_client()
    login(their_browser, person.email)
    login(client, boss.email)
    client.post(
        f"/admin/users/{person.id}",
        data={"name": person.name, "roles": ["trainee"], "organisation_id": 0},
    )
    assert their_browser.get("/account/").status_code == 302
    assert login(their_browser, person.email).status_code == 422


def test_admin_cannot_remove_their_own_admin_role(client):
    boss = admin()
    login(client, boss.email)
    response = client.post(
        f"/admin/users/{boss.id}",
        data={"name": boss.name, "roles": ["trainer"], "organisation_id": 0, "active": "y"},
    )
    assert response.status_code == 422
    assert Role.ADMIN in db.session.get(User, boss.id).roles


def test_extra_form_fields_are_ignored(client):
    boss = admin()
    person = trainee()
    login(client, boss.email)
    client.post(
        f"/admin/users/{person.id}",
        data={
            "name": "P",
            "roles": ["trainee"],
            "organisation_id": 0,
            "active": "y",
            "email": "stolen@example.org",
            "password_hash": "x",
            "id": 1,
        },
    )
    assert db.session.get(User, person.id).email == person.email


def test_an_unknown_role_or_organisation_is_refused(client):
    boss = admin()
    person = trainee()
    login(client, boss.email)
    bad_role = client.post(
        f"/admin/users/{person.id}",
        data={"name": "P", "roles": ["superuser"], "organisation_id": 0},
    )
    bad_org = client.post(
        f"/admin/users/{person.id}",
        data={"name": "P", "roles": ["trainee"], "organisation_id": 987654},
    )
    assert bad_role.status_code == bad_org.status_code == 422


def test_organisations_are_created_and_names_stay_unique(client):
    boss = admin()
    login(client, boss.email)
    data = {"name": "Innovation Hub Tirol", "country": "AT", "region": "Tyrol"}
    assert client.post("/admin/organisations/new", data=data).status_code == 302
    assert client.post("/admin/organisations/new", data=data).status_code == 422
    assert (
        client.post(
            "/admin/organisations/new", data={**data, "name": "Other", "country": "XX"}
        ).status_code
        == 422
    )
    assert (
        db.session.query(Organisation).filter_by(name="Innovation Hub Tirol").one().region
        == "Tyrol"
    )


def test_duplicate_email_differs_only_in_case_is_refused_by_the_database(app_ctx):
    import pytest
    from sqlalchemy.exc import IntegrityError

    UserFactory(email="same@example.org")
    duplicate = User(email="SAME@example.org".lower(), name="x")
    with db.session.begin_nested():
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.flush()
