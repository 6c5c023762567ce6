"""Admins create, list and edit cohorts; bad names and dates are refused with nothing stored."""

import datetime as dt

import pytest

from lms.audit.models import AuditEvent
from lms.cohorts import services
from lms.cohorts.models import Cohort, CohortMember, LatePolicy, MemberRole
from lms.cohorts.services import CohortError
from lms.db import db
from tests.conftest import login
from tests.factories import admin, trainee, trainer


def new_cohort_data(course, **changes):
    return {
        "course_id": course.id,
        "name": "Autumn 2030",
        "starts_on": "2030-09-01",
        "ends_on": "2030-12-15",
        "late_policy": "refuse",
        "blind_marking": "y",
        **changes,
    }


def test_admin_creates_a_cohort(client, cohort_course):
    boss = admin()
    login(client, boss.email)
    assert "Cooperation Coach (cohort tests)" in client.get("/admin/cohorts/new").get_data(
        as_text=True
    )
    response = client.post("/admin/cohorts/new", data=new_cohort_data(cohort_course))
    assert response.status_code == 302
    cohort = db.session.query(Cohort).filter_by(name="Autumn 2030").one()
    assert response.headers["Location"].endswith(f"/admin/cohorts/{cohort.id}")
    assert cohort.course_id == cohort_course.id
    assert (cohort.starts_on, cohort.ends_on) == (dt.date(2030, 9, 1), dt.date(2030, 12, 15))
    assert cohort.late_policy is LatePolicy.REFUSE
    assert cohort.blind_marking is True
    assert cohort.moderation is False
    entry = db.session.query(AuditEvent).filter_by(action="cohort.created").one()
    assert entry.actor_id == boss.id
    assert entry.subject_id == str(cohort.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Autumn 2030" in page
    assert "Cohort Autumn 2030 created." in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_on": "2030-08-31"}, "The cohort cannot end before it starts."),
        ({"starts_on": "2030-02-30"}, "Not a valid date value."),
        ({"ends_on": ""}, "This field is required."),
        ({"name": "x" * 201}, "200 characters"),
        ({"name": "   "}, "This field is required."),
        ({"late_policy": "whenever"}, "Not a valid choice"),
        ({"course_id": "987654"}, "Not a valid choice"),
    ],
)
def test_bad_cohorts_are_refused_and_nothing_is_stored(client, cohort_course, changes, message):
    login(client, admin().email)
    response = client.post("/admin/cohorts/new", data=new_cohort_data(cohort_course, **changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(Cohort).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="cohort.created").count() == 0


def test_a_cohort_name_is_unique_within_its_course(client, course_cohort, cohort_course):
    login(client, admin().email)
    data = new_cohort_data(cohort_course, name=" Spring 2030 ")
    response = client.post("/admin/cohorts/new", data=data)
    assert response.status_code == 422
    assert "This course already has a cohort with this name." in response.get_data(as_text=True)
    assert db.session.query(Cohort).count() == 1


def test_admin_edits_a_cohort_with_an_audit_entry(client, course_cohort):
    boss = admin()
    login(client, boss.email)
    response = client.post(
        f"/admin/cohorts/{course_cohort.id}/edit",
        data={
            "cohort-name": "Spring 2030 (Brussels)",
            "cohort-starts_on": "2030-03-04",
            "cohort-ends_on": "2030-07-31",
            "cohort-late_policy": "refuse",
            "cohort-moderation": "y",
        },
    )
    assert response.status_code == 302
    cohort = db.session.get(Cohort, course_cohort.id)
    db.session.refresh(cohort)
    assert cohort.name == "Spring 2030 (Brussels)"
    assert cohort.ends_on == dt.date(2030, 7, 31)
    assert cohort.late_policy is LatePolicy.REFUSE
    assert cohort.moderation is True
    entry = db.session.query(AuditEvent).filter_by(action="cohort.updated").one()
    assert entry.data["before"]["name"] == "Spring 2030"
    assert entry.data["after"]["late_policy"] == "refuse"


def test_an_edit_with_bad_dates_changes_nothing(client, course_cohort):
    login(client, admin().email)
    response = client.post(
        f"/admin/cohorts/{course_cohort.id}/edit",
        data={
            "cohort-name": "Renamed",
            "cohort-starts_on": "2030-03-04",
            "cohort-ends_on": "2030-03-03",
            "cohort-late_policy": "refuse",
        },
    )
    assert response.status_code == 422
    assert "The cohort cannot end before it starts." in response.get_data(as_text=True)
    cohort = db.session.get(Cohort, course_cohort.id)
    db.session.refresh(cohort)
    assert cohort.name == "Spring 2030"
    assert db.session.query(AuditEvent).filter_by(action="cohort.updated").count() == 0


def test_renaming_onto_another_cohorts_name_is_refused(app_ctx, course_cohort, cohort_course):
    boss = admin()
    other = services.create_cohort(
        cohort_course,
        name="Autumn 2030",
        starts_on=dt.date(2030, 9, 1),
        ends_on=dt.date(2030, 12, 1),
        late_policy=LatePolicy.REFUSE,
        blind_marking=False,
        moderation=False,
        actor=boss,
    )
    with pytest.raises(CohortError) as caught:
        services.update_cohort(
            other,
            name="Spring 2030",
            starts_on=other.starts_on,
            ends_on=other.ends_on,
            late_policy=other.late_policy,
            blind_marking=False,
            moderation=False,
            actor=boss,
        )
    assert caught.value.field == "name"


def test_the_list_counts_members_and_filters_by_course(client, course_cohort, cohort_course):
    course_cohort.members.extend(
        [
            CohortMember(user=trainee(), role=MemberRole.TRAINEE),
            CohortMember(user=trainee(), role=MemberRole.TRAINEE),
            CohortMember(user=trainer(), role=MemberRole.TRAINER),
        ]
    )
    later = Cohort(
        course=cohort_course,
        name="Winter 2031",
        starts_on=dt.date(2031, 1, 10),
        ends_on=dt.date(2031, 4, 1),
    )
    db.session.add(later)
    db.session.flush()
    login(client, admin().email)
    page = client.get("/admin/cohorts").get_data(as_text=True)
    assert page.index("Winter 2031") < page.index("Spring 2030")  # newest first
    assert '<td class="num">2</td>\n      <td class="num">1</td>' in page
    assert "2 cohorts" in page
    filtered = client.get("/admin/cohorts", query_string={"course": 987654}).get_data(as_text=True)
    assert "Spring 2030" not in filtered
    assert "No cohorts match this filter." in filtered
    mine = client.get("/admin/cohorts", query_string={"course": cohort_course.id})
    assert "Spring 2030" in mine.get_data(as_text=True)


def test_the_list_needs_one_query_however_many_cohorts(app_ctx, cohort_course):
    import sqlalchemy as sa

    from lms.cohorts import queries

    for n in range(5):
        cohort = Cohort(
            course=cohort_course,
            name=f"Run {n}",
            starts_on=dt.date(2030, 1, n + 1),
            ends_on=dt.date(2030, 6, 1),
        )
        cohort.members.append(CohortMember(user=trainee(), role=MemberRole.TRAINEE))
        db.session.add(cohort)
    db.session.flush()
    db.session.expire_all()
    statements = []
    engine = db.session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        rows = queries.cohorts_with_counts()
        summary = [(row.cohort.name, row.course_title, row.trainees) for row in rows]
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert summary[0] == ("Run 4", "Cooperation Coach (cohort tests)", 1)
