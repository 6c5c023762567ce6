"""Issuing certificates in bulk, timed beside the raw PyJWT EdDSA signing rate of this machine.

On a fresh database (courses imported, `n` trainees added), `lms.certificates.bulk` issues
one signed certificate to each; then the very same claims are signed `n` times with PyJWT
alone. The ratio says how much of the work is signing and how much is everything else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

from bench import settings


def run_issue(n: int, database: str = "sqlite") -> dict[str, Any]:
    import jwt
    import sqlalchemy as sa

    from bench.seed_command import reset_schema
    from lms import create_app
    from lms.accounts.models import User
    from lms.certificates import bulk, keys
    from lms.certificates.models import Certificate
    from lms.courses.cli import DEFAULT_PATH
    from lms.courses.models import Course
    from lms.courses.services import import_path
    from lms.db import db

    # A scratch database: the seeded dataset must survive this step.
    url = settings.scratch_url(database, "bench-issue")
    if database == "postgresql":
        settings.ensure_postgres_database(url)
    os.environ.update(settings.app_environment(url))
    app = create_app()
    print(f"== bulk issue of {n} certificates on {database}", flush=True)
    with app.app_context():
        reset_schema(database, url)
        import_path(DEFAULT_PATH)
        course = db.session.scalars(sa.select(Course).order_by(Course.id)).first()
        assert course is not None  # noqa: S101
        assert course.current_version is not None  # noqa: S101
        version = course.current_version
        now = dt.datetime.now(dt.UTC)
        user_ids = list(
            db.session.execute(
                sa.insert(User.__table__).returning(
                    User.__table__.c.id, sort_by_parameter_order=True
                ),
                [
                    {
                        "email": f"issue-{i}@bench.example.org",
                        "name": f"Trainee {i}",
                        "created_at": now,
                        "active": True,
                        "timezone": "UTC",
                    }
                    for i in range(n)
                ],
            ).scalars()
        )
        keys.ensure_signing_key()
        db.session.commit()
        codes = [ka["code"] for ka in version.snapshot["key_activities"]]
        items = [
            bulk.BulkItem(
                user_id=uid, name=f"Trainee {i}", results=[{"code": c, "level": 3} for c in codes]
            )
            for i, uid in enumerate(user_ids)
        ]
        started = time.perf_counter()
        summary = bulk.issue_bulk(course, version, items)
        db.session.commit()
        seconds = time.perf_counter() - started
        issued = db.session.scalar(sa.select(sa.func.count()).select_from(Certificate))
        sample = db.session.scalars(sa.select(Certificate).limit(1)).one()
        from lms.certificates.verification import verify_token

        verified = verify_token(sample.credential).valid
        # Raw signing: the same claims, PyJWT only.
        key = keys.current_key()
        assert key is not None  # noqa: S101
        private = keys.load_private_key(key)
        claims = jwt.decode(sample.credential, options={"verify_signature": False})
        headers = {"kid": keys.kid_url(key.kid), "typ": "JWT"}
        started = time.perf_counter()
        for _ in range(n):
            jwt.encode(claims, private, algorithm="EdDSA", headers=headers)
        raw_seconds = time.perf_counter() - started
        size = len(sample.credential)
    report = {
        "database": database,
        "n": n,
        "issued": len(summary.issued),
        "in_database": issued,
        "sample_verifies": verified,
        "seconds": round(seconds, 2),
        "per_second": round(n / seconds, 1),
        "raw_pyjwt_eddsa_per_second": round(n / raw_seconds, 1),
        "ratio_to_raw_signing": round((n / seconds) / (n / raw_seconds), 2),
        "credential_bytes": size,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(
        f"  issued {report['issued']} in {seconds:.2f} s = {report['per_second']}/s "
        f"(raw PyJWT EdDSA signing of the same claims: {report['raw_pyjwt_eddsa_per_second']}/s, "
        f"ratio {report['ratio_to_raw_signing']}); a sample verifies: {verified}",
        flush=True,
    )
    settings.RESULTS.mkdir(parents=True, exist_ok=True)
    Path(settings.RESULTS / f"issue-{database}.json").write_text(json.dumps(report, indent=2))
    return report
