"""Personal API tokens: scopes, revocation, holders' own data, and the token pages."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from lms.accounts.models import Role, UserRole
from lms.api.models import ApiToken, Scope
from lms.api.problems import TYPES
from lms.db import db
from tests.access import LOGIN, check_access
from tests.api.conftest import bearer, make_token
from tests.certificates.conftest import OPEN_INNOVATION, import_courses, issue
from tests.conftest import login
from tests.factories import admin, trainee, trainer


def _assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == f"https://lms.example.test/api/v1/docs#problem-{TYPES[status]}"
    assert body["detail"]
    return body


def test_a_request_without_a_token_or_with_a_made_up_one_gets_401(client, db_session):
    for headers in ({}, bearer("lms_made-up"), {"Authorization": "Basic dXNlcjpwdw=="}):
        response = client.get("/api/v1/me/certificates", headers=headers)
        body = _assert_problem(response, 401)
        assert body["type"].endswith("#problem-unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_right_scope_gets_403(app, client, db_session):
    person = admin()
    verify_only = make_token(app, person, Scope.VERIFY)
    holder = make_token(app, person, Scope.HOLDER)
    for url in ("/api/v1/me/certificates", "/api/v1/certificates", "/api/v1/users"):
        body = _assert_problem(client.get(url, headers=bearer(verify_only)), 403)
        assert body["type"].endswith("#problem-forbidden")
    for url in ("/api/v1/certificates", "/api/v1/users"):
        _assert_problem(client.get(url, headers=bearer(holder)), 403)
    assert client.get("/api/v1/me/certificates", headers=bearer(holder)).status_code == 200


def test_an_admin_read_token_stops_working_when_its_owner_is_no_longer_admin(
    app, client, db_session
):
    person = admin()
    token = make_token(app, person, Scope.ADMIN_READ)
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 200
    with app.app_context():
        db.session.execute(sa.delete(UserRole).filter_by(user_id=person.id, role=Role.ADMIN))
        db.session.commit()
    _assert_problem(client.get("/api/v1/users", headers=bearer(token)), 403)


def test_a_revoked_token_gets_401(app, client, db_session):
    person = trainee()
    token = make_token(app, person, Scope.HOLDER)
    assert client.get("/api/v1/me/certificates", headers=bearer(token)).status_code == 200
    with app.app_context():
        from lms.api import services

        row = db.session.scalars(sa.select(ApiToken)).one()
        services.revoke_token(db.session.merge(person), row.id)
        db.session.commit()
    _assert_problem(client.get("/api/v1/me/certificates", headers=bearer(token)), 401)
    # Also on the public routes: a revoked token is refused, not silently ignored.
    _assert_problem(
        client.post("/api/v1/verify/batch", json={"items": ["x"]}, headers=bearer(token)), 401
    )


def test_tokens_are_stored_hashed_and_record_their_last_use(app, client, db_session):
    token = make_token(app, trainee(), Scope.HOLDER)
    with app.app_context():
        row = db.session.scalars(sa.select(ApiToken)).one()
        assert token not in (row.token_hash, row.prefix)
        assert row.last_used_at is None
    client.get("/api/v1/me/certificates", headers=bearer(token))
    with app.app_context():
        assert db.session.scalars(sa.select(ApiToken)).one().last_used_at is not None


def test_a_trainees_token_reads_only_their_own_certificates(app, client, db_session):
    with app.app_context():
        import_courses()
        mine = issue()
        theirs = issue()
        db.session.commit()
        me, my_id, their_id = mine.user, mine.public_id, theirs.public_id
    token = make_token(app, me, Scope.HOLDER)
    body = client.get("/api/v1/me/certificates", headers=bearer(token)).get_json()
    assert [item["id"] for item in body["items"]] == [my_id]
    assert their_id not in client.get("/api/v1/me/certificates", headers=bearer(token)).text
    _assert_problem(client.get("/api/v1/certificates", headers=bearer(token)), 403)
    _assert_problem(client.get("/api/v1/users", headers=bearer(token)), 403)


def test_admins_page_through_certificates_with_filters(app, client, db_session):
    with app.app_context():
        import_courses()
        made = [issue().public_id for _ in range(3)]
        issue(slug=OPEN_INNOVATION, pending=True)
        db.session.commit()
    token = make_token(app, admin(), Scope.ADMIN_READ)
    first = client.get("/api/v1/certificates?status=valid&limit=2", headers=bearer(token))
    assert first.status_code == 200
    page = first.get_json()
    assert len(page["items"]) == 2
    assert page["items"][0]["holder"]["email"]
    second = client.get(
        f"/api/v1/certificates?status=valid&limit=2&cursor={page['next_cursor']}",
        headers=bearer(token),
    ).get_json()
    assert [item["id"] for item in page["items"] + second["items"]] == made
    assert second["next_cursor"] is None
    pending = client.get("/api/v1/certificates?status=pending_approval", headers=bearer(token))
    assert [item["status"] for item in pending.get_json()["items"]] == ["pending_approval"]
    by_course = client.get(f"/api/v1/certificates?course={OPEN_INNOVATION}", headers=bearer(token))
    assert len(by_course.get_json()["items"]) == 1
    for bad in ("limit=0", "limit=101", "limit=x", "limit=%C2%B2", "cursor=x", "status=lost"):
        _assert_problem(client.get(f"/api/v1/certificates?{bad}", headers=bearer(token)), 400)


def test_admins_read_users_by_role(app, client, db_session):
    person = admin()
    trainer(name="Tess Trainer")
    token = make_token(app, person, Scope.ADMIN_READ)
    body = client.get("/api/v1/users?role=trainer", headers=bearer(token)).get_json()
    assert [user["name"] for user in body["items"]] == ["Tess Trainer"]
    assert body["items"][0]["roles"] == ["trainer"]
    assert "password_hash" not in client.get("/api/v1/users", headers=bearer(token)).text


def test_trainers_see_the_progress_of_the_cohorts_they_train_only(app, client, db_session):
    from lms.cohorts.models import MemberRole
    from tests.certificates.conftest import course
    from tests.courses.conftest import enrol

    with app.app_context():
        coach = trainer()
        other = trainer()
        learner = trainee(name="Lena Learner")
        cohort = enrol(course().id, (coach, MemberRole.TRAINER), (learner, MemberRole.TRAINEE))
        db.session.commit()
        url = f"/api/v1/cohorts/{cohort.id}/progress"
    body = client.get(url, headers=bearer(make_token(app, coach, Scope.HOLDER))).get_json()
    assert body["trainees"] == [
        {
            "id": learner.id,
            "name": "Lena Learner",
            "required_lessons_done": 0,
            "certificate_status": None,
        }
    ]
    assert body["required_lessons"] > 0
    _assert_problem(client.get(url, headers=bearer(make_token(app, other, Scope.HOLDER))), 404)
    _assert_problem(client.get(url, headers=bearer(make_token(app, learner, Scope.HOLDER))), 404)
    as_admin = client.get(url, headers=bearer(make_token(app, admin(), Scope.ADMIN_READ)))
    assert as_admin.status_code == 200
    _assert_problem(
        client.get(
            "/api/v1/cohorts/999999/progress",
            headers=bearer(make_token(app, admin(), Scope.ADMIN_READ)),
        ),
        404,
    )


def test_people_make_list_and_revoke_their_tokens_on_their_account(app, client, db_session):
    person = trainee()
    login(client, person.email)
    assert "/account/tokens/" in client.get("/account/").text
    created = client.post("/account/tokens/", data={"name": "Payroll sync", "scope": "holder"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    raw = created.text.split('<code id="new-token">')[1].split("<")[0]
    assert raw.startswith("lms_")
    assert client.get("/api/v1/me/certificates", headers=bearer(raw)).status_code == 200
    listing = client.get("/account/tokens/").text
    assert "Payroll sync" in listing
    assert raw not in listing  # shown once only
    with app.app_context():
        token_id = db.session.scalars(sa.select(ApiToken.id)).one()
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert "Payroll sync" not in client.get("/account/tokens/").text
    assert client.get("/api/v1/me/certificates", headers=bearer(raw)).status_code == 401


def test_only_admins_may_make_admin_read_tokens_and_nobody_revokes_anothers(
    app, client, db_session
):
    owner = trainee()
    make_token(app, owner, Scope.HOLDER)
    with app.app_context():
        token_id = db.session.scalars(sa.select(ApiToken.id)).one()
    login(client, trainee().email)
    refused = client.post("/account/tokens/", data={"name": "x", "scope": "admin-read"})
    assert refused.status_code == 422
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


@pytest.mark.parametrize(
    ("method", "url"), [("GET", "/account/tokens/"), ("POST", "/account/tokens/1/revoke")]
)
def test_token_pages_need_a_login(app, db_session, method, url):
    check_access(app, method, url, {"anonymous": LOGIN}, {"anonymous": lambda: None})


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/me/certificates",
        "/api/v1/certificates",
        "/api/v1/users",
        "/api/v1/cohorts/1/progress",
    ],
)
def test_every_protected_route_needs_a_token(client, db_session, url):
    _assert_problem(client.get(url), 401)


def test_a_verification_token_has_a_lookup_budget_of_its_own(app, client, issued):
    token = make_token(app, trainee(), Scope.VERIFY)
    # The clock stands still, so the 61 requests cannot straddle two one-minute windows.
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        for _ in range(60):
            client.get(f"/api/v1/certificates/{issued.public_id}", headers=bearer(token))
        _assert_problem(
            client.get(f"/api/v1/certificates/{issued.public_id}", headers=bearer(token)), 429
        )
        assert client.get(f"/api/v1/certificates/{issued.public_id}").status_code == 200
