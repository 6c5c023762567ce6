"""The `lms` command line: a Flask CLI group, so `lms run`, `lms routes` and `lms shell` work."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException, with_appcontext

from lms.config import ConfigError
from lms.serve import serve


def _create_app() -> Flask:
    from lms import create_app

    try:
        return create_app()
    except ConfigError as error:
        raise NoAppException(str(error)) from None


class _Commands(FlaskGroup):
    """The app's commands, with Flask-Migrate's `db` group imported only when it is run
    (it imports Alembic, which the other commands never need)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "db"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "db":
            from flask_migrate.cli import db as database_commands

            return database_commands
        return super().get_command(ctx, name)


@click.group(cls=_Commands, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """Training and accreditation for cooperation coaches."""


cli.add_command(serve)  # needs no application in this process: gunicorn's workers build it


def register_commands(app: Flask) -> None:
    """Attach the feature commands to the app, so `lms` and the test runner both see them."""
    from lms.accounts.cli import users
    from lms.backup.cli import backup, restore
    from lms.certificates.cli import certificates, keys
    from lms.courses.cli import courses
    from lms.demo import demo
    from lms.scheduler.cli import scheduler

    for command in (users, courses, demo, keys, certificates, scheduler, backup, restore):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the `lms` console script."""
    try:
        cli.main(prog_name="lms")
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)


__all__ = ["cli", "main", "with_appcontext"]
