"""Build a benchmark database from scratch: schema, both courses, then the large dataset."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bench import settings


def fresh_app(database: str, **extra: str) -> Any:
    """The app configured as the benchmark serves it, on `database` (sqlite or postgresql)."""
    url = settings.DATABASES[database]
    if database == "postgresql":
        settings.ensure_postgres_database(url)
    os.environ.update(settings.app_environment(url, **extra))
    from lms import create_app

    return create_app()


def reset_schema(database: str, url: str | None = None) -> None:
    import sqlalchemy as sa

    from lms.db import db

    if database == "sqlite":
        db.session.remove()
        db.engine.dispose()
        path = Path((url or settings.DATABASES["sqlite"]).removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    import lms.models  # noqa: F401 (every table)

    db.create_all()


def seed_database(
    database: str,
    *,
    trainees: int = 20_000,
    cohorts: int = 200,
    submissions_per_trainee: int = 10,
) -> dict[str, Any]:
    """Create the dataset on `database`; write its figures to bench/results/seed-<db>.json."""
    from bench.seed import populate
    from lms.courses.cli import DEFAULT_PATH
    from lms.courses.services import import_path
    from lms.db import db, refresh_planner_statistics

    app = fresh_app(database)
    print(f"== seeding {database}: {trainees} trainees, {cohorts} cohorts", flush=True)
    with app.app_context():
        started = time.perf_counter()
        reset_schema(database)
        started_import = time.perf_counter()
        import_path(DEFAULT_PATH)
        db.session.commit()
        import_seconds = time.perf_counter() - started_import
        print(f"  course import: {import_seconds:.2f} s", flush=True)
        summary = populate(
            trainees=trainees,
            cohorts=cohorts,
            submissions_per_trainee=submissions_per_trainee,
            password=settings.PASSWORD,
            log=lambda text: print(text, flush=True),
        )
        db.session.commit()
        # As the nightly job does (committed: a rolled-back ANALYZE leaves SQLite guessing).
        print(f"  {refresh_planner_statistics()}", flush=True)
        db.session.commit()
        total = time.perf_counter() - started
    report = {
        "database": database,
        "seconds_total": round(total, 1),
        "seconds_course_import": round(import_seconds, 2),
        "seconds": summary.seconds,
        "trainees": summary.trainees,
        "trainers": summary.trainers,
        "cohorts": summary.cohorts,
        "submissions": summary.submissions,
        "grades": summary.grades,
        "certificates": summary.certificates,
        "revoked": summary.revoked,
        "expired": summary.expired,
        # What the HTTP benchmark logs in as and looks up.
        "admin_email": summary.admin_email,
        "trainer_emails": summary.trainer_emails[:20],
        "trainee_emails": summary.trainee_emails[:50],
        "cohort_ids": summary.cohort_ids[:20],
        "certificate_ids": summary.certificate_ids[::97][:200],
    }
    settings.RESULTS.mkdir(parents=True, exist_ok=True)
    (settings.RESULTS / f"seed-{database}.json").write_text(json.dumps(report, indent=2))
    print(
        f"  done in {total:.0f} s: {summary.submissions} submissions, {summary.grades} grades, "
        f"{summary.certificates} certificates ({summary.revoked} revoked, "
        f"{summary.expired} expired)",
        flush=True,
    )
    return report
