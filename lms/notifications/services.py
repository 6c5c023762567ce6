"""Telling people about events: in-app, and by e-mail through the outbox."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.db import db, utcnow
from lms.i18n import speaking_to
from lms.messages import Message, english_of, to_json_value
from lms.notifications.mail import queue_mail
from lms.notifications.models import (
    Notification,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
    SentNotification,
)


class Category(enum.StrEnum):
    """Optional kinds of message a person may turn off; security mails have no category."""

    REMINDERS = "reminders"
    DIGESTS = "digests"


def notify(
    user_id: int,
    kind: str,
    title: Message | str,
    body: Message | Sequence[Message] | str = "",
    link: str = "",
    *,
    email: bool = True,
) -> Notification:
    """Add an in-app notification to the current transaction, and (by default) an e-mail
    with the same news and a link back, sent after the commit.

    A `Message` title (and body) is kept by id and shown in the reader's language whenever
    it is read; a text body is someone's own words, shown as written; a text title is kept as
    it is (for callers that have no message id yet).
    """
    note = Notification(user_id=user_id, kind=kind, link=link[:500])
    if isinstance(title, Message):
        params = title.to_json()["params"]
        if not isinstance(body, str):
            params["body"] = to_json_value(_lines(body))
        note.message_id, note.params = title.id, params
        note.title = title.english()[:255]
    else:
        note.title = title[:255]
    note.body = body if isinstance(body, str) else english_of(_lines(body))
    db.session.add(note)
    user = db.session.get(User, user_id) if email else None
    if user is not None and user.active:
        url = current_app.config["BASE_URL"] + link if link.startswith("/") else link
        with speaking_to(user):  # the reader's language, whoever caused the news
            subject, text = note.title_shown(), note.body_shown()
            queue_mail(
                user.email, subject, "notification", user=user, title=subject, body=text, url=url
            )
    return note


def _lines(body: Message | Sequence[Message]) -> Message | list[Message]:
    return body if isinstance(body, Message) else list(body)


def wants(user_id: int, category: Category) -> bool:
    """Whether a person still receives this optional kind of message."""
    row = db.session.get(NotificationPreference, user_id)
    return row is None or bool(getattr(row, category.value))


def preferences(user_id: int) -> NotificationPreference:
    """The person's preferences (defaults when never saved; not added to the session)."""
    row = db.session.get(NotificationPreference, user_id)
    return row or NotificationPreference(user_id=user_id, reminders=True, digests=True)


def set_preferences(user: User, *, reminders: bool, digests: bool) -> NotificationPreference:
    """Turn reminders and digests on or off for `user`."""
    from lms.audit import services as audit

    row = db.session.get(NotificationPreference, user.id)
    if row is None:
        row = NotificationPreference(user_id=user.id)
        db.session.add(row)
    row.reminders, row.digests = reminders, digests
    db.session.flush()
    audit.record(
        "notifications.preferences",
        "users",
        user.id,
        actor=user,
        reminders=reminders,
        digests=digests,
    )
    return row


def claim(kind: str, user_id: int, subject: str, threshold: str) -> bool:
    """Record in the ledger that this message is being sent; False if it already was.

    The unique key decides: a concurrent scheduler inserting the same row waits for the other
    transaction and then fails here, so the message goes out once.
    """
    entry = SentNotification(
        kind=kind, user_id=user_id, subject=subject[:128], threshold=threshold, created_at=utcnow()
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        return False
    return True


def already_sent(kind: str, user_id: int, subject: str, threshold: str) -> bool:
    return (
        db.session.scalar(
            sa.select(SentNotification.id).where(
                SentNotification.kind == kind,
                SentNotification.user_id == user_id,
                SentNotification.subject == subject,
                SentNotification.threshold == threshold,
            )
        )
        is not None
    )


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


def undelivered(limit: int = 200) -> list[OutboxMessage]:
    """Outgoing e-mails that are pending or failed, failed first, then oldest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.state != OutboxState.SENT)
            .order_by(
                (OutboxMessage.state == OutboxState.FAILED).desc(),
                OutboxMessage.created_at,
                OutboxMessage.id,
            )
            .limit(limit)
        )
    )
