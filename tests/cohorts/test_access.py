"""Every cohorts URL is for admins only; unknown cohorts are 404."""

import io

import pytest

from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db
from tests.access import FORBIDDEN, LOGIN, NOT_FOUND, OK, check_access
from tests.conftest import login
from tests.factories import admin, trainee, trainer

PEOPLE = {
    "anonymous": lambda: None,
    "trainee": trainee,
    "trainer": trainer,
    "admin": admin,
}
ADMIN_ONLY = {"anonymous": LOGIN, "trainee": FORBIDDEN, "trainer": FORBIDDEN, "admin": OK}
ADMIN_REDIRECTED = {**ADMIN_ONLY, "admin": 302}


def test_list_and_new_pages_are_for_admins_only(app, cohort_course):
    check_access(app, "GET", "/admin/cohorts", ADMIN_ONLY, PEOPLE)
    check_access(app, "GET", f"/admin/cohorts?course={cohort_course.id}", ADMIN_ONLY, PEOPLE)
    check_access(app, "GET", "/admin/cohorts/new", ADMIN_ONLY, PEOPLE)


def test_cohort_page_is_for_admins_only(app, course_cohort):
    check_access(app, "GET", f"/admin/cohorts/{course_cohort.id}", ADMIN_ONLY, PEOPLE)


def test_creating_a_cohort_is_for_admins_only(app, cohort_course):
    data = {
        "course_id": cohort_course.id,
        "name": "Autumn 2030",
        "starts_on": "2030-09-01",
        "ends_on": "2030-12-15",
        "late_policy": "refuse",
    }
    check_access(app, "POST", "/admin/cohorts/new", ADMIN_REDIRECTED, PEOPLE, data=data)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "edit",
            {
                "cohort-name": "Renamed",
                "cohort-starts_on": "2030-03-01",
                "cohort-ends_on": "2030-07-31",
                "cohort-late_policy": "refuse",
            },
        ),
        ("deadlines", {}),
        ("members", {"member-email": "PLACEHOLDER", "member-role": "trainee"}),
    ],
)
def test_changing_a_cohort_is_for_admins_only(app, course_cohort, path, data):
    if path == "members":
        data = {**data, "member-email": trainee().email}
    url = f"/admin/cohorts/{course_cohort.id}/{path}"
    check_access(app, "POST", url, ADMIN_REDIRECTED, PEOPLE, data=data)


def test_removing_a_member_is_for_admins_only(app, course_cohort):
    member = trainee()
    course_cohort.members.append(CohortMember(user=member, role=MemberRole.TRAINEE))
    db.session.flush()
    url = f"/admin/cohorts/{course_cohort.id}/members/{member.id}/trainee/remove"
    check_access(app, "POST", url, ADMIN_REDIRECTED, PEOPLE)
    assert db.session.get(CohortMember, (course_cohort.id, member.id, MemberRole.TRAINEE)) is None


def test_importing_a_csv_file_is_for_admins_only(app, course_cohort):
    person = trainee()
    url = f"/admin/cohorts/{course_cohort.id}/import"
    for name, make_person in PEOPLE.items():
        upload = {"csv-file": (io.BytesIO(f"email\n{person.email}\n".encode()), "people.csv")}
        check_access(app, "POST", url, {name: ADMIN_REDIRECTED[name]}, {name: make_person}, upload)
    assert db.session.get(CohortMember, (course_cohort.id, person.id, MemberRole.TRAINEE))


def test_nobody_but_an_admin_changed_anything(app, course_cohort):
    person = trainee()
    url = f"/admin/cohorts/{course_cohort.id}/members"
    forbidden = {k: v for k, v in ADMIN_ONLY.items() if k != "admin"}
    people = {k: v for k, v in PEOPLE.items() if k != "admin"}
    check_access(app, "POST", url, forbidden, people, data={"member-email": person.email})
    assert db.session.query(CohortMember).count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/cohorts/999999"),
        ("POST", "/admin/cohorts/999999/edit"),
        ("POST", "/admin/cohorts/999999/deadlines"),
        ("POST", "/admin/cohorts/999999/members"),
        ("POST", "/admin/cohorts/999999/import"),
        ("POST", "/admin/cohorts/999999/members/1/trainee/remove"),
    ],
)
def test_unknown_cohorts_are_404(app, db_session, method, path):
    check_access(app, method, path, {"admin": NOT_FOUND}, {"admin": admin})


def test_unknown_member_or_role_is_404(client, course_cohort):
    boss = admin()
    login(client, boss.email)
    base = f"/admin/cohorts/{course_cohort.id}/members"
    assert client.post(f"{base}/999999/trainee/remove").status_code == 404
    assert client.post(f"{base}/{boss.id}/admin/remove").status_code == 404


def test_the_cohorts_link_is_current_on_cohort_pages(client, db_session):
    boss = admin()
    login(client, boss.email)
    page = client.get("/admin/cohorts").get_data(as_text=True)
    assert 'href="/admin/cohorts" aria-current="page"' in page
    assert 'href="/admin/users" aria-current="page"' not in page
