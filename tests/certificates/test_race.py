"""SECURITY-TESTS 29: 50 concurrent requests to issue the same certificate make exactly one.

Threads need committed data and their own connections, which the suite's rolled-back
transaction cannot give: the test builds its own schema on PostgreSQL and drops it after.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.certificates import services
from lms.certificates.models import Certificate, CertificateStatus
from lms.courses.models import ContentVersion, Course
from lms.db import db
from tests.certificates.conftest import course, import_courses, results_for
from tests.conftest import WORKER, app_on_fresh_postgres_schema
from tests.factories import trainee

SCHEMA = f"certificate_race_{WORKER}"
THREADS = 50


@pytest.fixture
def race_app(tmp_path):  # type: ignore[no-untyped-def]
    pool = {"pool_size": THREADS, "max_overflow": 5}
    with app_on_fresh_postgres_schema(
        SCHEMA, tmp_path, SQLALCHEMY_ENGINE_OPTIONS=pool
    ) as application:
        yield application


@pytest.mark.postgres
def test_fifty_concurrent_requests_issue_exactly_one_certificate(race_app):
    with race_app.app_context():
        import_courses()
        holder = trainee()
        found = course()
        db.session.commit()
        ids = (holder.id, found.id, found.current_version_id)
        results = results_for(found)

    barrier = threading.Barrier(THREADS, timeout=30)

    def request_certificate(_: int) -> str:
        with race_app.app_context():
            user = db.session.get(User, ids[0])
            target = db.session.get(Course, ids[1])
            version = db.session.get(ContentVersion, ids[2])
            barrier.wait()  # everyone holds a connection; now all insert at once
            certificate = services.issue_certificate(user, target, version, results)
            public_id = certificate.public_id
            db.session.commit()
            return public_id

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        issued = list(pool.map(request_certificate, range(THREADS)))

    assert len(issued) == THREADS
    assert len(set(issued)) == 1
    with race_app.app_context():
        rows = db.session.scalars(sa.select(Certificate)).all()
        assert len(rows) == 1
        assert rows[0].status == CertificateStatus.VALID
        assert rows[0].credential
        assert rows[0].status_index == 0
