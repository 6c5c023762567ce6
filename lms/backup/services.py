"""Back up everything the service holds into one file, and restore it onto empty storage.

The archive is a ZIP file:

- `manifest.json`: format version, when it was made, the schema (Alembic) revision, row counts
  per table and the SHA-256 of every upload;
- `tables/<name>.jsonl`: the rows of each table in `db.metadata`, one JSON object per line, in
  primary-key order; tables follow foreign-key order, so restoring them in the archive's order
  never points at a row that is not there yet. Values are portable JSON: datetimes as ISO 8601
  with their UTC offset, dates as ISO dates, bytes as base64, decimals as strings, enums by
  their stored value, JSON columns as they are;
- `uploads/<stored path>`: the attachment files, byte for byte.

Signing keys are rows (their private halves still encrypted with the signing passphrase), so the
server that restores needs the same `LMS_SIGNING_KEY_PASSPHRASE` to sign again; verifying needs
only the public halves. Restoring is refused unless the database and the upload folder are empty:
a backup is never merged into live data.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lms.db import db

FORMAT = "lms-backup"
FORMAT_VERSION = 1
BATCH = 500

#: Told how far the work has got: (what, done so far, total).
Progress = Callable[[str, int, int], None]


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class Summary:
    tables: int = 0
    rows: int = 0
    files: int = 0
    revision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _quiet(what: str, done: int, total: int) -> None:
    return None


# --- values ---------------------------------------------------------------------------------


def _kind(column: sa.Column[Any]) -> str:
    column_type = column.type
    if isinstance(column_type, sa.types.TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.Enum):
        return "enum"
    if isinstance(column_type, sa.JSON):
        return "json"
    if isinstance(column_type, sa.LargeBinary):
        return "bytes"
    if isinstance(column_type, sa.DateTime):
        return "datetime"
    if isinstance(column_type, sa.Date):
        return "date"
    if isinstance(column_type, sa.Time):
        return "time"
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return "decimal"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind in {"datetime", "date", "time"}:
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "enum" and isinstance(value, enum.Enum):
        return value.value
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "datetime":
        moment = dt.datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    return value


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


def current_revision(connection: sa.Connection) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    """The newest migration this code knows."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


# --- backup ---------------------------------------------------------------------------------


def _upload_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(
        path for path in root.rglob("*") if path.is_file() and not path.name.endswith(".part")
    )


