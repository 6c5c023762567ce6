"""The audit trail: an append-only record of who did what, when, and what changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from lms.audit import triggers
from lms.db import db, utcnow


class AuditEvent(db.Model):
    """One recorded action. Rows are only ever inserted (see audit.services)."""

    __tablename__ = "audit_events"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)
    #: Who acted; None for the system (scheduler, command line).
    actor_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Dotted action name, e.g. "user.invited", "grade.changed".
    action: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    #: What the action was about: a table name and a primary key or public id.
    subject_type: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    subject_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    #: Before / after values, reasons and other details.
    data: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON, default=dict)
    request_id: orm.Mapped[str] = orm.mapped_column(sa.String(64), default="")

    actor = orm.relationship("User")

    __table_args__ = (sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.subject_type}:{self.subject_id}>"


triggers.attach(AuditEvent.__table__)
