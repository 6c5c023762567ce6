"""`lms backup PATH` and `lms restore PATH`."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from lms.backup import services


class _Bar:
    """One click progress bar per phase (tables, rows, uploads), shown on stderr."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.bar = None
        self.shown = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase = phase
            self.bar = click.progressbar(length=max(total, 1), label=phase.capitalize(), file=None)
            self.bar.__enter__()
            self.shown = 0
        if self.bar is not None:
            self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
def backup(path: Path) -> None:
    """Write the database and the uploaded files into one archive file at PATH."""
    if path.exists():
        raise click.ClickException(f"{path} exists already. Choose a new file name.")
    started = time.perf_counter()
    bar = _Bar()
    try:
        summary = services.backup(path, bar)
    except services.BackupError as error:
        raise click.ClickException(f"{error} No backup was written.") from None
    except OSError as error:
        raise click.ClickException(f"Cannot write the backup: {error}") from None
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"Cannot read the database ({error.__class__.__name__}). Check LMS_DATABASE_URL "
            "and that the database is reachable. No backup was written."
        ) from None
    finally:
        bar.close()
    click.echo(
        f"Backed up {summary.rows} rows in {summary.tables} tables and {summary.files} files "
        f"(schema {summary.revision or 'not migrated'}) to {path} "
        f"in {time.perf_counter() - started:.1f} s."
    )


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@with_appcontext
def restore(path: Path) -> None:
    """Load a backup made by 'lms backup' onto an empty database and upload folder."""
    started = time.perf_counter()
    bar = _Bar()
    try:
        summary = services.restore(path, bar)
    except services.BackupError as error:
        raise click.ClickException(f"{error} Nothing was restored.") from None
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"The database refused the data ({error.__class__.__name__}: "
            f"{str(error.orig if hasattr(error, 'orig') else error)[:200]}). "
            "Nothing was restored."
        ) from None
    finally:
        bar.close()
    click.echo(
        f"Restored {summary.rows} rows in {summary.tables} tables and {summary.files} files "
        f"(schema {summary.revision}) from {path} in {time.perf_counter() - started:.1f} s."
    )
