"""`lms users ...`"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from lms.accounts import services
from lms.accounts.models import Organisation, Role
from lms.accounts.services import AccountError
from lms.db import db


@click.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.option("--email", required=True, help="Login e-mail address.")
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="Repeat for several roles.",
)
@click.option("--organisation", default=None, help="Name of an existing organisation.")
@with_appcontext
def create_user(email: str, name: str, roles: tuple[str, ...], organisation: str | None) -> None:
    """Create an account. The password is asked for, or read from standard input."""
    org = None
    if organisation:
        org = db.session.scalar(sa.select(Organisation).filter_by(name=organisation))
        if org is None:
            raise click.ClickException(f"No organisation named {organisation!r}.")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = services.create_user(
            email, name, [Role(r) for r in roles], organisation=org, password=password
        )
    except AccountError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(roles))}).")
