"""The `lms` command line: a Flask CLI group, so `lms run`, `lms routes` and `lms shell` work."""

from __future__ import annotations

import copy
import functools
import socket
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException, run_command, with_appcontext

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
        if name == "run":
            return _run_on_a_free_port
        if name == "db":
            from flask_migrate.cli import db as database_commands

            return database_commands
        return super().get_command(ctx, name)


def port_is_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port (as the server would bind it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return False  # an unknown host: the server's own message says so
    family, kind, protocol, _name, address = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return True
    return False


def _checked_run() -> click.Command:
    """Flask's `run`, which first says in one line when the port is taken and how to choose
    another (instead of starting the app and its scheduler, then failing to bind)."""
    command = copy.copy(run_command)
    serve_app = run_command.callback
    if serve_app is None:  # pragma: no cover (Flask's run always has one)
        return run_command

    @functools.wraps(serve_app)
    def callback(*args: object, **options: object) -> object:
        host, port = str(options["host"]), int(str(options["port"]))
        if port_is_taken(host, port):
            click.echo(
                f"Error: port {port} on {host} is already in use; stop what uses it or choose "
                f"another port: make run PORT={port + 1} (or lms run --port {port + 1}).",
                err=True,
            )
            sys.exit(1)
        return serve_app(*args, **options)

    command.callback = callback
    return command


_run_on_a_free_port = _checked_run()


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
