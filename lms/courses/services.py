"""Importing course content into the database, and recording a trainee's reading."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app

from lms.audit import services as audit
from lms.courses.content import (
    CourseSpec,
    ModuleSpec,
    ProfileSpec,
    folder_digests,
    link_target,
    load_content,
)
from lms.courses.models import (
    CaseStudy,
    ContentVersion,
    Course,
    JobProfile,
    KeyActivity,
    Lesson,
    LessonCompletion,
    Module,
    RubricCriterion,
    ToolboxItem,
)
from lms.db import db, utcnow
from lms.markdown import render, table_label
from lms.search import services as search
from lms.signals import lesson_completed
from lms.urls import path_for

M = TypeVar("M")


class ContentError(ValueError):
    """Content that cannot be imported; `problems` lists every reason with file and line."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the course content")
        self.problems = problems


@dataclass
class ImportSummary:
    courses: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def import_path(
    root: Path,
    *,
    on_course: Callable[[str], None] | None = None,
    skip_if_unchanged: bool = False,
) -> ImportSummary:
    """Validate everything under `root`, then import it; nothing is written if anything fails.

    `skip_if_unchanged`: when every course's files are those of its version in use, return
    at once without reading the lessons again (`lms demo` run again). Otherwise, and always
    for `lms courses import`, everything is validated anew.
    """
    unchanged = _unchanged_since_last_import(root) if skip_if_unchanged else []
    if unchanged:
        for slug in unchanged:
            if on_course is not None:
                on_course(slug)
        return ImportSummary(courses=list(unchanged), unchanged=list(unchanged))
    specs, problems = load_content(root)
    if problems:
        raise ContentError(problems)
    summary = ImportSummary()
    for spec in specs:
        course, created_version = import_course(spec)
        summary.courses.append(course.slug)
        (summary.new_versions if created_version else summary.unchanged).append(course.slug)
        if on_course is not None:
            on_course(course.slug)
    return summary


def _unchanged_since_last_import(root: Path) -> list[str]:
    """The course slugs under `root`, if each one's files match its current version exactly."""
    digests = folder_digests(root) if root.is_dir() else None
    if not digests:
        return []
    current = dict(
        db.session.execute(
            sa.select(Course.slug, ContentVersion.digest)
            .join(ContentVersion, ContentVersion.id == Course.current_version_id)
            .where(Course.slug.in_(digests))
        ).all()
    )
    return list(digests) if current == digests else []


def import_course(spec: CourseSpec) -> tuple[Course, bool]:
    """Create or update one course from its files; return it and whether a version was added.

    Items are matched by slug, so progress and submissions stay attached across re-imports;
    items no longer in the files are retired, not deleted.
    """
    course = db.session.scalar(sa.select(Course).filter_by(slug=spec.slug))
    if (
        course is not None
        and course.current_version is not None
        and course.current_version.digest == spec.digest
    ):
        return course, False  # same files as the version in use: nothing to do
    profile = _import_profile(spec.profile)
    if course is None:
        course = Course(slug=spec.slug)
        db.session.add(course)
    course.title, course.summary, course.profile = spec.title, spec.summary, profile
    course.language, course.pass_mark = spec.language, spec.pass_mark
    course.min_level_by_priority = dict(spec.min_level_by_priority)
    course.max_attempts, course.validity_years = spec.max_attempts, spec.validity_years
    course.accreditation = spec.accreditation
    db.session.flush()
    activities = {ka.code: ka for ka in profile.key_activities}
    urls = _url_map(spec)
    existing_modules = _by(Module, "slug", Module.course_id == course.id)
    existing_lessons = _by(Lesson, "slug", Lesson.course_id == course.id)
    existing_tools = _by(ToolboxItem, "slug", ToolboxItem.course_id == course.id)
    existing_criteria = _by(RubricCriterion, "code", RubricCriterion.course_id == course.id)
    seen: dict[type, set[str]] = {
        Module: set(),
        Lesson: set(),
        ToolboxItem: set(),
        RubricCriterion: set(),
    }
    for module_spec in spec.modules:
        module = existing_modules.get(module_spec.slug) or Module(
            course_id=course.id, slug=module_spec.slug
        )
        db.session.add(module)
        module.position, module.title = module_spec.position, module_spec.title
        module.summary, module.outcomes = module_spec.summary, list(module_spec.outcomes)
        module.key_activity = activities.get(module_spec.key_activity or "")
        module.retired_at = None
        db.session.flush()
        seen[Module].add(module.slug)
        _import_lessons(course, module, module_spec, existing_lessons, urls, seen[Lesson])
        _import_toolbox(course, module, module_spec, existing_tools, urls, seen[ToolboxItem])
        _import_assessment(
            course, module, module_spec, existing_criteria, activities, urls, seen[RubricCriterion]
        )
    for model, rows in (
        (Module, existing_modules),
        (Lesson, existing_lessons),
        (ToolboxItem, existing_tools),
        (RubricCriterion, existing_criteria),
    ):
        for key, row in rows.items():
            if key not in seen[model] and row.retired_at is None:
                row.retired_at = utcnow()
    db.session.flush()
    search.refresh_course(course)
    created = _record_version(course, spec)
    return course, created


