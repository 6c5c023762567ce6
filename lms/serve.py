"""`lms serve`: run the web processes under gunicorn with the project's gunicorn.conf.py."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

#: The settings file beside the package (the repository root).
CONFIG_FILE = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.option("--bind", "-b", metavar="ADDRESS", help="Address to listen on (LMS_BIND).")
@click.option("--workers", "-w", type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), help="Threads per worker.")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(
    bind: str | None, workers: int | None, threads: int | None, gunicorn_args: tuple[str, ...]
) -> None:
    """Serve the application with gunicorn (several workers; reload with kill -HUP).

    Settings come from LMS_BIND, LMS_WEB_WORKERS and LMS_WEB_THREADS unless given here; any
    further arguments go to gunicorn as they are.
    """
    if not CONFIG_FILE.is_file():
        raise click.ClickException(f"{CONFIG_FILE} is missing; it holds the server settings.")
    for name, value in (
        ("LMS_BIND", bind),
        ("LMS_WEB_WORKERS", workers),
        ("LMS_WEB_THREADS", threads),
    ):
        if value is not None:
            os.environ[name] = str(value)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which(
        "gunicorn"
    )
    if gunicorn is None:
        raise click.ClickException("gunicorn is not installed: pip install gunicorn.")
    arguments = [gunicorn, "--config", str(CONFIG_FILE), *gunicorn_args, "lms:create_app()"]
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process, so that a service manager's signals reach gunicorn's master.
    os.execv(gunicorn, arguments)  # noqa: S606 (a fixed program with our own arguments)
