"""Declarative base, column types and mixins shared by every feature's models."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, orm

#: Constraint names that Alembic can rely on across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored in UTC.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    given the UTC zone back on the way out; naive datetimes are refused because
    their meaning is ambiguous.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(orm.DeclarativeBase):
    registry = orm.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base, disable_autonaming=True)


class TimestampMixin:
    #: When the row was created (UTC).
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)


def enum_column(enum_cls: type, length: int = 32) -> sa.Enum:
    """Store an enum by its value, as a plain string (no native type), portable everywhere."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        create_constraint=False,
    )


class LazyMigrations:
    """Flask-Migrate's state in `app.extensions["migrate"]`, set up on first use.

    Flask-Migrate imports Alembic, a third of a second that serving pages, `lms run` and
    `lms demo` never need; the `lms db` commands, backup and restore, and `flask_migrate`'s
    functions reach it through this and get the real configuration.
    """

    def __init__(self, app: Any, directory: Any) -> None:
        self._app = app
        self._directory = str(directory)

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        from lms.search.index import include_name

        Migrate(
            self._app,
            db,
            directory=self._directory,
            render_as_batch=True,
            compare_type=True,
            include_name=include_name,
        )  # replaces this object in app.extensions with Flask-Migrate's own
        return getattr(self._app.extensions["migrate"], name)


def refresh_planner_statistics(now: dt.datetime | None = None) -> str:
    """Let the database re-read how many rows each table and index holds (`ANALYZE`).

    The query planner chooses indexes by these figures. Without them SQLite guesses, and on
    a large database it guessed wrong: the grading queue walked every waiting submission by
    state (50 ms) instead of starting from the trainer's cohorts (0.5 ms). PostgreSQL's
    autovacuum refreshes them too, but only after enough rows changed; a nightly run costs
    little on both (0.2 s for 200,000 submissions on SQLite).
    """
    started = time.perf_counter()
    preparer = db.session.get_bind().dialect.identifier_preparer
    tables = db.metadata.sorted_tables
    for table in tables:  # ours only, in this schema: not every database on the server
        db.session.execute(sa.text(f"ANALYZE {preparer.format_table(table)}"))
    elapsed = time.perf_counter() - started
    return f"statistics of {len(tables)} tables refreshed in {elapsed:.1f} s"


#: Execution option marking a connection that runs single statements, each its own transaction.
_STANDALONE = "lms_standalone_statement"


def has_work(session: orm.Session) -> bool:
    """Whether the session has begun a transaction or holds changes not yet flushed."""
    return bool(session.in_transaction() or session.new or session.dirty or session.deleted)


def read_first(statement: sa.Executable, params: dict[str, Any]) -> sa.Row[Any] | None:
    """The first row of a read, outside the request's transaction when it has none yet.

    The public lookups (verify page, certificate API) are one SELECT. Run in the session, it
    costs three round trips on PostgreSQL (BEGIN, the SELECT, COMMIT) besides the pool's
    liveness ping; run on its own in autocommit mode, it costs the SELECT alone, and a single
    statement sees one consistent snapshot all the same. Once the session has begun a
    transaction or holds unsaved changes, the read goes through it, so that a request always
    sees what it wrote itself.
    """
    session = db.session()
    engine = session.get_bind()
    if has_work(session) or not isinstance(engine, sa.Engine):
        # (A session bound to one connection, inside a transaction of its caller's, reads
        # through it: it may see rows that other connections cannot yet.)
        return session.execute(statement, params).first()
    # pysqlite runs a statement outside BEGIN on its own already; psycopg needs autocommit
    # (a client-side switch, reset when the connection goes back to the pool).
    options: dict[str, Any] = (
        {"isolation_level": "AUTOCOMMIT"}
        if engine.dialect.name == "postgresql"
        else {_STANDALONE: True}
    )
    with engine.connect().execution_options(**options) as connection:
        return connection.execute(statement, params).first()


def configure_sqlite(engine: sa.Engine) -> None:
    """Make SQLite behave: enforce foreign keys, and let SQLAlchemy own transactions so that
    SAVEPOINTs work (pysqlite's own transaction handling breaks them)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if not connection.get_execution_options().get(_STANDALONE):
            connection.exec_driver_sql("BEGIN")
