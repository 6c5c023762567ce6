"""Where the schema refers to people: every column with a foreign key to `users.id`."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lms.db import db

#: Columns whose values would let someone act as the person; never exported, never shown.
SECRET_MARKERS = ("password", "token_hash", "code_hash", "secret")


@dataclass(frozen=True)
class UserReference:
    table: sa.Table
    column: sa.Column  # type: ignore[type-arg]
    ondelete: str | None


def user_references() -> list[UserReference]:
    """Each (table, column) that points at a user, in a stable order."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            for key in column.foreign_keys:
                if key.column.table.name == "users" and key.column.name == "id":
                    ondelete = (key.ondelete or "").upper() or None
                    found.append(UserReference(table, column, ondelete))
    return found


def is_secret(column_name: str) -> bool:
    return any(marker in column_name for marker in SECRET_MARKERS)
