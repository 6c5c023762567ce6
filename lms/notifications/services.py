"""Telling people about events: in-app now; e-mail joins in through the mail outbox."""

from __future__ import annotations

import sqlalchemy as sa

from lms.db import db, utcnow
from lms.notifications.models import Notification


def notify(user_id: int, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    """Add an in-app notification to the current transaction."""
    note = Notification(user_id=user_id, kind=kind, title=title[:255], body=body, link=link[:500])
    db.session.add(note)
    return note


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(user_id: int, notification_id: int | None = None) -> None:
    """Mark one notification (or all of a person's) as read."""
    query = sa.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))
