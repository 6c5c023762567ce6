"""Test harness: the app and schema once per session, a rolled-back transaction per test.

The suite runs on SQLite by default and on PostgreSQL when LMS_TEST_DATABASE_URL is set
(`make test` does both when it is). End-to-end tests in a real browser run when LMS_E2E=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import orm

from lms import create_app
from lms.courses.cli import DEFAULT_PATH
from lms.courses.services import import_path
from lms.db import db
from lms.extensions import limiter

POSTGRES_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith("postgresql")
#: Parallel workers (pytest-xdist) each get a PostgreSQL schema of their own; the process id
#: keeps concurrent runs against one server apart too.
WORKER = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def postgres_url_for(schema: str) -> str:
    """The test database's URL with `schema` first on the search path."""
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def postgres_url_for_worker() -> str:
    return postgres_url_for(f"test_{WORKER}")


@contextmanager
def fresh_postgres_schema(schema: str) -> Iterator[str]:
    """An empty schema of its own while the block runs (its URL is given); dropped after."""
    engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        yield postgres_url_for(schema)
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@contextmanager
def app_on_fresh_postgres_schema(schema: str, instance: Path, **config: object) -> Iterator[Flask]:
    """An app of its own on an empty schema with every table made (`config` on top of the
    test configuration); its connections closed and the schema dropped after."""
    with fresh_postgres_schema(schema) as url:
        application = create_app({**base_test_config(instance, url), **config})
        try:
            with application.app_context():
                db.create_all()
            yield application
        finally:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


PASSWORD = "correct horse battery staple"
TEST_PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


def base_test_config(instance: Path, database_url: str) -> dict[str, object]:
    return {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SIGNING_KEY_PASSPHRASE": "test-signing-passphrase",
        "DATABASE_URL": database_url,
        "BASE_URL": "https://lms.example.test",
        "INSTANCE_PATH": str(instance),
        "UPLOAD_DIR": str(instance / "uploads"),
        "MAIL_URL": "log://",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URL": "memory://",
        # Still scrypt, at a cost that keeps hundreds of logins quick (TESTING only).
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
        # Tests of two-factor authentication turn it on (tests/auth/test_two_factor.py).
        "ADMIN_REQUIRE_2FA": False,
    }


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translation catalogues a fresh checkout lacks (they are not kept in git)."""
    from tests.i18n.catalogues import compile_catalogues

    compile_catalogues()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs PostgreSQL: set LMS_TEST_DATABASE_URL (make test does in CI)"
                )
            )


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    url = postgres_url_for_worker() if ON_POSTGRES else f"sqlite:///{instance / 'test.sqlite3'}"
    application = create_app(base_test_config(instance, url))
    with application.app_context():
        reset_schema()
        import_path(DEFAULT_PATH)  # once, committed: every test reads the real courses
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        if ON_POSTGRES:
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS test_{WORKER} CASCADE"))
        db.engine.dispose()


def reset_schema() -> None:
    """Drop everything (also what migrations left) and build the schema from the models."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            schema = f"test_{WORKER}"
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        else:
            db.metadata.drop_all(connection)
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    db.create_all()


@pytest.fixture
def db_session(app: Flask) -> Iterator[orm.scoped_session[orm.Session]]:
    """Run the test inside a transaction that is rolled back afterwards.

    The application's own commits become savepoint releases inside it, so every code path
    runs as in production and nothing leaks into the next test. No application context is
    held during the test, so each request gets its own (and its own `g`) as in production;
    the session is removed at the end of every request, so objects made by the test are
    kept loaded (`expire_on_commit=False`) to stay readable afterwards.
    """
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    session = orm.scoped_session(
        orm.sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
        scopefunc=lambda: "test",
    )
    original = db.session
    db.session = session  # type: ignore[assignment]
    try:
        yield session
    finally:
        session.remove()
        db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def app_ctx(app: Flask, db_session: orm.scoped_session[orm.Session]) -> Iterator[Flask]:
    """An application context for tests that call services directly (not for requests)."""
    with app.app_context():
        yield app


@pytest.fixture
def shipped_courses(app, db_session):  # type: ignore[no-untyped-def]
    """The real courses (imported once per session by the `app` fixture)."""
    return DEFAULT_PATH


#: Tables filled once per session (the shipped courses); never emptied between tests.
SESSION_TABLES = {
    "job_profiles",
    "key_activities",
    "courses",
    "content_versions",
    "modules",
    "lessons",
    "toolbox_items",
    "case_studies",
    "rubric_criteria",
}


@pytest.fixture
def committed(app: Flask) -> Iterator[Flask]:
    """For concurrency tests that need real commits seen by several threads (PostgreSQL).

    Works on the real session, not the rolled-back one; empties every table the test may have
    written (all but the shipped courses) afterwards.
    """
    yield app
    with app.app_context():
        db.session.remove()
        names = [t.name for t in db.metadata.sorted_tables if t.name not in SESSION_TABLES]
        with db.engine.begin() as connection:
            # Table names come from our own metadata, never from input.
            if connection.dialect.name == "postgresql":
                joined = ", ".join(names)
                connection.execute(sa.text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))  # noqa: S608
            else:
                for table in reversed([db.metadata.tables[n] for n in names]):
                    connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> None:
    with app.app_context():
        limiter.reset()


@pytest.fixture
def client(app: Flask, db_session: orm.scoped_session[orm.Session]) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def csrf_enabled(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def errors_as_pages(app: Flask) -> Iterator[None]:
    """Let unexpected exceptions become the 500 page a user would see."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        yield
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.fixture
def mail_outbox(monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    """Capture every mail the application delivers (after commit) in a list."""
    from lms.notifications import mail as mail_module

    sent: list = []  # type: ignore[type-arg]
    monkeypatch.setattr(mail_module, "deliver", sent.append)
    return sent


def login(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Log in through the real form; return the response."""
    return client.post("/auth/login", data={"email": email, "password": password})


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        match = re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def page_without_csrf_tokens(response) -> str:
    """The page with its CSRF tokens blanked: a token carries the second it was made in."""
    text = response.get_data(as_text=True)
    return re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]*"', "CSRF", text)


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def _our_static_script(attrs: list[tuple[str, str | None]]) -> bool:
    """The header's menu script, exactly: `<script src="/static/js/menu.js?v=…">`, nothing more."""
    return (
        len(attrs) == 1
        and re.fullmatch(r"/static/js/menu\.js(\?v=[0-9a-f]{12})?", attrs[0][1] or "") is not None
        and attrs[0][0] == "src"
    )


def assert_inert_html(html: str) -> None:
    """No script can run from this HTML: no script-capable tags, no event handlers, no
    javascript:, vbscript: or data: links. (Our own pages use no inline script or SVG; the
    one script every page loads is a file of our static folder, which no input can name.)"""
    from html.parser import HTMLParser

    problems: list[str] = []

    class Inspector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "script" and _our_static_script(attrs):
                return
            if tag in {"script", "iframe", "object", "embed", "svg", "math", "base", "frame"}:
                problems.append(f"<{tag}>")
            for name, value in attrs:
                if name.startswith("on") or name in {"style", "srcdoc"}:
                    problems.append(f"{tag}[{name}]")
                lowered = (value or "").strip().lower().replace("\x00", "")
                if name in {"href", "src", "action", "formaction", "xlink:href"} and (
                    lowered.startswith(("javascript:", "vbscript:", "data:"))
                ):
                    problems.append(f"{tag}[{name}={value}]")

    Inspector().feed(html)
    assert not problems, problems
