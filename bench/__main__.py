"""`python -m bench <command>`: seed, issue, import, http, load, report, or all (what `make
bench` runs)."""

from __future__ import annotations

import argparse
import signal
import sys

from bench import settings


def _targets(name: str) -> list[str]:
    return list(settings.DATABASES) if name == "both" else [name]


def _reachable(name: str) -> bool:
    """SQLite always; PostgreSQL when its server answers (otherwise say so and skip it)."""
    if name != "postgresql":
        return True
    try:
        settings.ensure_postgres_database(settings.DATABASES[name])
    except Exception as error:  # noqa: BLE001 (any failure to connect means: skip it)
        print(f"PostgreSQL is not reachable ({error}); measuring SQLite only.")
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", help="create the large dataset")
    seed.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    seed.add_argument("--trainees", type=int, default=20_000)
    seed.add_argument("--cohorts", type=int, default=200)
    seed.add_argument("--submissions-per-trainee", type=int, default=10)

    issue = commands.add_parser("issue", help="issue certificates in bulk, against raw signing")
    issue.add_argument("--n", type=int, default=10_000)
    issue.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")

    course_import = commands.add_parser("import", help="time the course import alone")
    course_import.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    course_import.add_argument("--runs", type=int, default=3)

    http = commands.add_parser("http", help="HTTP benchmark against gunicorn (after seed)")
    http.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    http.add_argument("--seconds", type=float, default=8.0, help="per route")
    http.add_argument("--connections", type=int, default=4)
    http.add_argument("--memory-requests", type=int, default=20_000)

    load = commands.add_parser("load", help="one-minute mixed load test (PostgreSQL + Redis)")
    load.add_argument("--seconds", type=float, default=40.0)
    load.add_argument("--workers", type=int, default=4)

    commands.add_parser("report", help="the targets table from the newest results")

    everything = commands.add_parser("all", help="seed, issue, http (what `make bench` runs)")
    everything.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    everything.add_argument("--seconds", type=float, default=8.0)

    args = parser.parse_args(argv)
    # Stopped with SIGTERM: leave through the context managers, so the servers stop too.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    if args.command == "seed":
        from bench.seed_command import seed_database

        for name in _targets(args.db):
            seed_database(
                name,
                trainees=args.trainees,
                cohorts=args.cohorts,
                submissions_per_trainee=args.submissions_per_trainee,
            )
    elif args.command == "issue":
        from bench.issue import run_issue

        run_issue(args.n, args.db)
    elif args.command == "import":
        from bench.course_import import run_import

        for name in _targets(args.db):
            if _reachable(name):
                run_import(name, args.runs)
    elif args.command == "http":
        from bench.http_bench import run_http

        run_http(
            _targets(args.db),
            seconds=args.seconds,
            connections=args.connections,
            memory_requests=args.memory_requests,
        )
    elif args.command == "report":
        from bench.report import table

        print(table())
    elif args.command == "load":
        from bench.load import run_load

        return run_load(seconds=args.seconds, workers=args.workers)
    elif args.command == "all":
        from bench.http_bench import run_http
        from bench.issue import run_issue
        from bench.load import run_load
        from bench.seed_command import seed_database

        databases = [name for name in _targets(args.db) if _reachable(name)]
        for name in databases:
            seed_database(name)
        run_issue(10_000, "sqlite")
        run_http(databases, seconds=args.seconds)
        if "postgresql" in databases:
            return run_load()
    return 0


if __name__ == "__main__":
    sys.exit(main())
