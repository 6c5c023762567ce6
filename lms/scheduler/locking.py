"""A lock per job, so that two schedulers (or a rerun after a crash) never run it at once.

On PostgreSQL a transaction-level advisory lock (released by the commit, or by the server when
the process dies); elsewhere (SQLite) a lease on the job's row in `job_locks`, which ends by
itself after `LEASE` if its holder crashed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import zlib

import sqlalchemy as sa

from lms.db import db
from lms.scheduler.models import JobLock

#: How long a lock row is held at most; longer than any job should take.
LEASE = dt.timedelta(minutes=30)


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def advisory_key(name: str) -> int:
    """A stable 63-bit number for a job name (the key of its PostgreSQL advisory lock)."""
    return zlib.crc32(f"lms-job:{name}".encode()) & 0x7FFFFFFF


def acquire(name: str, now: dt.datetime) -> bool:
    """Take the lock of job `name` inside the current transaction; False if someone holds it."""
    if db.session.get_bind().dialect.name == "postgresql":
        got = db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(advisory_key(name))))
        if not got:
            return False
    _ensure_row(name)
    result = db.session.execute(
        sa.update(JobLock)
        .where(
            JobLock.name == name,
            sa.or_(JobLock.locked_until.is_(None), JobLock.locked_until < now),
        )
        .values(owner=owner_name(), locked_until=now + LEASE, last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(name: str, now: dt.datetime, summary: str) -> None:
    """Free the lock and note the result (in the job's transaction, so both commit together)."""
    db.session.execute(
        sa.update(JobLock)
        .where(JobLock.name == name)
        .values(owner="", locked_until=None, last_finished_at=now, last_result=summary[:500])
        .execution_options(synchronize_session=False)
    )


def _ensure_row(name: str) -> None:
    if db.session.get(JobLock, name) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(JobLock(name=name, owner=""))
    except sa.exc.IntegrityError:
        pass  # another process created it first
