"""The busy pages run a fixed number of SQL queries, however much data there is.

Each page is requested on a small dataset and again after much more data was added that the
same person sees (more cohorts, trainees, submissions, grades and certificates); the number of
statements must stay the same and under a small bound. A query per row (N+1) fails this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from bench.seed import SeedSummary, populate
from lms.accounts.models import User
from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db, utcnow
from tests.conftest import PASSWORD, login

#: Statements each page may run: the login session with its user and their roles, the unread
#: notifications, and the page's own reads (a fixed set of aggregates, whatever the data).
LIMITS = {
    "trainee dashboard": 9,
    "trainer dashboard with the cohort progress matrix": 9,
    "grading queue": 7,
    "admin KPI reports": 10,
}
#: Transaction control is not a query (SQLite's BEGIN, and the test's own savepoints).
_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")


@contextmanager
def counting(app) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(_CONTROL):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _seed(app, trainees: int, cohorts: int, submissions: int) -> SeedSummary:  # type: ignore[no-untyped-def]
    with app.app_context():
        summary = populate(
            trainees=trainees,
            cohorts=cohorts,
            submissions_per_trainee=submissions,
            password=PASSWORD,
        )
        db.session.commit()
    return summary


def _also_trains(app, email: str, cohort_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Make the trainer of the small dataset a trainer of the large one's cohorts too."""
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        db.session.execute(
            sa.insert(CohortMember.__table__),
            [
                {"cohort_id": cid, "user_id": user_id, "role": MemberRole.TRAINER,
                 "lead": False, "enrolled_at": utcnow()}
                for cid in cohort_ids
            ],
        )  # fmt: skip
        db.session.commit()


def _count(app, client, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    with counting(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return statements


def _page_counts(app, client, role: str, path: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    small = _seed(app, trainees=4, cohorts=2, submissions=2)
    who = {
        "trainee": small.trainee_emails[0],
        "trainer": small.trainer_emails[0],
        "admin": small.admin_email,
    }[role]
    assert login(client, who).status_code in (302, 303)
    client.get(path)  # first request of a session warms caches; count the second
    before = _count(app, client, path)
    large = _seed(app, trainees=30, cohorts=5, submissions=10)
    if role == "trainer":
        _also_trains(app, who, large.cohort_ids)
    if role == "trainee":  # a trainee with five times the submissions, and a certificate
        client = app.test_client()
        assert login(client, large.trainee_emails[0]).status_code in (302, 303)
        client.get(path)
    after = _count(app, client, path)
    return before, after


PAGES = {  # name: (who, path)
    "trainee dashboard": ("trainee", "/"),
    "trainer dashboard with the cohort progress matrix": ("trainer", "/"),
    "grading queue": ("trainer", "/grading/"),
    "admin KPI reports": ("admin", "/reports/"),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_queries_do_not_grow_with_the_data(app, client, page):  # type: ignore[no-untyped-def]
    role, path = PAGES[page]
    small, large = _page_counts(app, client, role, path)
    listing = "\n".join(" ".join(statement.split())[:160] for statement in large)
    limit = LIMITS[page]
    assert len(large) <= limit, f"{page}: {len(large)} queries (limit {limit}):\n{listing}"
    assert len(large) == len(small), (
        f"{page}: {len(small)} queries on the small dataset, {len(large)} on the large:\n{listing}"
    )


def test_the_counter_sees_a_query_per_row(app, client):  # type: ignore[no-untyped-def]
    """The listener counts every statement: a loop of lookups shows up one by one."""
    small = _seed(app, trainees=3, cohorts=1, submissions=1)
    with counting(app) as statements, app.app_context():
        for email in small.trainee_emails:
            db.session.scalar(sa.select(User.id).where(User.email == email))
    assert len(statements) == len(small.trainee_emails)


def test_verifying_a_certificate_reads_one_row(app, client):  # type: ignore[no-untyped-def]
    """The verify page and POST /api/v1/verify read the certificate, its holder, course,
    renewal and signing key in one statement, whatever the data (the signature check
    reuses the key read with it)."""
    from lms.certificates.models import Certificate, CertificateStatus

    _seed(app, trainees=4, cohorts=1, submissions=1)
    with app.app_context():
        public_id, credential = db.session.execute(
            sa.select(Certificate.public_id, Certificate.credential).where(
                Certificate.credential.is_not(None),
                Certificate.status == CertificateStatus.VALID,
            )
        ).first()
    page = _count(app, client, f"/verify/{public_id}")
    with counting(app) as api:
        response = client.post("/api/v1/verify", json={"credential": credential})
    assert response.status_code == 200
    assert response.get_json()["valid"] is True, response.get_json()
    assert (len(page), len(api)) == (1, 1), "\n".join(page + api)
