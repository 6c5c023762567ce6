"""Issue the certificate when grading announces that a trainee meets the accreditation rule."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lms.accounts.models import User
from lms.courses.models import AccreditationRule, ContentVersion, Course
from lms.db import db
from lms.messages import Message
from lms.notifications.services import notify
from lms.signals import trainee_became_eligible


def on_eligible(sender: Flask, **data: Any) -> None:
    """One valid (or pending) certificate per trainee and course; a repeat signal is a no-op."""
    from lms.certificates import queries, services

    user = db.session.get(User, int(data["user_id"]))
    course = db.session.get(Course, int(data["course_id"]))
    version = db.session.get(ContentVersion, int(data["content_version_id"] or 0))
    if user is None or course is None or version is None:
        return
    if queries.active_certificate(user.id, course.id) is not None:
        return
    pending = course.accreditation == AccreditationRule.APPROVAL
    certificate = services.issue_certificate(
        user, course, version, data["results"], pending=pending
    )
    if pending:
        notify(
            user.id,
            "certificate_pending",
            Message.of("notification.certificate_pending", course=course.title),
            link="/certificates/",
        )
    else:
        notify(
            user.id,
            "certificate_issued",
            Message.of("notification.certificate_issued", course=course.title),
            body=certificate.public_id,
            link="/certificates/",
        )


def connect(app: Flask) -> None:
    trainee_became_eligible.connect(on_eligible, sender=app, weak=False)
