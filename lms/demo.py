"""`lms demo`: idempotent demonstration data on a migrated database."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from lms.accounts import services as accounts
from lms.accounts.models import Organisation, Role, User
from lms.auth import two_factor
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember, MemberRole
from lms.courses.cli import DEFAULT_PATH
from lms.courses.models import Course
from lms.courses.services import import_path, set_lesson_completed
from lms.db import db, utcnow
from lms.demo_certificates import ensure_graduates, print_certificates

ORGANISATIONS = [
    ("Innovationsagentur Sachsen-Anhalt", "DE", "Saxony-Anhalt"),
    ("Agence Régionale d'Innovation Grand Est", "FR", "Grand Est"),
    ("InnoCoach Schweiz", "CH", "Zurich"),
]

#: Demo logins. They are printed for the person trying the system out; `lms demo` refuses to
#: run in production, so these never guard real data.
PEOPLE = [
    ("admin@demo.example", "Alex Admin", [Role.ADMIN], 2, "demo-admin-pass-2026"),
    ("trainer@demo.example", "Tamara Trainer", [Role.TRAINER], 0, "demo-trainer-pass-2026"),
    ("trainee@demo.example", "Theo Trainee", [Role.TRAINEE], 0, "demo-trainee-pass-2026"),
    ("trainee2@demo.example", "Chloé Dubois", [Role.TRAINEE], 1, "demo-trainee-pass-2026"),
]
#: More trainees and a second trainer, so that queues and progress look like a real cohort.
EXTRA_PEOPLE = [
    ("marta@demo.example", "Marta Kowalski", [Role.TRAINEE], 0),
    ("jonas@demo.example", "Jonas Weber", [Role.TRAINEE], 0),
    ("pieter@demo.example", "Pieter de Vries", [Role.TRAINEE], 2),
    ("second.trainer@demo.example", "Sven Second", [Role.TRAINER], 1),
]


def ensure_organisation(name: str, country: str, region: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).filter_by(name=name))
    if org is None:
        org = Organisation(name=name, country=country, region=region)
        db.session.add(org)
        db.session.flush()
    return org


def ensure_user(
    email: str, name: str, roles: list[Role], organisation: Organisation, password: str
) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        user = accounts.create_user(
            email, name, roles, organisation=organisation, password=password
        )
    return user


def ensure_cohort(course: Course, name: str, members: list[tuple[User, MemberRole]]) -> Cohort:
    """A cohort that started a month ago and ends in five months, with module deadlines."""
    cohort = db.session.scalar(sa.select(Cohort).filter_by(course_id=course.id, name=name))
    if cohort is None:
        today = utcnow().date()
        cohort = Cohort(
            course_id=course.id,
            name=name,
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=150),
        )
        db.session.add(cohort)
        db.session.flush()
        assessed = [m for m in course.modules if m.key_activity_id is not None]
        for index, module in enumerate(assessed, start=1):
            due = dt.datetime.combine(today + dt.timedelta(days=21 * index), dt.time(17), dt.UTC)
            db.session.add(CohortDeadline(cohort_id=cohort.id, module_id=module.id, due_at=due))
    enrolled = {(m.user_id, m.role) for m in cohort.members}
    for user, role in members:
        if (user.id, role) not in enrolled:
            db.session.add(
                CohortMember(
                    cohort_id=cohort.id, user_id=user.id, role=role, lead=role == MemberRole.TRAINER
                )
            )
    db.session.flush()
    return cohort


def ensure_reading(user: User, course: Course, lessons: int) -> None:
    """Mark the first `lessons` lessons of a course as read, so progress shows."""
    ordered = [lesson for module in course.modules for lesson in module.lessons]
    for lesson in ordered[:lessons]:
        set_lesson_completed(user.id, lesson, True)


@click.command("demo")
@click.option(
    "--migrate",
    is_flag=True,
    help="Apply the migrations first, as `lms db upgrade` does (one start instead of two).",
)
@with_appcontext
def demo(migrate: bool) -> None:
    """Load demonstration data (safe to run again)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("lms demo is for trying the system out; not in production.")
    if migrate:
        from flask_migrate import upgrade

        upgrade()
    import_path(DEFAULT_PATH, skip_if_unchanged=True)
    certificates: list = []  # type: ignore[type-arg]
    organisations = [ensure_organisation(*row) for row in ORGANISATIONS]
    people = [
        ensure_user(email, name, roles, organisations[org_index], password)
        for email, name, roles, org_index, password in PEOPLE
    ]
    admin, trainer, trainee, trainee2 = people
    admin_secret, admin_codes = ensure_two_factor(admin)
    marta, jonas, pieter, second = [
        ensure_user(email, name, roles, organisations[org_index], "demo-extra-pass-2026")
        for email, name, roles, org_index in EXTRA_PEOPLE
    ]
    cohort_people = [
        (trainer, MemberRole.TRAINER),
        (second, MemberRole.TRAINER),
        (trainee, MemberRole.TRAINEE),
        (trainee2, MemberRole.TRAINEE),
        (marta, MemberRole.TRAINEE),
        (jonas, MemberRole.TRAINEE),
        (pieter, MemberRole.TRAINEE),
    ]
    for slug, name in (
        ("accredited-cooperation-coach", "Cooperation Coaches 2027 · Group A"),
        ("open-innovation-for-smes", "Open Innovation 2027 · Group A"),
    ):
        course = db.session.scalar(sa.select(Course).filter_by(slug=slug))
        if course is not None:
            ensure_cohort(course, name, cohort_people)
    coaching = db.session.scalar(sa.select(Course).filter_by(slug="accredited-cooperation-coach"))
    if coaching is not None:
        ensure_reading(trainee, coaching, 6)
        ensure_reading(trainee2, coaching, 3)
        ensure_reading(jonas, coaching, 8)
        ensure_reading(pieter, coaching, 2)
        demo_grading(coaching, trainer, second, trainee, trainee2, jonas, pieter, marta)
        cohort = db.session.scalar(sa.select(Cohort).filter_by(course_id=coaching.id))
        certificates = ensure_graduates(
            coaching, cohort, trainer, organisations[1], "demo-extra-pass-2026"
        )
    db.session.commit()
    base = current_app.config["BASE_URL"]
    click.echo(f"Demo data ready. Open {base}/ and log in as:")
    for email, _name, roles, _org, password in PEOPLE:
        role_names = ", ".join(role.value for role in roles)
        click.echo(f"  {role_names:<8} {email:<24} password: {password}")
    print_certificates(certificates)
    print_two_factor(admin, admin_secret, admin_codes)


