"""The audit trail is append-only in the database too (PostgreSQL): a trigger refuses UPDATE
and DELETE on `audit_events`, except the one change the schema itself makes — setting the actor
to NULL when that person's account is deleted (`ON DELETE SET NULL`).

The statements are plain SQL strings so that a migration can run them as they are:

    for statement in triggers.CREATE_STATEMENTS: op.execute(statement)   # upgrade
    for statement in triggers.DROP_STATEMENTS: op.execute(statement)     # downgrade

`attach()` installs them whenever the table is created from the models (tests, `create_all`).
TRUNCATE is not covered: it needs the table owner's rights, and is how tests empty the table.
"""

from __future__ import annotations

import sqlalchemy as sa

TABLE = "audit_events"
FUNCTION = "audit_events_append_only"
TRIGGER = "audit_events_append_only"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's account was deleted: only the reference goes
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'audit entries cannot be changed or deleted: ' || TG_OP
            || ' on {TABLE} id ' || OLD.id,
        ERRCODE = 'restrict_violation';
END
$body$
"""

CREATE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER}
BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()
"""

DROP_TRIGGER = f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}"
DROP_FUNCTION = f"DROP FUNCTION IF EXISTS {FUNCTION}()"

CREATE_STATEMENTS = (CREATE_FUNCTION, CREATE_TRIGGER)
DROP_STATEMENTS = (DROP_TRIGGER, DROP_FUNCTION)


def attach(table: sa.Table) -> None:
    """Install the trigger on PostgreSQL whenever `table` is created from the models."""
    for statement in CREATE_STATEMENTS:  # no `%` in them: DDL() formats with it
        sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="postgresql"))
