"""Job profiles and the courses derived from them, as imported from `courses/`."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import TimestampMixin, db, enum_column, utcnow

#: Rubric level names, 0..4.
LEVEL_NAMES = ("not evident", "emerging", "competent", "proficient", "exemplary")
PRIORITIES = ("I", "II", "III", "IV")
DEFAULT_PRIORITY_WEIGHTS = {"I": 4, "II": 3, "III": 2, "IV": 1}


class AccreditationRule(enum.StrEnum):
    AUTOMATIC = "automatic"
    APPROVAL = "approval"


class JobProfile(db.Model):
    """A job profile: the mission and the key activities a qualification certifies."""

    __tablename__ = "job_profiles"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(80), unique=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    mission: orm.Mapped[str] = orm.mapped_column(sa.Text)
    source_title: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    licence: orm.Mapped[str] = orm.mapped_column(sa.String(80), default="")
    attribution: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    #: Weight per priority, e.g. {"I": 4, "II": 3, "III": 2, "IV": 1}.
    priority_weights: orm.Mapped[dict[str, int]] = orm.mapped_column(sa.JSON)

    key_activities: orm.Mapped[list[KeyActivity]] = orm.relationship(
        back_populates="profile", order_by="KeyActivity.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<JobProfile {self.slug}>"


class KeyActivity(db.Model):
    __tablename__ = "key_activities"
    __table_args__ = (sa.UniqueConstraint("profile_id", "code"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    profile_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("job_profiles.id", ondelete="CASCADE"), index=True
    )
    #: "KA1", "KA2", ... in process order.
    code: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    position: orm.Mapped[int]
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    description: orm.Mapped[str] = orm.mapped_column(sa.Text)
    #: "I" (most important) .. "IV".
    priority: orm.Mapped[str] = orm.mapped_column(sa.String(3))

    profile: orm.Mapped[JobProfile] = orm.relationship(back_populates="key_activities")

    @property
    def weight(self) -> int:
        return int(self.profile.priority_weights[self.priority])

    def __repr__(self) -> str:
        return f"<KeyActivity {self.code} ({self.priority})>"


class Course(TimestampMixin, db.Model):
    """A qualification derived from one job profile."""

    __tablename__ = "courses"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(80), unique=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    summary: orm.Mapped[str] = orm.mapped_column(sa.Text)
    profile_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("job_profiles.id"), index=True)
    #: Language the content is written in (BCP 47, e.g. "en").
    language: orm.Mapped[str] = orm.mapped_column(sa.String(8))
    pass_mark: orm.Mapped[int] = orm.mapped_column(default=70)
    #: Minimum rubric level for criteria of these priorities, e.g. {"I": 2, "II": 2}.
    min_level_by_priority: orm.Mapped[dict[str, int]] = orm.mapped_column(sa.JSON)
    max_attempts: orm.Mapped[int] = orm.mapped_column(default=3)
    validity_years: orm.Mapped[int] = orm.mapped_column(default=3)
    accreditation: orm.Mapped[AccreditationRule] = orm.mapped_column(
        enum_column(AccreditationRule), default=AccreditationRule.AUTOMATIC
    )
    #: The content version trainees currently see.
    current_version_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("content_versions.id", use_alter=True, ondelete="SET NULL")
    )

    profile: orm.Mapped[JobProfile] = orm.relationship()
    modules: orm.Mapped[list[Module]] = orm.relationship(
        back_populates="course",
        order_by="Module.position",
        primaryjoin="and_(Module.course_id == Course.id, Module.retired_at.is_(None))",
        viewonly=True,
    )
    current_version: orm.Mapped[ContentVersion | None] = orm.relationship(
        foreign_keys=[current_version_id], post_update=True
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class ContentVersion(db.Model):
    """One imported state of a course's content; submissions and certificates point to it."""

    __tablename__ = "content_versions"
    __table_args__ = (sa.UniqueConstraint("course_id", "number"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    course_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    number: orm.Mapped[int]
    #: SHA-256 over the course's files and its profile.
    digest: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    imported_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)
    #: The assessment rules as they were: modules, criteria, priorities, weights, pass mark.
    snapshot: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<ContentVersion course={self.course_id} v{self.number}>"


class RetirableMixin:
    #: Set when a re-import no longer contains the item; kept so progress stays attached.
    retired_at: orm.Mapped[dt.datetime | None]


class Module(RetirableMixin, db.Model):
    __tablename__ = "modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    course_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    position: orm.Mapped[int]
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    summary: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    outcomes: orm.Mapped[list[str]] = orm.mapped_column(sa.JSON, default=list)
    #: None for an introductory module (no assessment).
    key_activity_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("key_activities.id"), index=True
    )

    course: orm.Mapped[Course] = orm.relationship(back_populates="modules")
    key_activity: orm.Mapped[KeyActivity | None] = orm.relationship()
    lessons: orm.Mapped[list[Lesson]] = orm.relationship(
        back_populates="module",
        order_by="Lesson.position",
        primaryjoin="and_(Lesson.module_id == Module.id, Lesson.retired_at.is_(None))",
        viewonly=True,
    )
    toolbox_items: orm.Mapped[list[ToolboxItem]] = orm.relationship(
        back_populates="module",
        order_by="ToolboxItem.title",
        primaryjoin="and_(ToolboxItem.module_id == Module.id, ToolboxItem.retired_at.is_(None))",
        viewonly=True,
    )
    case_study: orm.Mapped[CaseStudy | None] = orm.relationship(
        back_populates="module",
        primaryjoin="and_(CaseStudy.module_id == Module.id, CaseStudy.retired_at.is_(None))",
        viewonly=True,
        uselist=False,
    )

    @property
    def is_assessed(self) -> bool:
        return self.key_activity_id is not None

    def __repr__(self) -> str:
        return f"<Module {self.slug}>"


