"""In-app notifications: what a person should see next time they look."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import db, enum_column, utcnow


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_unread", "user_id", "read_at"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: What happened, e.g. "grade_released", "submission_returned".
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    #: In English (lms.messages' stable text); what rows written before `message_id` show.
    title: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    #: Someone's own words (a revocation reason) are kept here only, shown as written.
    body: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    #: The title's lms.messages id, shown in the reader's language; None on older rows.
    message_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    #: The title's parameters (Message.to_json()); a "body" parameter holds the body's message.
    params: orm.Mapped[dict[str, Any] | None] = orm.mapped_column(sa.JSON)
    #: A path inside the site to open.
    link: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)
    read_at: orm.Mapped[dt.datetime | None]

    def title_shown(self) -> str:
        """The title in the reader's language (older rows: as written)."""
        from lms.messages import Message

        if self.message_id is None:
            return self.title
        return Message.from_json({"id": self.message_id, "params": self.params}).text()

    def body_shown(self) -> str:
        """The body in the reader's language when it is a message, else as written."""
        from lms.messages import Message, text_of

        if self.message_id is None or "body" not in (self.params or {}):
            return self.body
        message = Message.from_json({"id": self.message_id, "params": self.params})
        return text_of(message.values["body"])

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """An e-mail written in the same transaction as the event that caused it.

    Sent right after the commit; if the mail server refuses, the retry job tries again later
    with a growing delay, so a failing server never loses a message.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "state", "next_attempt_at"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    recipient: orm.Mapped[str] = orm.mapped_column(sa.String(254))
    subject: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    text: orm.Mapped[str] = orm.mapped_column(sa.Text)
    html: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    state: orm.Mapped[OutboxState] = orm.mapped_column(
        enum_column(OutboxState), default=OutboxState.PENDING
    )
    #: Delivery attempts made so far.
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    #: When the retry job may try (again); the first try happens right after the commit.
    next_attempt_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)
    last_error: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)
    sent_at: orm.Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.state.value} attempts={self.attempts}>"


class SentNotification(db.Model):
    """The ledger of scheduled messages: one row per (kind, recipient, subject, threshold).

    The unique key makes every reminder go out at most once, whoever runs the job and however
    often.
    """

    __tablename__ = "sent_notifications"
    __table_args__ = (sa.UniqueConstraint("kind", "user_id", "subject", "threshold"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    #: e.g. "certificate_expiring", "deadline_reminder", "grading_backlog", "weekly_digest".
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: What the message is about, e.g. a certificate id or "cohort:3:module:7".
    subject: orm.Mapped[str] = orm.mapped_column(sa.String(128))
    #: Which reminder of several, e.g. "90d", "1d", "2026-W47".
    threshold: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SentNotification {self.kind} user={self.user_id} {self.subject} {self.threshold}>"


class NotificationPreference(db.Model):
    """What optional messages a person wants; no row means everything is on."""

    __tablename__ = "notification_preferences"

    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: Expiry, deadline and grading-backlog reminders.
    reminders: orm.Mapped[bool] = orm.mapped_column(default=True)
    #: The weekly digest (admins).
    digests: orm.Mapped[bool] = orm.mapped_column(default=True)

    def title_shown(self) -> str:
        """The title in the reader's language (older rows: as written)."""
        from lms.messages import Message

        if self.message_id is None:
            return self.title
        return Message.from_json({"id": self.message_id, "params": self.params}).text()

    def body_shown(self) -> str:
        """The body in the reader's language when it is a message, else as written."""
        from lms.messages import Message

        body = (self.params or {}).get("body") if self.message_id else None
        if isinstance(body, dict) and "message" in body:
            return Message.from_json(body["message"]).text()
        if isinstance(body, list):
            return "\n".join(
                Message.from_json(line["message"]).text()
                for line in body
                if isinstance(line, dict) and "message" in line
            )
        return self.body

    def __repr__(self) -> str:
        return f"<NotificationPreference user={self.user_id}>"
