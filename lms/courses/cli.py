"""`lms courses validate|import [PATH]`"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.courses.content import load_content
from lms.db import db

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "courses"


@click.group()
def courses() -> None:
    """Check and load course content."""


def _path_argument(function):  # type: ignore[no-untyped-def]
    return click.argument(
        "path",
        required=False,
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_PATH,
    )(function)


@courses.command("validate")
@_path_argument
def validate(path: Path) -> None:
    """Check course folders and report every problem with file and line; change nothing."""
    specs, problems = load_content(path)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(
            f"{len(problems)} problem(s) found in {path}. Fix them and validate again."
        )
    lessons = sum(len(m.lessons) for spec in specs for m in spec.modules)
    click.echo(f"OK: {len(specs)} course(s), {lessons} lessons, no problems in {path}.")


@courses.command("import")
@_path_argument
@with_appcontext
def import_(path: Path) -> None:
    """Validate, then load course content (safe to repeat; progress is kept)."""
    from lms.courses.services import ContentError, import_path

    started = time.perf_counter()
    specs, _problems = load_content(path)
    try:
        with click.progressbar(length=max(len(specs), 1), label="Importing courses") as bar:
            summary = import_path(path, on_course=lambda slug: bar.update(1))
    except ContentError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s): nothing was imported. Run "
            f"'lms courses validate {path}' after fixing them."
        ) from None
    db.session.commit()
    seconds = time.perf_counter() - started
    click.echo(
        f"Imported {len(summary.courses)} course(s) in {seconds:.1f} s: "
        f"{len(summary.new_versions)} with new content, {len(summary.unchanged)} unchanged."
    )
