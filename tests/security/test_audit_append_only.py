"""The audit trail is append-only in the database itself (PostgreSQL), not only in the ORM:
UPDATE and DELETE are refused by a trigger, except the actor becoming NULL when that account
is deleted (the foreign key's ON DELETE SET NULL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit import services as audit
from lms.audit import triggers
from lms.audit.models import AuditEvent
from lms.db import db
from tests.factories import trainee

pytestmark = pytest.mark.postgres


def _entry():  # type: ignore[no-untyped-def]
    actor = trainee(name="Audited Person")
    other = trainee(name="Someone Else")
    entry = audit.record("grade.changed", "grades", 7, actor=actor, before=1, after=2)
    db.session.flush()
    return actor, other, entry.id


def _refused(statement: str, **params: object) -> None:
    refused = pytest.raises(sa.exc.DBAPIError, match="audit entries cannot be changed or deleted")
    with refused, db.session.begin_nested():
        db.session.execute(sa.text(statement), params)


def _row(entry_id: int) -> sa.Row:  # type: ignore[type-arg]
    return db.session.execute(
        sa.select(AuditEvent.__table__).where(AuditEvent.__table__.c.id == entry_id)
    ).one()


def test_updates_and_deletes_are_refused_by_the_database(app_ctx):
    actor, other, entry_id = _entry()
    before = _row(entry_id)
    _refused("UPDATE audit_events SET action = 'grade.deleted' WHERE id = :id", id=entry_id)
    _refused("UPDATE audit_events SET data = '{}' WHERE id = :id", id=entry_id)
    _refused(
        "UPDATE audit_events SET actor_id = :other WHERE id = :id", id=entry_id, other=other.id
    )
    _refused(
        "UPDATE audit_events SET actor_id = NULL, subject_id = '8' WHERE id = :id", id=entry_id
    )
    _refused("DELETE FROM audit_events WHERE id = :id", id=entry_id)
    assert _row(entry_id) == before


def test_deleting_the_actor_only_clears_the_reference(app_ctx):
    actor, _other, entry_id = _entry()
    before = _row(entry_id)
    db.session.execute(sa.delete(User.__table__).where(User.__table__.c.id == actor.id))
    after = _row(entry_id)
    assert after.actor_id is None
    assert {**after._asdict(), "actor_id": before.actor_id} == before._asdict()


def test_the_trigger_is_installed_by_create_all_and_its_sql_is_exposed(app_ctx):
    installed = db.session.execute(
        sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass")
    ).scalars()
    assert triggers.TRIGGER in set(installed)
    assert all("%" not in statement for statement in triggers.CREATE_STATEMENTS)
    assert "DROP TRIGGER" in triggers.DROP_STATEMENTS[0]
