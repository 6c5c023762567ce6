"""No GET route changes state (SECURITY-TESTS 8): every GET page, visited by every role, leaves
every table as it was (only a session's last-seen time may move)."""

import re

import sqlalchemy as sa

from lms.db import db
from tests.conftest import login
from tests.grading.conftest import submitted

#: Sample values for URL parameters, by name.
SAMPLES = {
    "course_slug": "accredited-cooperation-coach",
    "lesson_slug": "from-idea-to-shared-vision",
    "module_slug": "strategic-partnership",
    "item_slug": "sig-charter",
    "kind": "pdf",
}


def _table_state() -> dict[str, int]:
    state = {}
    for table in db.metadata.sorted_tables:
        state[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    return state


def _urls(app, ids: dict[str, object]) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in {"static"}:
            continue
        url = rule.rule
        for name in rule.arguments:
            value = ids.get(name, SAMPLES.get(name, 1))
            url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(value), url)
        urls.append(url)
    return urls


def test_visiting_every_get_route_changes_nothing(app, setup):
    submission = submitted(app, setup, with_file=True)
    ids = {
        "submission_id": submission.id,
        "attachment_id": submission.attachments[0].id,
        "user_id": setup.trainee.id,
        "cohort_id": setup.cohort.id,
        "module_id": setup.module.id,
    }
    before = _table_state()
    for person in (setup.trainee, setup.trainer, setup.admin, None):
        client = app.test_client()
        if person is not None:
            login(client, person.email)
        after_login = _table_state()
        for url in _urls(app, ids):
            response = client.get(url)
            response.close()
            assert response.status_code < 500, url
        assert _table_state() == after_login, f"a GET changed state (as {person})"
    assert {k: v for k, v in _table_state().items() if k != "user_sessions"} == {
        k: v for k, v in before.items() if k != "user_sessions"
    }
