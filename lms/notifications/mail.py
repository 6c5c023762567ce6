"""Outgoing e-mail, stored in the outbox with the transaction that caused it and sent only
after that transaction commits; the retry job sends what the mail server refused.

`LMS_MAIL_URL` chooses the transport: `log://` (the default) writes each message to the log;
`smtp://user:pass@host:port` sends through an SMTP server (`?starttls=1` or `smtps://` for TLS).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy import event, orm

from lms.db import db, utcnow
from lms.notifications.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)
OUTBOX_KEY = "lms_outbox"


#: Delays before the 1st, 2nd, ... retry; the last one repeats until MAX_ATTEMPTS.
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
#: After this many failed attempts a message is marked failed and left for an admin to see.
MAX_ATTEMPTS = 8
#: The retry job leaves a new message alone this long: its first try happens after the commit.
FIRST_TRY_GRACE = dt.timedelta(minutes=2)
#: Errors that mean "the mail server did not take it" (and are worth retrying).
DELIVERY_ERRORS = (OSError, smtplib.SMTPException)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None


def queue_mail(to: str, subject: str, template: str, **context: Any) -> Mail:
    """Render `mail/<template>.txt` (and `.html` if present), store it in the outbox with the
    current transaction, and send it after the commit."""
    text = render_template(f"mail/{template}.txt", **context)
    html = None
    loader = current_app.jinja_env.loader
    if loader is not None and f"mail/{template}.html" in loader.list_templates():
        html = render_template(f"mail/{template}.html", **context)
    mail = Mail(to=to, subject=subject, text=text, html=html)
    row = OutboxMessage(
        recipient=to,
        subject=subject[:255],
        text=text,
        html=html,
        next_attempt_at=utcnow() + FIRST_TRY_GRACE,
    )
    db.session.add(row)
    db.session.info.setdefault(OUTBOX_KEY, []).append(row)
    return mail


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return dt.timedelta(minutes=BACKOFF_MINUTES[index])


def as_mail(row: OutboxMessage) -> Mail:
    return Mail(to=row.recipient, subject=row.subject, text=row.text, html=row.html)


def attempt(mail: Mail, attempts_before: int, now: dt.datetime) -> dict[str, Any]:
    """Try to deliver one outbox message; return the column values that record the outcome."""
    attempts = attempts_before + 1
    try:
        deliver(mail)
    except DELIVERY_ERRORS as error:
        log.warning("Could not deliver mail to %s (attempt %d): %s", mail.to, attempts, error)
        state = OutboxState.FAILED if attempts >= MAX_ATTEMPTS else OutboxState.PENDING
        return {
            "attempts": attempts,
            "state": state,
            "last_error": f"{type(error).__name__}: {error}"[:1000],
            "next_attempt_at": now + backoff(attempts),
        }
    return {"attempts": attempts, "state": OutboxState.SENT, "sent_at": now, "last_error": ""}


@event.listens_for(orm.Session, "after_commit")
def _send_after_commit(session: orm.Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the real commit is still to come
    queued: list[Any] = session.info.pop(OUTBOX_KEY, [])
    pending = [item for item in queued if isinstance(item, tuple)]
    if not pending:
        return
    now = utcnow()
    outcomes = [(row_id, attempt(mail, 0, now)) for row_id, mail in pending]
    _record(session.get_bind(), outcomes)


@event.listens_for(orm.Session, "after_flush_postexec")
def _remember_flushed(session: orm.Session, flush_context: Any) -> None:
    """Keep id and content of flushed outbox rows: after the commit they are expired and the
    session can no longer load them."""
    queued: list[Any] = session.info.get(OUTBOX_KEY, [])
    for index, item in enumerate(queued):
        if isinstance(item, OutboxMessage) and item.id is not None:
            queued[index] = (item.id, as_mail(item))


def _record(bind: sa.Engine | sa.Connection, outcomes: list[tuple[int, dict[str, Any]]]) -> None:
    """Store delivery outcomes in a transaction of their own (the session's has ended)."""
    table = OutboxMessage.__table__

    def write(connection: sa.Connection) -> None:
        for row_id, values in outcomes:
            connection.execute(sa.update(table).where(table.c.id == row_id).values(**values))

    if isinstance(bind, sa.Connection):  # tests: a connection inside an outer transaction
        with bind.begin_nested():
            write(bind)
    else:
        with bind.begin() as connection:
            write(connection)


@event.listens_for(orm.Session, "after_soft_rollback")
def _drop_after_rollback(session: orm.Session, previous: orm.SessionTransaction) -> None:
    if not previous.nested:
        session.info.pop(OUTBOX_KEY, None)


def deliver(mail: Mail) -> None:
    """Send one message through the configured transport."""
    url = current_app.config["MAIL_URL"]
    message = _build(mail)
    parts = urlsplit(url)
    if parts.scheme == "log":
        log.info("Mail to %s: %s\n%s", mail.to, mail.subject, mail.text)
        return
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError(f"LMS_MAIL_URL scheme {parts.scheme!r} is not log, smtp or smtps")
    options = parse_qs(parts.query)
    host, port = parts.hostname or "localhost", parts.port
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=20, context=context)
    else:
        client = smtplib.SMTP(host, port or 25, timeout=20)
    with client:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in {"1", "true"}:
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _build(mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="lms.local")
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message
