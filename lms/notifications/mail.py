"""Outgoing e-mail, sent only after the database transaction that caused it commits.

`LMS_MAIL_URL` chooses the transport: `log://` (the default) writes each message to the log;
`smtp://user:pass@host:port` sends through an SMTP server (`?starttls=1` or `smtps://` for TLS).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, render_template
from sqlalchemy import event, orm

from lms.db import db

log = logging.getLogger(__name__)
OUTBOX_KEY = "lms_outbox"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None


def queue_mail(to: str, subject: str, template: str, **context: Any) -> Mail:
    """Render `mail/<template>.txt` (and `.html` if present) and send it after the commit."""
    text = render_template(f"mail/{template}.txt", **context)
    html = None
    loader = current_app.jinja_env.loader
    if loader is not None and f"mail/{template}.html" in loader.list_templates():
        html = render_template(f"mail/{template}.html", **context)
    mail = Mail(to=to, subject=subject, text=text, html=html)
    db.session.info.setdefault(OUTBOX_KEY, []).append(mail)
    return mail


@event.listens_for(orm.Session, "after_commit")
def _send_after_commit(session: orm.Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the real commit is still to come
    outbox: list[Mail] = session.info.pop(OUTBOX_KEY, [])
    for mail in outbox:
        try:
            deliver(mail)
        except (OSError, smtplib.SMTPException):
            log.exception("Could not deliver mail %r to %s", mail.subject, mail.to)


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
