"""Cohorts: runs of a course with dates, deadlines, trainers and trainees."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import TimestampMixin, db, enum_column, utcnow


class LatePolicy(enum.StrEnum):
    REFUSE = "refuse"
    ACCEPT_MARKED = "accept_marked"


class MemberRole(enum.StrEnum):
    TRAINEE = "trainee"
    TRAINER = "trainer"


class Cohort(TimestampMixin, db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "name"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    course_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    name: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    starts_on: orm.Mapped[dt.date]
    ends_on: orm.Mapped[dt.date]
    #: What happens to a submission after its deadline.
    late_policy: orm.Mapped[LatePolicy] = orm.mapped_column(
        enum_column(LatePolicy), default=LatePolicy.ACCEPT_MARKED
    )
    #: Hide trainees' names from graders until a grade is released.
    blind_marking: orm.Mapped[bool] = orm.mapped_column(default=False)
    #: Have every submission second-marked (always done near the pass mark).
    moderation: orm.Mapped[bool] = orm.mapped_column(default=False)

    course = orm.relationship("Course")
    deadlines: orm.Mapped[list[CohortDeadline]] = orm.relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )
    members: orm.Mapped[list[CohortMember]] = orm.relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Cohort {self.id} {self.name!r}>"


class CohortDeadline(db.Model):
    __tablename__ = "cohort_deadlines"

    cohort_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )
    #: Submissions are due before this moment (UTC).
    due_at: orm.Mapped[dt.datetime]

    cohort: orm.Mapped[Cohort] = orm.relationship(back_populates="deadlines")
    module = orm.relationship("Module")

    def __repr__(self) -> str:
        return f"<CohortDeadline cohort={self.cohort_id} module={self.module_id}>"


class CohortMember(db.Model):
    __tablename__ = "cohort_members"

    cohort_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: orm.Mapped[MemberRole] = orm.mapped_column(enum_column(MemberRole), primary_key=True)
    #: A lead trainer may moderate disagreements between markers.
    lead: orm.Mapped[bool] = orm.mapped_column(default=False)
    enrolled_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)

    cohort: orm.Mapped[Cohort] = orm.relationship(back_populates="members")
    user = orm.relationship("User")

    def __repr__(self) -> str:
        return f"<CohortMember cohort={self.cohort_id} user={self.user_id} {self.role.value}>"