class Lesson(RetirableMixin, db.Model):
    __tablename__ = "lessons"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    course_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    module_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True
    )
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    position: orm.Mapped[int]
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    minutes: orm.Mapped[int]
    required: orm.Mapped[bool] = orm.mapped_column(default=True)
    body_markdown: orm.Mapped[str] = orm.mapped_column(sa.Text)
    #: Sanitised HTML rendered at import.
    body_html: orm.Mapped[str] = orm.mapped_column(sa.Text)
    #: [[level, anchor, title], ...] for the table of contents.
    toc: orm.Mapped[list[Any]] = orm.mapped_column(sa.JSON, default=list)
    #: Lower-cased plain text, for search.
    search_text: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")

    module: orm.Mapped[Module] = orm.relationship(back_populates="lessons")

    def __repr__(self) -> str:
        return f"<Lesson {self.slug}>"


class ToolboxItem(RetirableMixin, db.Model):
    __tablename__ = "toolbox_items"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    course_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    module_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True
    )
    slug: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    purpose: orm.Mapped[str] = orm.mapped_column(sa.Text)
    when_to_use: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body_markdown: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body_html: orm.Mapped[str] = orm.mapped_column(sa.Text)

    module: orm.Mapped[Module] = orm.relationship(back_populates="toolbox_items")

    def __repr__(self) -> str:
        return f"<ToolboxItem {self.slug}>"


class CaseStudy(RetirableMixin, db.Model):
    """A module's assessment: the scenario and tasks, its rubric, and notes for trainers."""

    __tablename__ = "case_studies"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    module_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("modules.id", ondelete="CASCADE"), unique=True
    )
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    body_markdown: orm.Mapped[str] = orm.mapped_column(sa.Text)
    body_html: orm.Mapped[str] = orm.mapped_column(sa.Text)
    #: For trainers only; never shown to trainees.
    marking_notes_html: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")

    module: orm.Mapped[Module] = orm.relationship(back_populates="case_study")
    criteria: orm.Mapped[list[RubricCriterion]] = orm.relationship(
        back_populates="case_study",
        order_by="RubricCriterion.position",
        primaryjoin=(
            "and_(RubricCriterion.case_study_id == CaseStudy.id, "
            "RubricCriterion.retired_at.is_(None))"
        ),
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<CaseStudy {self.title!r}>"


class RubricCriterion(RetirableMixin, db.Model):
    __tablename__ = "rubric_criteria"
    __table_args__ = (sa.UniqueConstraint("course_id", "code"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    course_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    case_study_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("case_studies.id", ondelete="CASCADE"), index=True
    )
    #: Stable id from the rubric file, e.g. "ka2-shared-vision".
    code: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    position: orm.Mapped[int]
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    description: orm.Mapped[str] = orm.mapped_column(sa.Text)
    key_activity_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("key_activities.id"))
    #: Descriptor per level: {"0": "...", ..., "4": "..."}.
    levels: orm.Mapped[dict[str, str]] = orm.mapped_column(sa.JSON)

    case_study: orm.Mapped[CaseStudy] = orm.relationship(back_populates="criteria")
    key_activity: orm.Mapped[KeyActivity] = orm.relationship()

    def __repr__(self) -> str:
        return f"<RubricCriterion {self.code}>"


class LessonCompletion(db.Model):
    """A trainee marked a lesson as read and understood."""

    __tablename__ = "lesson_completions"

    user_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    completed_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<LessonCompletion user={self.user_id} lesson={self.lesson_id}>"