def _rows(connection: sa.Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    kinds = {column.name: _kind(column) for column in table.columns}
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(yield_per=BATCH).execute(
        sa.select(table).order_by(*order)
    )
    for row in result.mappings():
        yield {name: _encode(kinds[name], row[name]) for name in kinds}


def backup(path: Path, progress: Progress = _quiet) -> Summary:
    """Write the whole database and every upload into one archive at `path`.

    The rows are read in one repeatable-read transaction (a consistent snapshot on PostgreSQL);
    the archive appears under its name only once it is complete.
    """
    summary = Summary()
    upload_root = Path(current_app.config["UPLOAD_DIR"])
    partial = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            db.engine.connect() as plain,
            zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            connection = plain
            if plain.dialect.name == "postgresql":
                connection = plain.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                summary.revision = current_revision(connection)
                head = head_revision()
                if summary.revision != head:
                    raise BackupError(
                        f"The database is at schema revision {summary.revision}, this version "
                        f"of the LMS at {head}. Run 'lms db upgrade' first (or back up with the "
                        "version that matches the database)."
                    )
                tables = _tables()
                for number, table in enumerate(tables, start=1):
                    count = 0
                    with archive.open(f"tables/{table.name}.jsonl", "w") as out:
                        for row in _rows(connection, table):
                            out.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
                            count += 1
                    summary.counts[table.name] = count
                    summary.rows += count
                    progress("tables", number, len(tables))
            summary.tables = len(summary.counts)
            files = _upload_files(upload_root)
            hashes: dict[str, str] = {}
            for number, file in enumerate(files, start=1):
                relative = file.relative_to(upload_root).as_posix()
                digest = hashlib.sha256()
                with file.open("rb") as source, archive.open(f"uploads/{relative}", "w") as out:
                    while chunk := source.read(1024 * 1024):
                        digest.update(chunk)
                        out.write(chunk)
                hashes[relative] = digest.hexdigest()
                progress("uploads", number, len(files))
            summary.files = len(files)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "database": db.engine.dialect.name,
                "alembic_revision": summary.revision,
                "tables": [{"name": name, "rows": rows} for name, rows in summary.counts.items()],
                "uploads": hashes,
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return summary


# --- restore --------------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as error:
        raise BackupError("This file is not an LMS backup (no readable manifest).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError("This file is not an LMS backup (unknown format).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {manifest.get('format_version')}; this version of "
            f"the LMS reads version {FORMAT_VERSION}."
        )
    return manifest


def _non_empty_tables(connection: sa.Connection) -> list[str]:
    inspector = sa.inspect(connection)
    busy = []
    for table in _tables():
        if (
            inspector.has_table(table.name)
            and connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
        ):
            busy.append(table.name)
    return busy


def check_target(manifest: dict[str, Any]) -> None:
    """Refuse anything but an empty database at the archive's schema revision and an empty
    upload folder. A database without any schema yet is first brought to the newest one."""
    from flask_migrate import upgrade

    upload_root = Path(current_app.config["UPLOAD_DIR"])
    if _upload_files(upload_root):
        raise BackupError(
            f"The upload folder {upload_root} is not empty. Restore into an empty folder "
            "(set LMS_UPLOAD_DIR to a new one, or move the files away)."
        )
    with db.engine.connect() as connection:
        revision = current_revision(connection)
        has_tables = bool(sa.inspect(connection).get_table_names())
    if revision is None and not has_tables:
        upgrade()
        with db.engine.connect() as connection:
            revision = current_revision(connection)
    wanted = manifest.get("alembic_revision")
    head = head_revision()
    if wanted != head:
        raise BackupError(
            f"The backup was made at schema revision {wanted}, this version of the LMS is at "
            f"{head}. Restore with the version that made the backup, then upgrade."
        )
    if revision != wanted:
        raise BackupError(
            f"The database is at schema revision {revision}, the backup at {wanted}. Restore "
            "onto a new, empty database (the restore creates the schema), or run "
            "'lms db upgrade' on it first."
        )
    with db.engine.connect() as connection:
        busy = _non_empty_tables(connection)
    if busy:
        raise BackupError(
            "The database is not empty (rows in " + ", ".join(busy[:5]) + "). A backup is never "
            "merged into live data: restore onto a new, empty database."
        )


def _forward_references(table: sa.Table, position: dict[str, int]) -> list[str]:
    """Nullable columns that point at the same table or one restored later (a cycle such as
    course → current version → course): inserted empty, filled in once every row is there."""
    return [
        column.name
        for column in table.columns
        if column.nullable
        and any(
            position[key.column.table.name] >= position[table.name] for key in column.foreign_keys
        )
    ]


def _insert_rows(
    connection: sa.Connection,
    table: sa.Table,
    lines: Iterator[bytes],
    on_row: Callable[[], None],
    deferred: list[str],
    later: list[dict[str, Any]],
) -> int:
    kinds = {column.name: _kind(column) for column in table.columns}
    keys = [column.name for column in table.primary_key.columns]
    batch: list[dict[str, Any]] = []
    count = 0
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        unknown = set(row) - set(kinds)
        if unknown:
            raise BackupError(
                f"Table {table.name} in the backup has columns this version does not know: "
                + ", ".join(sorted(unknown))
            )
        values = {name: _decode(kinds[name], row.get(name)) for name in kinds}
        if any(values[name] is not None for name in deferred):
            later.append(
                {**{f"k_{k}": values[k] for k in keys}, **{n: values[n] for n in deferred}}
            )
            for name in deferred:
                values[name] = None
        batch.append(values)
        if len(batch) >= BATCH:
            connection.execute(table.insert(), batch)
            count += len(batch)
            batch = []
            on_row()
    if batch:
        connection.execute(table.insert(), batch)
        count += len(batch)
        on_row()
    return count


def reset_sequences(connection: sa.Connection) -> None:
    """After rows arrived with their ids, let PostgreSQL hand out the next free ones."""
    if connection.dialect.name != "postgresql":
        return
    for table in _tables():
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not isinstance(columns[0].type, sa.Integer):
            continue
        column = columns[0]
        sequence = connection.execute(
            sa.select(sa.func.pg_get_serial_sequence(table.name, column.name))
        ).scalar()
        if sequence is None:
            continue
        highest = connection.execute(sa.select(sa.func.max(column))).scalar()
        connection.execute(sa.select(sa.func.setval(sequence, highest or 1, highest is not None)))


def restore(path: Path, progress: Progress = _quiet) -> Summary:
    """Load an archive made by `backup` onto an empty database and upload folder.

    All rows go in within one transaction, so a failure leaves the database empty; files are
    checked against their recorded hashes and removed again if the restore fails.
    """
    summary = Summary()
    upload_root = Path(current_app.config["UPLOAD_DIR"])
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise BackupError(f"Cannot read {path}: {error}") from error
    written: list[Path] = []
    with archive:
        manifest = read_manifest(archive)
        check_target(manifest)
        known = {table.name: table for table in _tables()}
        listed = [entry["name"] for entry in manifest["tables"]]
        missing = [name for name in listed if name not in known]
        if missing:
            raise BackupError(
                "The backup has tables this version does not know: " + ", ".join(missing)
            )
        order = [table for table in _tables() if table.name in listed]
        total_rows = sum(entry["rows"] for entry in manifest["tables"])
        done = 0

        def on_row() -> None:
            nonlocal done
            done = min(done + BATCH, total_rows)
            progress("rows", done, total_rows)

        try:
            files = manifest.get("uploads", {})
            for number, (relative, expected) in enumerate(sorted(files.items()), start=1):
                target = (upload_root / relative).resolve()
                if not target.is_relative_to(upload_root.resolve()):
                    raise BackupError(
                        f"The backup names a file outside the upload folder: {relative}"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with archive.open(f"uploads/{relative}") as source, target.open("xb") as out:
                    written.append(target)
                    while chunk := source.read(1024 * 1024):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != expected:
                    raise BackupError(
                        f"The file {relative} in the backup is damaged (hash differs)."
                    )
                progress("uploads", number, len(files))
            summary.files = len(files)
            with db.engine.begin() as connection:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                position = {table.name: number for number, table in enumerate(_tables())}
                pending: list[tuple[sa.Table, list[str], list[dict[str, Any]]]] = []
                for table in order:
                    deferred = _forward_references(table, position)
                    later: list[dict[str, Any]] = []
                    with archive.open(f"tables/{table.name}.jsonl") as lines:
                        count = _insert_rows(
                            connection, table, iter(lines), on_row, deferred, later
                        )
                    if later:
                        pending.append((table, deferred, later))
                    summary.counts[table.name] = count
                    summary.rows += count
                for table, deferred, later in pending:
                    statement = (
                        table.update()
                        .where(
                            *(
                                column == sa.bindparam(f"k_{column.name}")
                                for column in table.primary_key.columns
                            )
                        )
                        .values({name: sa.bindparam(name) for name in deferred})
                    )
                    connection.execute(statement, later)
                reset_sequences(connection)
        except BaseException:
            for file in written:
                file.unlink(missing_ok=True)
            raise
    summary.tables = len(summary.counts)
    summary.revision = manifest.get("alembic_revision")
    return summary
