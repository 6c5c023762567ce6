"""Grades given against a rubric, and trainers' reusable comments."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import TimestampMixin, db, enum_column, utcnow


class GradeKind(enum.StrEnum):
    FIRST = "first"
    SECOND = "second"
    AGREED = "agreed"


class Grade(TimestampMixin, db.Model):
    """One marker's judgement of a submission: a level and feedback per criterion."""

    __tablename__ = "grades"
    __table_args__ = (sa.UniqueConstraint("submission_id", "kind"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    submission_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    kind: orm.Mapped[GradeKind] = orm.mapped_column(enum_column(GradeKind))
    grader_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: {criterion code: level 0..4}; may be partial while a draft.
    levels: orm.Mapped[dict[str, int]] = orm.mapped_column(sa.JSON, default=dict)
    #: {criterion code: feedback text}.
    feedback: orm.Mapped[dict[str, str]] = orm.mapped_column(sa.JSON, default=dict)
    overall_feedback: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    #: Computed on the server from the levels; None while incomplete.
    score: orm.Mapped[Decimal | None] = orm.mapped_column(sa.Numeric(4, 1))
    passed: orm.Mapped[bool | None]
    #: Reasons for a fail in English; what rows written before `reason_messages` show.
    reasons: orm.Mapped[list[str]] = orm.mapped_column(sa.JSON, default=list)
    #: The same reasons as lms.messages ids and parameters ([{"id": ..., "params": {...}}]),
    #: shown in the reader's language; None on rows written before there were ids.
    reason_messages: orm.Mapped[list[dict[str, Any]] | None] = orm.mapped_column(sa.JSON)
    #: Set when the marker finished (a draft until then).
    completed_at: orm.Mapped[dt.datetime | None]
    updated_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)
    version: orm.Mapped[int] = orm.mapped_column(default=1)

    submission = orm.relationship("Submission")
    grader = orm.relationship("User")

    __mapper_args__ = {"version_id_col": version}

    def reasons_shown(self) -> list[str]:
        """Why the attempt failed, in the reader's language (old rows: as they were written)."""
        from lms.messages import texts

        return texts(self.reason_messages, self.reasons or [])

    def __repr__(self) -> str:
        return f"<Grade {self.id} {self.kind.value} submission={self.submission_id}>"


class CommentSnippet(TimestampMixin, db.Model):
    """A comment a trainer reuses in feedback."""

    __tablename__ = "comment_snippets"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    trainer_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    text: orm.Mapped[str] = orm.mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<CommentSnippet {self.id} {self.title!r}>"