def _by(model: type[M], key: str, where: Any) -> dict[str, M]:
    return {getattr(row, key): row for row in db.session.scalars(sa.select(model).where(where))}


def _import_profile(spec: ProfileSpec) -> JobProfile:
    profile = db.session.scalar(sa.select(JobProfile).filter_by(slug=spec.slug))
    if profile is None:
        profile = JobProfile(slug=spec.slug)
        db.session.add(profile)
    profile.title, profile.mission = spec.title, spec.mission
    profile.source_title, profile.licence = spec.source_title, spec.licence
    profile.attribution, profile.priority_weights = spec.attribution, dict(spec.priority_weights)
    current = {ka.code: ka for ka in profile.key_activities}
    for ka_spec in spec.key_activities:
        activity = current.get(ka_spec.code)
        if activity is None:
            activity = KeyActivity(code=ka_spec.code)
            profile.key_activities.append(activity)
        activity.position, activity.title = ka_spec.position, ka_spec.title
        activity.description, activity.priority = ka_spec.description, ka_spec.priority
    db.session.flush()
    return profile


def _import_lessons(
    course: Course,
    module: Module,
    spec: ModuleSpec,
    existing: dict[str, Lesson],
    urls: dict[PurePosixPath, str],
    seen: set[str],
) -> None:
    for lesson_spec in spec.lessons:
        lesson = existing.get(lesson_spec.slug)
        if lesson is None:
            lesson = Lesson(course_id=course.id, slug=lesson_spec.slug)
            db.session.add(lesson)
            existing[lesson.slug] = lesson
        rendered = render(
            lesson_spec.body,
            _resolver(lesson_spec.path, urls),
            table_label=table_label(course.language),
        )
        lesson.module_id, lesson.position = module.id, lesson_spec.position
        lesson.title, lesson.minutes, lesson.required = (
            lesson_spec.title,
            lesson_spec.minutes,
            lesson_spec.required,
        )
        lesson.body_markdown, lesson.body_html = lesson_spec.body, rendered.html
        lesson.toc = [list(entry) for entry in rendered.toc]
        lesson.search_text = f"{lesson_spec.title} {rendered.text}".lower()
        lesson.retired_at = None
        seen.add(lesson.slug)


def _import_toolbox(
    course: Course,
    module: Module,
    spec: ModuleSpec,
    existing: dict[str, ToolboxItem],
    urls: dict[PurePosixPath, str],
    seen: set[str],
) -> None:
    for item_spec in spec.toolbox:
        item = existing.get(item_spec.slug)
        if item is None:
            item = ToolboxItem(course_id=course.id, slug=item_spec.slug)
            db.session.add(item)
            existing[item.slug] = item
        item.module_id, item.title = module.id, item_spec.title
        item.purpose, item.when_to_use = item_spec.purpose, item_spec.when_to_use
        item.body_markdown = item_spec.body
        item.body_html = render(
            item_spec.body,
            _resolver(item_spec.path, urls),
            table_label=table_label(course.language),
        ).html
        item.retired_at = None
        seen.add(item.slug)


def _import_assessment(
    course: Course,
    module: Module,
    spec: ModuleSpec,
    existing: dict[str, RubricCriterion],
    activities: dict[str, KeyActivity],
    urls: dict[PurePosixPath, str],
    seen: set[str],
) -> None:
    case = db.session.scalar(sa.select(CaseStudy).filter_by(module_id=module.id))
    if spec.case_study is None:
        if case is not None and case.retired_at is None:
            case.retired_at = utcnow()
        return
    if case is None:
        case = CaseStudy(module_id=module.id)
        db.session.add(case)
    case.title = spec.case_study.title
    case.body_markdown = spec.case_study.body
    label = table_label(course.language)  # the frames' label, in the language of the content
    case.body_html = render(
        spec.case_study.body, _resolver(spec.case_study.path, urls), table_label=label
    ).html
    case.marking_notes_html = render(spec.case_study.marking_notes, table_label=label).html
    case.retired_at = None
    db.session.flush()
    for criterion_spec in spec.criteria:
        criterion = existing.get(criterion_spec.code)
        if criterion is None:
            criterion = RubricCriterion(course_id=course.id, code=criterion_spec.code)
            db.session.add(criterion)
            existing[criterion.code] = criterion
        criterion.case_study_id, criterion.position = case.id, criterion_spec.position
        criterion.title, criterion.description = criterion_spec.title, criterion_spec.description
        criterion.key_activity = activities[criterion_spec.key_activity]
        criterion.levels = {str(k): v for k, v in criterion_spec.levels.items()}
        criterion.retired_at = None
        seen.add(criterion.code)