def ensure_two_factor(user: User) -> tuple[bytes, list[str]]:
    """Enrol the demo admin in two-factor authentication (admins must use it) with a secret
    made now, and give them fresh recovery codes, so that both can be printed."""
    secret = two_factor.user_secret(user)
    if secret is None:
        if user.has_two_factor:  # enrolled under another SECRET_KEY: start again
            two_factor.disable(user, actor=None)
        secret = two_factor.new_secret()
        previous = two_factor.code_at(secret, two_factor.current_step() - 1)
        return secret, two_factor.enable(user, secret, previous)
    return secret, two_factor.regenerate_recovery_codes(user)


def print_two_factor(user: User, secret: bytes, codes: list[str]) -> None:
    click.echo("The admin also needs a code after the password (two-factor authentication):")
    click.echo(f"  the current code:  .venv/bin/lms two-factor code {user.email}")
    click.echo(f"  or add this key to an authenticator app: {two_factor.secret_text(secret)}")
    click.echo(f"  ({two_factor.provisioning_uri(user, secret)})")
    click.echo("  or use a recovery code (each works once):")
    click.echo(f"    {' '.join(codes[:5])}")
    click.echo(f"    {' '.join(codes[5:])}")


def demo_grading(
    course: Course,
    trainer: User,
    second: User,
    theo: User,
    chloe: User,
    jonas: User,
    pieter: User,
    marta: User,
) -> None:
    """Attempts in every state: passed, failed, returned, in review and waiting."""
    from lms.demo_grading import ensure_attempt

    by_slug = {m.slug: m for m in course.modules}
    awareness, partnership = by_slug["awareness"], by_slug["strategic-partnership"]
    ensure_attempt(theo, awareness, trainer, levels=4, answer=ANSWERS["theo-ka1"], waited_hours=30)
    ensure_attempt(theo, partnership, None, answer=ANSWERS["theo-ka2"], waited_hours=52)
    ensure_attempt(chloe, awareness, trainer, levels=1, answer=ANSWERS["weak"], waited_hours=20)
    ensure_attempt(
        jonas,
        awareness,
        trainer,
        levels=None,
        answer=ANSWERS["jonas-ka1"],
        claim_only=True,
        waited_hours=200,
    )
    ensure_attempt(
        pieter,
        awareness,
        trainer,
        answer=ANSWERS["weak"],
        return_reason="Task 3 (the conversation plan) is missing. Add it and resubmit.",
    )
    ensure_attempt(
        marta,
        awareness,
        second,
        levels=3,
        answer=ANSWERS["theo-ka1"],
        waited_hours=8,
        second_marker=trainer,
    )


ANSWERS = {
    "theo-ka1": (
        "## Opportunities in Ruggeri's business system\n\n"
        "1. **Shelf life** of fresh pasta limits export; a modified-atmosphere packaging "
        "partner would open German retail.\n2. **Production data**: the line's sensors are "
        "unused; a university partner could model waste.\n\n## The case for partnering\n\n"
        "Benefits, costs and risks are set out in the table below, with the owner's two "
        "objections answered honestly.\n\n| | Go alone | Partner |\n|---|---|---|\n"
        "| Time to market | 30 months | 14 months |\n| Cash needed | EUR 400k | EUR 150k |\n"
    ),
    "theo-ka2": (
        "## A shared vision\n\nOptoStrain, the turbine operator and the research institute "
        "share one aim: fibre-optic strain sensing that cuts blade inspection costs by a third.\n"
    ),
    "jonas-ka1": "## First conversation\n\nI would start with the owner's own growth plans...\n",
    "weak": "Partnering is good for SMEs because it brings innovation.\n",
}
