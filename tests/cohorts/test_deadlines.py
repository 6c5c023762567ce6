"""Deadlines are typed in the admin's time zone and stored in UTC."""

import datetime as dt

import pytest

from lms.audit.models import AuditEvent
from lms.cohorts import services
from lms.cohorts.models import CohortDeadline
from lms.cohorts.services import CohortError
from lms.db import db
from tests.conftest import login
from tests.factories import admin


def stored_deadlines(cohort):
    rows = db.session.query(CohortDeadline).filter_by(cohort_id=cohort.id).all()
    return {row.module_id: row.due_at for row in rows}


def test_deadlines_are_read_in_the_admins_time_zone_and_stored_in_utc(
    client, course_cohort, cohort_modules
):
    boss = admin(timezone="Europe/Berlin")
    login(client, boss.email)
    first, second = cohort_modules["opportunity"], cohort_modules["partners"]
    response = client.post(
        f"/admin/cohorts/{course_cohort.id}/deadlines",
        data={
            f"deadlines-module_{first.id}": "2030-03-15T17:00",  # CET, UTC+1
            f"deadlines-module_{second.id}": "2030-06-15T17:00",  # CEST, UTC+2
        },
    )
    assert response.status_code == 302
    assert stored_deadlines(course_cohort) == {
        first.id: dt.datetime(2030, 3, 15, 16, 0, tzinfo=dt.UTC),
        second.id: dt.datetime(2030, 6, 15, 15, 0, tzinfo=dt.UTC),
    }
    entry = db.session.query(AuditEvent).filter_by(action="cohort.deadlines_set").one()
    assert entry.data["deadlines"][str(first.id)] == "2030-03-15T16:00:00+00:00"
    page = client.get(f"/admin/cohorts/{course_cohort.id}").get_data(as_text=True)
    assert 'value="2030-03-15T17:00"' in page
    assert "Europe/Berlin" in page


def test_another_admin_sees_the_same_moment_in_their_own_zone(
    client, course_cohort, cohort_modules
):
    module = cohort_modules["opportunity"]
    course_cohort.deadlines.append(
        CohortDeadline(module_id=module.id, due_at=dt.datetime(2030, 3, 15, 16, 0, tzinfo=dt.UTC))
    )
    db.session.flush()
    login(client, admin(timezone="America/New_York").email)
    page = client.get(f"/admin/cohorts/{course_cohort.id}").get_data(as_text=True)
    assert 'value="2030-03-15T12:00"' in page  # EDT, UTC-4


def test_only_current_assessed_modules_get_a_deadline_field(client, course_cohort, cohort_modules):
    login(client, admin().email)
    page = client.get(f"/admin/cohorts/{course_cohort.id}").get_data(as_text=True)
    assert f'name="deadlines-module_{cohort_modules["opportunity"].id}"' in page
    assert f'name="deadlines-module_{cohort_modules["partners"].id}"' in page
    assert f'name="deadlines-module_{cohort_modules["intro"].id}"' not in page
    assert f'name="deadlines-module_{cohort_modules["old"].id}"' not in page


def test_an_empty_field_removes_a_deadline(client, course_cohort, cohort_modules):
    first, second = cohort_modules["opportunity"], cohort_modules["partners"]
    due = dt.datetime(2030, 4, 1, 10, 0, tzinfo=dt.UTC)
    course_cohort.deadlines.extend(
        [
            CohortDeadline(module_id=first.id, due_at=due),
            CohortDeadline(module_id=second.id, due_at=due),
        ]
    )
    db.session.flush()
    login(client, admin(timezone="UTC").email)
    response = client.post(
        f"/admin/cohorts/{course_cohort.id}/deadlines",
        data={
            f"deadlines-module_{first.id}": "",
            f"deadlines-module_{second.id}": "2030-04-01T10:00",
        },
    )
    assert response.status_code == 302
    assert stored_deadlines(course_cohort) == {second.id: due}


def test_a_malformed_deadline_is_refused(client, course_cohort, cohort_modules):
    login(client, admin().email)
    module = cohort_modules["opportunity"]
    response = client.post(
        f"/admin/cohorts/{course_cohort.id}/deadlines",
        data={f"deadlines-module_{module.id}": "next friday"},
    )
    assert response.status_code == 422
    assert "Not a valid datetime value." in response.get_data(as_text=True)
    assert stored_deadlines(course_cohort) == {}


def test_the_service_refuses_unassessed_or_retired_modules_and_naive_times(
    app_ctx, course_cohort, cohort_modules
):
    boss = admin()
    due = dt.datetime(2030, 4, 1, 10, 0, tzinfo=dt.UTC)
    for slug in ("intro", "old"):
        with pytest.raises(CohortError):
            services.set_deadlines(course_cohort, {cohort_modules[slug].id: due}, actor=boss)
    with pytest.raises(CohortError):
        services.set_deadlines(
            course_cohort,
            {cohort_modules["opportunity"].id: due.replace(tzinfo=None)},
            actor=boss,
        )
    assert stored_deadlines(course_cohort) == {}


def test_the_service_normalises_other_zones_to_utc(app_ctx, course_cohort, cohort_modules):
    from zoneinfo import ZoneInfo

    module = cohort_modules["partners"]
    local = dt.datetime(2030, 1, 10, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    services.set_deadlines(course_cohort, {module.id: local}, actor=admin())
    assert stored_deadlines(course_cohort)[module.id] == dt.datetime(
        2030, 1, 10, 8, 30, tzinfo=dt.UTC
    )
