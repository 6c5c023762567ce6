"""The engines' full-text index over `search_documents`, which the models do not describe.

Both are kept in step by the database itself, so writing a `SearchDocument` is all it takes:

- SQLite: an FTS5 table with the documents as its external content, filled by triggers.
  Tokenizer `porter unicode61 remove_diacritics 2`: words of letters and digits in any script,
  "coopération" found by "cooperation", and English stemming ("agreements" finds "agreement").
- PostgreSQL: a stored generated tsvector column, title weighted A and body B, with a GIN index.

Both stem for English because every shipped course is written in English (`course.yaml`
language: en); 'simple' would miss plurals. A course in another language would need the
configuration per document, chosen from `Course.language`.

migrations/versions/0009_search.py makes the same objects (as they were then); the test
schema gets them from `db.create_all()` through `attach`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

FTS_TABLE = "search_index"
#: The tables FTS5 keeps the index in (no `_content` one: the content is search_documents).
FTS_SHADOW_TABLES = tuple(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "docsize", "config"))
TSVECTOR_COLUMN = "document"
TSVECTOR_INDEX = "ix_search_documents_document"

SQLITE_CREATE = (
    """CREATE VIRTUAL TABLE search_index USING fts5(
        title, body, content='search_documents', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER search_documents_after_insert AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_index(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_documents_after_delete AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_index(search_index, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER search_documents_after_update AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_index(search_index, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_index(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
)
#: The triggers go with their table; the FTS5 table must be dropped by name.
SQLITE_DROP = ("DROP TABLE IF EXISTS search_index",)

POSTGRESQL_CREATE = (
    """ALTER TABLE search_documents ADD COLUMN document tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A')
            || setweight(to_tsvector('english', body), 'B')
        ) STORED""",
    "CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)",
)


def attach(table: sa.Table) -> None:
    """Make and drop the index along with `table` in `create_all` / `drop_all`."""
    for statement in SQLITE_CREATE:
        sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="sqlite"))
    for statement in SQLITE_DROP:
        sa.event.listen(table, "before_drop", sa.DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRESQL_CREATE:
        sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="postgresql"))


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic's filter: leave the index to this module, since the models cannot describe it
    (autogenerate would otherwise drop it)."""
    if type_ == "table":
        return name not in {FTS_TABLE, *FTS_SHADOW_TABLES}
    if type_ == "column" and parent_names.get("table_name") == "search_documents":
        return name != TSVECTOR_COLUMN
    if type_ == "index":
        return name != TSVECTOR_INDEX
    return True
