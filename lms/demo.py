"""`lms demo`: idempotent demonstration data on a migrated database."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from lms.accounts import services as accounts
from lms.accounts.models import Organisation, Role, User
from lms.db import db

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


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load demonstration data (safe to run again)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("lms demo is for trying the system out; not in production.")
    organisations = [ensure_organisation(*row) for row in ORGANISATIONS]
    for email, name, roles, org_index, password in PEOPLE:
        ensure_user(email, name, roles, organisations[org_index], password)
    db.session.commit()
    base = current_app.config["BASE_URL"]
    click.echo(f"Demo data ready. Open {base}/ and log in as:")
    for email, _name, roles, _org, password in PEOPLE:
        role_names = ", ".join(role.value for role in roles)
        click.echo(f"  {role_names:<8} {email:<24} password: {password}")
