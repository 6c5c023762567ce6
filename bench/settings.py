"""Where the benchmark keeps its databases and how it configures the app it serves."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
INSTANCE = ROOT / "instance"
BASE_URL = "http://127.0.0.1:5000"
PASSWORD = "bench-password-1234"  # noqa: S105 (the made-up accounts of the dataset)
ADMIN_EMAIL = "bench-admin@example.org"

DATABASES = {
    "sqlite": f"sqlite:///{INSTANCE / 'bench.sqlite3'}",
    "postgresql": os.environ.get(
        "LMS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/lms_bench"
    ),
}


def scratch_url(database: str, name: str) -> str:
    """A database of its own for a step that empties it (`name`: bench-issue, bench-import),
    so that the seeded dataset stays as it is: a SQLite file beside it, or a PostgreSQL
    database on the same server."""
    if database == "sqlite":
        return f"sqlite:///{INSTANCE / f'{name}.sqlite3'}"
    base, _slash, _name = DATABASES["postgresql"].rpartition("/")
    return f"{base}/{name.replace('-', '_')}"


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The `LMS_*` settings of the benchmarked app (seeding and serving use the same ones)."""
    env = {
        "LMS_DATABASE_URL": database_url,
        "LMS_BASE_URL": BASE_URL,
        "LMS_SECRET_KEY": "bench-secret-key-not-for-production-use-0123456789",
        "LMS_SIGNING_KEY_PASSPHRASE": "bench-signing-passphrase",
        "LMS_RUN_SCHEDULER": "false",
        "LMS_RATELIMIT_ENABLED": "false",
        "LMS_MAIL_URL": "log://",
        "LMS_DOTENV": "/nonexistent/.env",
        # The benchmark's admin logs in with a password only (no second factor to script).
        "LMS_ADMIN_REQUIRE_2FA": "false",
    }
    env.update(extra)
    return env


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database if it does not exist yet."""
    import psycopg

    base, _slash, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
