"""Case-study submissions and their attachments."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import TimestampMixin, db, enum_column, utcnow


class SubmissionState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    PASSED = "passed"
    FAILED = "failed"
    RETURNED = "returned"


#: States in which the trainee may still edit the answer.
EDITABLE = {SubmissionState.DRAFT, SubmissionState.RETURNED}
#: States that use up an attempt.
GRADED = {SubmissionState.PASSED, SubmissionState.FAILED}


class Submission(TimestampMixin, db.Model):
    """One attempt of a trainee at a module's case study."""

    __tablename__ = "submissions"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "module_id", "attempt"),
        sa.CheckConstraint("attempt >= 1", name="attempt_positive"),
        sa.Index("ix_submissions_queue", "state", "submitted_at"),
        # Dashboards and the grading queue read a trainer's cohorts by state.
        sa.Index("ix_submissions_cohort_state", "cohort_id", "state"),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    module_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("modules.id"), index=True)
    cohort_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cohorts.id"), index=True)
    #: The content version (and so the rubric) this attempt is graded against.
    content_version_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("content_versions.id"))
    attempt: orm.Mapped[int]
    state: orm.Mapped[SubmissionState] = orm.mapped_column(
        enum_column(SubmissionState), default=SubmissionState.DRAFT, index=True
    )
    answer: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    submitted_at: orm.Mapped[dt.datetime | None]
    #: Submitted after the cohort's deadline (when the cohort accepts late work).
    late: orm.Mapped[bool] = orm.mapped_column(default=False)
    #: The trainer reviewing it ("in review by ...").
    claimed_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    claimed_at: orm.Mapped[dt.datetime | None]
    #: Why it was returned for resubmission.
    return_reason: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    released_at: orm.Mapped[dt.datetime | None]
    updated_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, onupdate=utcnow)
    #: Optimistic lock: every write bumps it; a stale save is refused.
    version: orm.Mapped[int] = orm.mapped_column(default=1)

    user = orm.relationship("User", foreign_keys=[user_id])
    claimed_by = orm.relationship("User", foreign_keys=[claimed_by_id])
    module = orm.relationship("Module")
    cohort = orm.relationship("Cohort")
    content_version = orm.relationship("ContentVersion")
    attachments: orm.Mapped[list[Attachment]] = orm.relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE

    def __repr__(self) -> str:
        return f"<Submission {self.id} user={self.user_id} module={self.module_id} #{self.attempt}>"


class Attachment(db.Model):
    """A file attached to a submission, stored under a generated name outside the web root."""

    __tablename__ = "attachments"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    submission_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    #: The name the trainee gave it, for display only (never used as a path).
    original_name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    #: Generated, random; the file's path under the upload folder.
    stored_name: orm.Mapped[str] = orm.mapped_column(sa.String(80), unique=True)
    #: The type detected from the content.
    content_type: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    size: orm.Mapped[int]
    sha256: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    uploaded_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)

    submission: orm.Mapped[Submission] = orm.relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.content_type}>"
