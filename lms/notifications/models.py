"""In-app notifications: what a person should see next time they look."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import db, utcnow


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_unread", "user_id", "read_at"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: What happened, e.g. "grade_released", "submission_returned".
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    title: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    body: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    #: A path inside the site to open.
    link: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)
    read_at: orm.Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"
