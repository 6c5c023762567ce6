"""The lock row each scheduled job takes, and what its last run did."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import db


class JobLock(db.Model):
    """One row per job: held while a process runs the job (a lease that ends by itself)."""

    __tablename__ = "job_locks"

    name: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    #: Host and process holding the lock, or "" when free.
    owner: orm.Mapped[str] = orm.mapped_column(sa.String(200), default="")
    #: The lock is free after this moment even if its holder crashed.
    locked_until: orm.Mapped[dt.datetime | None]
    last_started_at: orm.Mapped[dt.datetime | None]
    last_finished_at: orm.Mapped[dt.datetime | None]
    #: A short summary of the last run ("3 sent"), or the error.
    last_result: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")

    def __repr__(self) -> str:
        return f"<JobLock {self.name} owner={self.owner!r}>"
