"""Admins enrol people one by one and remove them; the rules of who may join are kept."""

import datetime as dt

import pytest

from lms.accounts.models import Role
from lms.audit.models import AuditEvent
from lms.cohorts import queries, services
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.cohorts.services import CohortError
from lms.db import db
from tests.conftest import login
from tests.factories import UserFactory, admin, trainee, trainer


def member(cohort, user, role):
    return db.session.get(CohortMember, (cohort.id, user.id, role))


def enrol(client, cohort, email, role="trainee", lead=False):
    data = {"member-email": email, "member-role": role}
    if lead:
        data["member-lead"] = "y"
    return client.post(f"/admin/cohorts/{cohort.id}/members", data=data)


def test_admin_enrols_a_trainee_and_a_lead_trainer(client, course_cohort):
    boss = admin()
    coachee = trainee(name="Ana Silva")
    coach = trainer(name="Bernd Maier")
    login(client, boss.email)
    assert enrol(client, course_cohort, coachee.email.upper()).status_code == 302
    assert enrol(client, course_cohort, coach.email, "trainer", lead=True).status_code == 302
    assert member(course_cohort, coachee, MemberRole.TRAINEE).lead is False
    assert member(course_cohort, coach, MemberRole.TRAINER).lead is True
    entries = db.session.query(AuditEvent).filter_by(action="cohort.member_enrolled").all()
    assert [(e.data["user_id"], e.data["role"]) for e in entries] == [
        (coachee.id, "trainee"),
        (coach.id, "trainer"),
    ]
    page = client.get(f"/admin/cohorts/{course_cohort.id}").get_data(as_text=True)
    assert "Ana Silva" in page
    assert "Bernd Maier" in page
    assert "Lead trainer</span>" in page
    assert "1 trainee" in page


@pytest.mark.parametrize(
    ("make_person", "role", "lead", "message"),
    [
        (lambda: None, "trainee", False, "Nobody has an account with this e-mail address."),
        (trainee, "trainer", False, "does not have the trainer role."),
        (trainer, "trainee", False, "does not have the trainee role."),
        (lambda: trainee(active=False), "trainee", False, "is deactivated."),
        (trainee, "trainee", True, "Only a trainer can lead a cohort."),
        (trainee, "student", False, "Not a valid choice"),
    ],
)
def test_enrolments_that_break_a_rule_are_refused(
    client, course_cohort, make_person, role, lead, message
):
    login(client, admin().email)
    person = make_person()
    email = person.email if person else "nobody@example.org"
    response = enrol(client, course_cohort, email, role, lead=lead)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(CohortMember).count() == 0


def test_nobody_is_enrolled_twice_or_in_both_roles_of_one_cohort(
    client, course_cohort, cohort_course
):
    login(client, admin().email)
    both = UserFactory(roles=[Role.TRAINEE, Role.TRAINER])
    assert enrol(client, course_cohort, both.email, "trainee").status_code == 302
    again = enrol(client, course_cohort, both.email, "trainee")
    assert again.status_code == 422
    assert "is already enrolled in this cohort." in again.get_data(as_text=True)
    other_role = enrol(client, course_cohort, both.email, "trainer")
    assert other_role.status_code == 422
    assert "nobody can be both trainee and trainer" in other_role.get_data(as_text=True)
    # ... but they may train another cohort.
    other = Cohort(
        course=cohort_course,
        name="Autumn 2030",
        starts_on=dt.date(2030, 9, 1),
        ends_on=dt.date(2030, 12, 1),
    )
    db.session.add(other)
    db.session.flush()
    assert enrol(client, other, both.email, "trainer").status_code == 302
    assert db.session.query(CohortMember).filter_by(user_id=both.id).count() == 2


def test_admin_removes_a_member(client, course_cohort):
    person = trainee(name="Leaving Person")
    course_cohort.members.append(CohortMember(user=person, role=MemberRole.TRAINEE))
    db.session.flush()
    boss = admin()
    login(client, boss.email)
    url = f"/admin/cohorts/{course_cohort.id}/members/{person.id}/trainee/remove"
    response = client.post(url)
    assert response.status_code == 302
    assert member(course_cohort, person, MemberRole.TRAINEE) is None
    entry = db.session.query(AuditEvent).filter_by(action="cohort.member_unenrolled").one()
    assert entry.actor_id == boss.id
    assert entry.data == {"user_id": person.id, "role": "trainee"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Leaving Person removed from the cohort." in page
    # Removing again only explains.
    again = client.post(url, follow_redirects=True)
    assert "is not in this cohort in that role." in again.get_data(as_text=True)


def test_removing_uses_post_only(client, course_cohort):
    person = trainee()
    course_cohort.members.append(CohortMember(user=person, role=MemberRole.TRAINEE))
    db.session.flush()
    login(client, admin().email)
    url = f"/admin/cohorts/{course_cohort.id}/members/{person.id}/trainee/remove"
    assert client.get(url).status_code == 405
    assert member(course_cohort, person, MemberRole.TRAINEE) is not None


def test_remove_buttons_carry_a_csrf_token(client, course_cohort, csrf_enabled):
    person = trainee()
    course_cohort.members.append(CohortMember(user=person, role=MemberRole.TRAINEE))
    db.session.flush()
    from tests.conftest import csrf_token_from

    login_page = client.get("/auth/login").get_data(as_text=True)
    boss = admin()
    client.post(
        "/auth/login",
        data={
            "email": boss.email,
            "password": "correct horse battery staple",
            "csrf_token": csrf_token_from(login_page),
        },
    )
    url = f"/admin/cohorts/{course_cohort.id}/members/{person.id}/trainee/remove"
    assert client.post(url).status_code == 400  # no token: refused
    assert member(course_cohort, person, MemberRole.TRAINEE) is not None
    page = client.get(f"/admin/cohorts/{course_cohort.id}").get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert member(course_cohort, person, MemberRole.TRAINEE) is None


def test_services_refuse_directly_too(app_ctx, course_cohort):
    boss = admin()
    person = trainee()
    services.enrol(course_cohort, person, MemberRole.TRAINEE, actor=boss)
    with pytest.raises(CohortError):
        services.enrol(course_cohort, person, MemberRole.TRAINEE, actor=boss)
    services.unenrol(course_cohort, person, MemberRole.TRAINEE, actor=boss)
    with pytest.raises(CohortError):
        services.unenrol(course_cohort, person, MemberRole.TRAINEE, actor=boss)


def test_cohorts_of_lists_a_persons_cohorts(app_ctx, course_cohort, cohort_course):
    boss = admin()
    both = UserFactory(roles=[Role.TRAINEE, Role.TRAINER])
    later = services.create_cohort(
        cohort_course,
        name="Autumn 2030",
        starts_on=dt.date(2030, 9, 1),
        ends_on=dt.date(2030, 12, 1),
        late_policy=course_cohort.late_policy,
        blind_marking=False,
        moderation=False,
        actor=boss,
    )
    services.enrol(course_cohort, both, MemberRole.TRAINEE, actor=boss)
    services.enrol(later, both, MemberRole.TRAINER, actor=boss)
    assert queries.cohorts_of(both) == [later, course_cohort]
    assert queries.cohorts_of(both, MemberRole.TRAINEE) == [course_cohort]
    assert queries.cohorts_of(trainee()) == []
    assert [m.user for m in queries.members(later)] == [both]
