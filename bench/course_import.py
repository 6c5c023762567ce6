"""Timing the course import alone, on a scratch database (the seeded dataset stays as it is).

`python -m bench import [--db sqlite|postgresql|both] [--runs 3]`: each run empties the scratch
database (`instance/bench-import.sqlite3`, or the PostgreSQL database `bench_import` on
the benchmark's server), imports both shipped courses with `lms.courses.services.import_path`
and commits; the best and the median of the runs go to bench/results/import-<db>.json, with
the machine's load average at the start.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
from typing import Any

from bench import settings


def run_import(database: str, runs: int = 3) -> dict[str, Any]:
    from bench.seed_command import reset_schema
    from lms import create_app
    from lms.courses.cli import DEFAULT_PATH
    from lms.courses.services import import_path
    from lms.db import db

    url = settings.scratch_url(database, "bench-import")
    if database == "postgresql":
        settings.ensure_postgres_database(url)
    os.environ.update(settings.app_environment(url))
    app = create_app()
    load = os.getloadavg()[0]
    print(f"== course import on {database} ({runs} runs, load average {load:.1f})", flush=True)
    seconds = []
    with app.app_context():
        for _ in range(runs):
            reset_schema(database, url)
            db.session.commit()
            started = time.perf_counter()
            import_path(DEFAULT_PATH)
            db.session.commit()
            seconds.append(time.perf_counter() - started)
            print(f"  {seconds[-1]:.2f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    report = {
        "database": database,
        "runs": [round(value, 2) for value in seconds],
        "best_seconds": round(min(seconds), 2),
        "median_seconds": round(statistics.median(seconds), 2),
        "load_average": round(load, 1),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    settings.RESULTS.mkdir(parents=True, exist_ok=True)
    (settings.RESULTS / f"import-{database}.json").write_text(json.dumps(report, indent=2))
    return report
