"""Scheduled jobs of certificates: expiry, and reminders before it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.certificates import services
from lms.certificates.models import Certificate, CertificateStatus
from lms.db import db
from lms.i18n import speaking_to
from lms.messages import Message
from lms.notifications import services as notifications
from lms.notifications.mail import queue_mail
from lms.urls import absolute_url

#: Days before expiry at which the holder is reminded, largest first.
REMINDER_DAYS = (90, 30, 7)


def expire_certificates(now: dt.datetime) -> str:
    """Mark valid certificates whose validity ended as expired (with an audit entry each)."""
    return _("%(n)d expired", n=services.expire_due(now))


def reminder_threshold(expires_at: dt.datetime, now: dt.datetime) -> int | None:
    """The smallest reminder threshold (in days) reached at `now`, or None (too early, or
    already expired)."""
    left = expires_at - now
    if left <= dt.timedelta(0):
        return None
    reached = [days for days in REMINDER_DAYS if left <= dt.timedelta(days=days)]
    return min(reached) if reached else None


def expiry_reminders(now: dt.datetime) -> str:
    """Remind holders 90, 30 and 7 days before their certificate expires, each once.

    Only the nearest threshold reached is sent: a certificate first seen 20 days before expiry
    gets the 30-day reminder, not the 90-day one as well.
    """
    horizon = now + dt.timedelta(days=max(REMINDER_DAYS))
    due = db.session.scalars(
        sa.select(Certificate)
        .where(
            Certificate.status == CertificateStatus.VALID,
            Certificate.expires_at > now,
            Certificate.expires_at <= horizon,
        )
        .order_by(Certificate.id)
    )
    sent = 0
    for certificate in due:
        days = reminder_threshold(certificate.expires_at, now)  # type: ignore[arg-type]
        holder = certificate.user
        if days is None or not holder.active:
            continue
        if not notifications.wants(holder.id, notifications.Category.REMINDERS):
            continue
        if not notifications.claim(
            "certificate_expiring", holder.id, certificate.public_id, f"{days}d"
        ):
            continue
        _remind(certificate, days)
        sent += 1
    db.session.flush()
    return ngettext("%(n)d reminder sent", "%(n)d reminders sent", sent, n=sent)


def _remind(certificate: Certificate, days: int) -> None:
    holder, course = certificate.user, certificate.course
    message = Message.of("notification.certificate_expiring", course=course.title, days=days)
    notifications.notify(
        holder.id,
        "certificate_expiring",
        message,
        body=certificate.public_id,
        link=f"/courses/{course.slug}/",
        email=False,
    )
    with speaking_to(holder):  # in the holder's language, not the job's
        title = message.text()
        renew_url = absolute_url("courses.course", course_slug=course.slug)
        queue_mail(
            holder.email,
            title,
            "certificate_expiring",
            user=holder,
            certificate=certificate,
            course=course,
            days=days,
            renew_url=renew_url,
            verify_url=absolute_url("verify.by_id", certificate_id=certificate.public_id),
        )
