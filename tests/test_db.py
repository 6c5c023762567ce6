"""Single-statement reads outside the request's transaction (`lms.db.read_first`).

On committed data, as in production: the session of the other tests is bound to one
connection inside a rolled-back transaction, where a read on another connection could not see
the test's rows (and `read_first` reads through the session there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from lms.accounts.models import Organisation
from lms.certificates.ids import new_public_id
from lms.db import db, read_first


@pytest.fixture
def statements(committed: Flask) -> Iterator[list[str]]:
    """Every statement sent to the database while the test runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0].upper())

    with committed.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _add_organisation(app: Flask, name: str) -> None:
    with app.app_context():
        db.session.add(Organisation(name=name, country="BE"))
        db.session.commit()


def _by_name() -> sa.Select[Any]:
    return sa.select(Organisation.name).where(Organisation.name == sa.bindparam("name"))


def test_a_read_on_a_fresh_request_is_one_statement_in_no_transaction(committed, statements):
    _add_organisation(committed, "Agence Wallonne")
    with committed.test_request_context("/"):
        statements.clear()
        row = read_first(_by_name(), {"name": "Agence Wallonne"})
        assert row is not None
        assert row.name == "Agence Wallonne"
        assert not db.session().in_transaction()
        assert statements == ["SELECT"]  # no BEGIN sent first (pysqlite would show it here)
        if db.engine.dialect.name == "postgresql":
            # In autocommit the statement is its own transaction: it started with it.
            own = read_first(sa.text("SELECT now() = statement_timestamp() AS alone"), {})
            assert own is not None
            assert own.alone is True


def test_a_read_after_the_session_began_goes_through_it(committed):
    with committed.test_request_context("/"):
        db.session.add(Organisation(name="Not yet committed", country="FR"))
        row = read_first(_by_name(), {"name": "Not yet committed"})
        assert row is not None  # the request sees what it wrote itself
        db.session.rollback()
        db.session.execute(sa.select(1))
        if db.engine.dialect.name == "postgresql":
            # Inside the session's transaction: it began before this statement.
            inside = read_first(sa.text("SELECT now() = statement_timestamp() AS alone"), {})
            assert inside is not None
            assert inside.alone is False
        db.session.rollback()


def test_the_anonymous_verify_page_sends_one_statement_and_nothing_to_commit(committed, statements):
    client = committed.test_client()
    statements.clear()
    response = client.get(f"/verify/{new_public_id()}")
    assert response.status_code == 404
    assert statements == ["SELECT"]
    statements.clear()
    api = client.get(f"/api/v1/certificates/{new_public_id()}")
    assert api.status_code == 404
    assert statements == ["SELECT"]
