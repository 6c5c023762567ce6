"""Demo graduates: trainees who completed the course and hold certificates in each state."""

from __future__ import annotations

import click

from lms.accounts.models import Organisation, Role, User
from lms.certificates import keys, queries, services
from lms.certificates.models import Certificate, CertificateStatus
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.courses.models import Course
from lms.db import db

GRADUATES = [
    ("ingrid@demo.example", "Ingrid Hansen", "valid"),
    ("luca@demo.example", "Luca Bianchi", "revoked"),
]
REVOCATION_REASON = "Issued in error: the final case study was not the candidate's own work."


def ensure_graduates(
    course: Course, cohort: Cohort, trainer: User, organisation: Organisation, password: str
) -> list[Certificate]:
    """Each graduate reads everything and passes every case study; the certificate follows."""
    from lms.demo import ensure_reading, ensure_user
    from lms.demo_grading import ensure_attempt

    keys.ensure_signing_key()
    certificates = []
    for email, name, state in GRADUATES:
        user = ensure_user(email, name, [Role.TRAINEE], organisation, password)
        if db.session.get(CohortMember, (cohort.id, user.id, MemberRole.TRAINEE)) is None:
            db.session.add(
                CohortMember(cohort_id=cohort.id, user_id=user.id, role=MemberRole.TRAINEE)
            )
            db.session.flush()
        ensure_reading(user, course, 10_000)
        for module in course.modules:
            if module.key_activity_id is not None:
                ensure_attempt(
                    user,
                    module,
                    trainer,
                    levels=4,
                    answer="A complete, well-argued answer to every task.",
                )
        certificate = queries.active_certificate(user.id, course.id) or _latest(user, course)
        if certificate is None:
            continue
        if state == "revoked" and certificate.status == CertificateStatus.VALID:
            services.revoke(certificate, REVOCATION_REASON, None)
        certificates.append(certificate)
    expired = ensure_expired_holder(course, organisation, password)
    if expired is not None:
        certificates.append(expired)
    return certificates


def ensure_expired_holder(
    course: Course, organisation: Organisation, password: str
) -> Certificate | None:
    """A coach accredited in an earlier run of the scheme, whose certificate has expired."""
    import datetime as dt

    from lms.demo import ensure_user

    user = ensure_user("eva@demo.example", "Eva Novak", [Role.TRAINEE], organisation, password)
    existing = _latest(user, course)
    if existing is not None or course.current_version is None:
        return existing
    years = course.validity_years
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(days=365 * years + 45)
    results = [
        {"code": ka["code"], "level": 3} for ka in course.current_version.snapshot["key_activities"]
    ]
    certificate = services.issue_certificate(
        user, course, course.current_version, results, issued_at=issued
    )
    services.expire_due()
    return certificate


def _latest(user: User, course: Course) -> Certificate | None:
    import sqlalchemy as sa

    return db.session.scalar(
        sa.select(Certificate)
        .filter_by(user_id=user.id, course_id=course.id)
        .order_by(Certificate.id.desc())
        .limit(1)
    )


def print_certificates(certificates: list[Certificate]) -> None:
    if not certificates:
        return
    click.echo(f"  graduate {GRADUATES[0][0]:<24} password: demo-extra-pass-2026")
    click.echo("Certificates to verify (no login needed):")
    for certificate in certificates:
        click.echo(
            f"  {certificate.status.value:<9} {certificate.user.name:<16} "
            f"{queries.verify_url(certificate)}"
        )
