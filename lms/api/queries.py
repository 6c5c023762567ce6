"""Reads behind the authenticated API routes: pages of certificates and users, progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from lms.accounts.models import Role, User, UserRole
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.queries import public_summary
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.courses.models import Course, Lesson
from lms.courses.queries import trainees_progress
from lms.db import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


def encode_cursor(last_id: int) -> str:
    """The cursor of the page after `last_id` (clients treat it as opaque)."""
    return str(last_id)


def decode_cursor(cursor: str) -> int | None:
    """The id a cursor continues after, or None for a cursor we did not make."""
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 10:
        return None
    return int(cursor)


def _page(
    query: sa.Select[Any], key: Any, after: int | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page in ascending id order, and the cursor of the next one (None at the end)."""
    if after is not None:
        query = query.where(key > after)
    rows = list(db.session.scalars(query.order_by(key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None


def my_certificates(user: User) -> list[dict[str, Any]]:
    """The holder's certificates, issued ones only, newest first."""
    found = db.session.scalars(
        sa.select(Certificate)
        .where(
            Certificate.user_id == user.id,
            Certificate.status != CertificateStatus.PENDING_APPROVAL,
        )
        .order_by(Certificate.id.desc())
    )
    return [public_summary(certificate) for certificate in found]


def certificates_page(
    *, status: CertificateStatus | None, course: str | None, after: int | None, limit: int
) -> Page:
    """For admins: certificates of any status, filtered, in pages."""
    query = sa.select(Certificate)
    if status is not None:
        query = query.where(Certificate.status == status)
    if course is not None:
        query = query.join(Course, Course.id == Certificate.course_id).where(Course.slug == course)
    rows, cursor = _page(query, Certificate.id, after, limit)
    return Page([admin_summary(certificate) for certificate in rows], cursor)


def admin_summary(certificate: Certificate) -> dict[str, Any]:
    summary = public_summary(certificate)
    summary["holder"] = {
        "id": certificate.user_id,
        "name": certificate.user.name,
        "email": certificate.user.email,
    }
    return summary


def users_page(*, role: Role | None, after: int | None, limit: int) -> Page:
    """For admins: accounts, in pages."""
    query = sa.select(User)
    if role is not None:
        query = query.where(User.id.in_(sa.select(UserRole.user_id).filter_by(role=role)))
    rows, cursor = _page(query, User.id, after, limit)
    return Page([user_json(user) for user in rows], cursor)


def user_json(user: User) -> dict[str, Any]:
    from lms.certificates.credentials import iso

    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": sorted(role.value for role in user.roles),
        "organisation": user.organisation.name if user.organisation else None,
        "active": user.active,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at) if user.last_login_at else None,
    }


def trains(user: User, cohort: Cohort) -> bool:
    return (
        db.session.scalar(
            sa.select(CohortMember.user_id).filter_by(
                cohort_id=cohort.id, user_id=user.id, role=MemberRole.TRAINER
            )
        )
        is not None
    )


def cohort_progress(cohort: Cohort) -> dict[str, Any]:
    """Each trainee of the cohort: required lessons done, and their certificate's status."""
    course = cohort.course
    required = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Lesson)
        .where(
            Lesson.course_id == course.id, Lesson.required.is_(True), Lesson.retired_at.is_(None)
        )
    )
    rows = trainees_progress(course, [cohort.id])
    statuses = dict(
        db.session.execute(
            sa.select(Certificate.user_id, Certificate.status).where(
                Certificate.course_id == course.id,
                Certificate.user_id.in_([user.id for user, _c, _d in rows]),
                Certificate.status.in_([CertificateStatus.VALID, CertificateStatus.SUSPENDED]),
            )
        ).all()
    )
    return {
        "cohort": {"id": cohort.id, "name": cohort.name, "course": course.slug},
        "required_lessons": int(required or 0),
        "trainees": [
            {
                "id": user.id,
                "name": user.name,
                "required_lessons_done": sum(done.values()),
                "certificate_status": statuses[user.id].value if user.id in statuses else None,
            }
            for user, _cohort_id, done in rows
        ],
    }
