"""Append to the audit trail. There is deliberately no function to edit or delete an entry."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event, orm

from lms.audit.models import AuditEvent
from lms.db import db


def record(
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    actor: Any = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit entry to the current transaction and return it."""
    actor_id = getattr(actor, "id", actor)
    request_id = g.get("request_id", "") if has_request_context() else ""
    entry = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        actor_id=actor_id,
        data=data,
        request_id=request_id,
    )
    db.session.add(entry)
    return entry


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(orm.Session, "before_flush")
def _refuse_audit_changes(session: orm.Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("audit entries cannot be changed or deleted")


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_row_change(mapper: Any, connection: sa.Connection, target: AuditEvent) -> None:
    raise AuditTrailIsAppendOnly("audit entries cannot be changed or deleted")
