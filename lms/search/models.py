"""The documents search runs over: what a trainee can read, as plain text."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy import orm

from lms.courses.models import Course, Module
from lms.db import db, enum_column
from lms.search import index


class DocumentKind(enum.StrEnum):
    LESSON = "lesson"
    TOOL = "tool"
    CASE_STUDY = "case_study"


class SearchDocument(db.Model):
    """One lesson, toolbox item or case study of a course, as a trainee may read it.

    Rebuilt for a course whenever it is imported (lms/search/services.py). The engine's
    full-text index over `title` and `body` is not mapped here: it is an FTS5 table on SQLite
    and a generated tsvector column on PostgreSQL, both kept in step by the database itself
    (lms/search/index.py).
    """

    __tablename__ = "search_documents"
    __table_args__ = (sa.UniqueConstraint("kind", "item_id"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    kind: orm.Mapped[DocumentKind] = orm.mapped_column(enum_column(DocumentKind))
    #: The id of the lesson, toolbox item or case study, in its own table.
    item_id: orm.Mapped[int]
    course_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    module_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True
    )
    #: What the result links to: the lesson's or tool's slug, the module's for a case study.
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    #: Plain text of what the item's page shows a trainee; never a case study's marking notes.
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)

    course: orm.Mapped[Course] = orm.relationship()
    module: orm.Mapped[Module] = orm.relationship()

    def __repr__(self) -> str:
        return f"<SearchDocument {self.kind.value} {self.item_id}>"


index.attach(SearchDocument.__table__)  # type: ignore[arg-type]