def _url_map(spec: CourseSpec) -> dict[PurePosixPath, str]:
    """Where each lesson and toolbox file of the course is served."""
    urls: dict[PurePosixPath, str] = {}
    for module in spec.modules:
        for lesson in module.lessons:
            urls[PurePosixPath(lesson.path.as_posix())] = path_for(
                "courses.lesson", course_slug=spec.slug, lesson_slug=lesson.slug
            )
        for item in module.toolbox:
            urls[PurePosixPath(item.path.as_posix())] = path_for(
                "courses.toolbox_item", course_slug=spec.slug, item_slug=item.slug
            )
    return urls


def _resolver(source: Path, urls: dict[PurePosixPath, str]) -> Callable[[str], str | None]:
    def resolve(href: str) -> str | None:
        target = link_target(source, href)
        if target is None:
            return None
        anchor = href.split("#", 1)[1] if "#" in href else ""
        url = urls.get(target)
        return f"{url}#{anchor}" if url and anchor else url

    return resolve


def _record_version(course: Course, spec: CourseSpec) -> bool:
    latest = db.session.scalar(
        sa.select(ContentVersion)
        .filter_by(course_id=course.id)
        .order_by(ContentVersion.number.desc())
        .limit(1)
    )
    if latest is not None and latest.digest == spec.digest:
        course.current_version = latest
        db.session.flush()
        return False
    version = ContentVersion(
        course_id=course.id,
        number=(latest.number + 1) if latest else 1,
        digest=spec.digest,
        snapshot=assessment_snapshot(spec),
    )
    db.session.add(version)
    db.session.flush()
    course.current_version = version
    db.session.flush()
    audit.record(
        "course.imported", "courses", course.id, version=version.number, digest=spec.digest
    )
    return True


def assessment_snapshot(spec: CourseSpec) -> dict[str, Any]:
    """The rules a submission made against this version is graded by."""
    weights = spec.profile.priority_weights
    activities = {ka.code: ka for ka in spec.profile.key_activities}
    return {
        "course": spec.slug,
        "pass_mark": spec.pass_mark,
        "min_level_by_priority": spec.min_level_by_priority,
        "max_attempts": spec.max_attempts,
        "validity_years": spec.validity_years,
        "priority_weights": weights,
        "key_activities": [
            {
                "code": ka.code,
                "title": ka.title,
                "priority": ka.priority,
                "weight": weights[ka.priority],
            }
            for ka in spec.profile.key_activities
        ],
        "modules": [
            {
                "slug": module.slug,
                "title": module.title,
                "key_activity": module.key_activity,
                "criteria": [
                    {
                        "code": c.code,
                        "title": c.title,
                        "key_activity": c.key_activity,
                        "priority": activities[c.key_activity].priority,
                        "weight": weights[activities[c.key_activity].priority],
                        "levels": {str(k): v for k, v in c.levels.items()},
                    }
                    for c in module.criteria
                ],
            }
            for module in spec.modules
        ],
    }


# --- Reading ------------------------------------------------------------------------------


def set_lesson_completed(user_id: int, lesson: Lesson, completed: bool) -> None:
    """Mark a lesson complete (or not) for a trainee; doing it twice changes nothing."""
    row = db.session.get(LessonCompletion, (user_id, lesson.id))
    if completed and row is None:
        db.session.add(LessonCompletion(user_id=user_id, lesson_id=lesson.id))
        db.session.flush()
        lesson_completed.send(
            current_app._get_current_object(), user_id=user_id, course_id=lesson.course_id
        )
    elif not completed and row is not None:
        db.session.delete(row)
        db.session.flush()


def active_lessons(course: Course) -> Iterable[Lesson]:
    return db.session.scalars(
        sa.select(Lesson)
        .join(Module)
        .where(
            Lesson.course_id == course.id, Lesson.retired_at.is_(None), Module.retired_at.is_(None)
        )
        .order_by(Module.position, Lesson.position)
    )
