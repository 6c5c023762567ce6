"""Read and check the course folders (`courses/`): pure file work, no database.

`load_content(root)` returns the courses it could read and every problem it found, each with the
file and line, so `lms courses validate` can report them all at once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from lms.courses.models import DEFAULT_PRIORITY_WEIGHTS, PRIORITIES, AccreditationRule

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NUMBERED = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
KA_CODE = re.compile(r"^KA[1-9][0-9]?$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
LEVELS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class KeyActivitySpec:
    code: str
    title: str
    description: str
    priority: str
    position: int


@dataclass
class ProfileSpec:
    slug: str
    title: str
    mission: str
    source_title: str
    licence: str
    attribution: str
    priority_weights: dict[str, int]
    key_activities: list[KeyActivitySpec]
    path: Path

    def activity(self, code: str) -> KeyActivitySpec | None:
        return next((ka for ka in self.key_activities if ka.code == code), None)


@dataclass
class LessonSpec:
    slug: str
    position: int
    title: str
    minutes: int
    required: bool
    body: str
    path: Path


@dataclass
class ToolboxSpec:
    slug: str
    title: str
    purpose: str
    when_to_use: str
    body: str
    path: Path


@dataclass
class CriterionSpec:
    code: str
    title: str
    key_activity: str
    description: str
    levels: dict[int, str]
    position: int


@dataclass
class CaseStudySpec:
    title: str
    body: str
    marking_notes: str
    path: Path


@dataclass
class ModuleSpec:
    slug: str
    position: int
    title: str
    key_activity: str | None
    summary: str
    outcomes: list[str]
    path: Path
    lessons: list[LessonSpec] = field(default_factory=list)
    toolbox: list[ToolboxSpec] = field(default_factory=list)
    case_study: CaseStudySpec | None = None
    criteria: list[CriterionSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str
    profile: ProfileSpec
    language: str
    pass_mark: int
    min_level_by_priority: dict[str, int]
    max_attempts: int
    validity_years: int
    accreditation: AccreditationRule
    path: Path
    digest: str = ""
    modules: list[ModuleSpec] = field(default_factory=list)


# --- YAML with line numbers --------------------------------------------------------------


class LinedDict(dict[str, Any]):
    """A mapping that remembers the line of each key."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):  # type: ignore[no-untyped-def]
    data = LinedDict()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node))
    data.key_lines = {
        str(key.value): key.start_mark.line + 1
        for key, _value in node.value
        if isinstance(key, yaml.ScalarNode)
    }


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


class _Reader:
    """Collects problems while reading files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent if self.root.is_file() else self.root))
        except ValueError:
            return str(path)

    def problem(self, path: Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message))

    def yaml_file(self, path: Path, first_line: int = 1, text: str | None = None) -> Any:
        try:
            source = path.read_text("utf-8") if text is None else text
            data = yaml.load(source, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
        except (OSError, UnicodeDecodeError) as error:
            self.problem(path, None, f"cannot be read: {error}")
            return None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + first_line if mark else first_line
            reason = getattr(error, "problem", None) or str(error)
            self.problem(path, line, f"malformed YAML: {reason}")
            return None
        if data is None:
            self.problem(path, first_line, "the file is empty")
        if isinstance(data, LinedDict) and first_line != 1:
            _shift_lines(data, first_line - 1)
        return data

    def mapping(self, path: Path, data: Any, what: str) -> LinedDict | None:
        """`data` if it is a mapping; None (already reported when unreadable) otherwise."""
        if data is None:
            return None
        if not isinstance(data, LinedDict):
            self.problem(path, 1, f"{what} must be a YAML mapping")
            return None
        return data

    def text(self, path: Path, data: LinedDict, key: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(path, data.line_of(key), f"'{key}' is missing or empty")
            return ""
        if not isinstance(value, str | int | float):
            self.problem(path, data.line_of(key), f"'{key}' must be text")
            return ""
        return str(value).strip()

    def integer(
        self, path: Path, data: LinedDict, key: str, low: int, high: int, default: int | None = None
    ) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, data.line_of(key), f"'{key}' must be a whole number")
            return default or low
        if not low <= value <= high:
            self.problem(path, data.line_of(key), f"'{key}' must be between {low} and {high}")
        return value

    def front_matter(self, path: Path) -> tuple[LinedDict | None, str]:
        """Split a Markdown file into its YAML front matter and body."""
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.problem(path, None, f"cannot be read: {error}")
            return None, ""
        lines = text.splitlines()
        if not lines or lines[0].strip() != "---":
            self.problem(path, 1, "front matter missing: the file must start with a '---' line")
            return None, text
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        except StopIteration:
            self.problem(path, 1, "front matter is not closed by a '---' line")
            return None, text
        data = self.yaml_file(path, first_line=2, text="\n".join(lines[1:end]))
        body = "\n".join(lines[end + 1 :]).strip() + "\n"
        if data is None:
            return None, body
        return self.mapping(path, data, "front matter"), body


def _shift_lines(data: Any, offset: int) -> None:
    if isinstance(data, LinedDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in getattr(data, "key_lines", {}).items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, list):
        for value in data:
            _shift_lines(value, offset)


# --- Profiles ---------------------------------------------------------------------------


def _read_profile(reader: _Reader, path: Path) -> ProfileSpec | None:
    data = reader.mapping(path, reader.yaml_file(path), "a job profile")
    if data is None:
        return None
    slug = reader.text(path, data, "slug")
    if slug and (not SLUG.match(slug) or slug != path.stem):
        reader.problem(
            path,
            data.line_of("slug"),
            f"slug '{slug}' must be lower-case words with dashes and match the file name",
        )
    weights = dict(DEFAULT_PRIORITY_WEIGHTS)
    raw_weights = data.get("priority_weights")
    if raw_weights is not None:
        if (
            not isinstance(raw_weights, dict)
            or set(raw_weights) - set(PRIORITIES)
            or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0
                for v in raw_weights.values()
            )
        ):
            reader.problem(
                path,
                data.line_of("priority_weights"),
                "priority_weights must map I..IV to positive whole numbers",
            )
        else:
            weights.update({str(k): int(v) for k, v in raw_weights.items()})
    source = data.get("source") if isinstance(data.get("source"), LinedDict) else LinedDict()
    if not source:
        reader.problem(path, data.line_of("source"), "'source' (title, licence) is missing")
    activities: list[KeyActivitySpec] = []
    raw = data.get("key_activities")
    if not isinstance(raw, list) or not raw:
        reader.problem(path, data.line_of("key_activities"), "'key_activities' must be a list")
        raw = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, LinedDict):
            reader.problem(path, data.line_of("key_activities"), "a key activity must be a mapping")
            continue
        code = reader.text(path, item, "id")
        if code and code != f"KA{position}":
            reader.problem(
                path,
                item.line_of("id"),
                f"key activity '{code}' should be 'KA{position}' (KA1..KAn in order)",
            )
        priority = reader.text(path, item, "priority")
        if priority and priority not in PRIORITIES:
            reader.problem(
                path,
                item.line_of("priority"),
                f"priority '{priority}' must be one of I, II, III, IV",
            )
        activities.append(
            KeyActivitySpec(
                code=code,
                title=reader.text(path, item, "title"),
                description=reader.text(path, item, "description"),
                priority=priority,
                position=position,
            )
        )
    return ProfileSpec(
        slug=slug,
        title=reader.text(path, data, "title"),
        mission=reader.text(path, data, "mission"),
        source_title=reader.text(path, source, "title") if source else "",
        licence=reader.text(path, source, "licence") if source else "",
        attribution=reader.text(path, source, "attribution", required=False) if source else "",
        priority_weights=weights,
        key_activities=activities,
        path=path,
    )


# --- Courses ----------------------------------------------------------------------------


def _read_course(
    reader: _Reader, folder: Path, profiles: dict[str, ProfileSpec]
) -> CourseSpec | None:
    path = folder / "course.yaml"
    data = reader.mapping(path, reader.yaml_file(path), "course.yaml")
    if data is None:
        return None
    slug = reader.text(path, data, "slug")
    if slug and slug != folder.name:
        reader.problem(path, data.line_of("slug"), f"slug '{slug}' must match the folder name")
    profile_slug = reader.text(path, data, "profile")
    profile = profiles.get(profile_slug)
    if profile is None:
        if profile_slug:
            reader.problem(
                path,
                data.line_of("profile"),
                f"unknown profile '{profile_slug}' (no profiles/{profile_slug}.yaml)",
            )
        return None
    language = reader.text(path, data, "language")
    if language and not _is_language_code(language):
        reader.problem(
            path,
            data.line_of("language"),
            f"language '{language}' is not a language code such as en, de or fr",
        )
    rule = reader.text(path, data, "accreditation")
    if rule and rule not in {r.value for r in AccreditationRule}:
        reader.problem(
            path, data.line_of("accreditation"), "accreditation must be 'automatic' or 'approval'"
        )
        rule = AccreditationRule.AUTOMATIC.value
    minimums = data.get("min_level_by_priority", {"I": 2, "II": 2})
    if (
        not isinstance(minimums, dict)
        or set(minimums) - set(PRIORITIES)
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 4
            for v in minimums.values()
        )
    ):
        reader.problem(
            path,
            data.line_of("min_level_by_priority"),
            "min_level_by_priority must map I..IV to levels 0..4",
        )
        minimums = {}
    course = CourseSpec(
        slug=slug,
        title=reader.text(path, data, "title"),
        summary=reader.text(path, data, "summary"),
        profile=profile,
        language=language,
        pass_mark=reader.integer(path, data, "pass_mark", 0, 100, 70),
        min_level_by_priority={str(k): int(v) for k, v in minimums.items()},
        max_attempts=reader.integer(path, data, "max_attempts", 1, 20, 3),
        validity_years=reader.integer(path, data, "validity_years", 1, 20, 3),
        accreditation=AccreditationRule(rule or "automatic"),
        path=folder,
    )
    folders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    for position, module_folder in enumerate(folders, start=1):
        module = _read_module(reader, module_folder, position, course)
        if module is not None:
            course.modules.append(module)
    _check_course(reader, course)
    return course


def _read_module(
    reader: _Reader, folder: Path, position: int, course: CourseSpec
) -> ModuleSpec | None:
    match = NUMBERED.match(folder.name)
    if not match:
        reader.problem(
            folder, None, "module folders are named NN-slug (e.g. 02-strategic-partnership)"
        )
        return None
    path = folder / "module.yaml"
    if not path.exists():
        reader.problem(folder, None, "module.yaml is missing")
        return None
    data = reader.mapping(path, reader.yaml_file(path), "module.yaml")
    if data is None:
        return None
    key_activity = data.get("key_activity")
    if key_activity is not None:
        key_activity = str(key_activity)
        if course.profile.activity(key_activity) is None:
            reader.problem(
                path,
                data.line_of("key_activity"),
                f"unknown key activity '{key_activity}' (not in profile '{course.profile.slug}')",
            )
    outcomes = data.get("outcomes")
    if not isinstance(outcomes, list) or not all(
        isinstance(o, str) and o.strip() for o in outcomes
    ):
        reader.problem(path, data.line_of("outcomes"), "'outcomes' must be a list of sentences")
        outcomes = []
    module = ModuleSpec(
        slug=match.group(2),
        position=position,
        title=reader.text(path, data, "title"),
        key_activity=key_activity,
        summary=reader.text(path, data, "summary"),
        outcomes=[o.strip() for o in outcomes],
        path=folder,
    )
    lesson_dir = folder / "lessons"
    lesson_files = sorted(lesson_dir.glob("*.md")) if lesson_dir.is_dir() else []
    if not lesson_files:
        reader.problem(folder, None, "the module has no lessons (lessons/NN-slug.md)")
    for index, lesson_path in enumerate(lesson_files, start=1):
        lesson = _read_lesson(reader, lesson_path, index)
        if lesson is not None:
            module.lessons.append(lesson)
    toolbox_dir = folder / "toolbox"
    for item_path in sorted(toolbox_dir.glob("*.md")) if toolbox_dir.is_dir() else []:
        item = _read_toolbox(reader, item_path)
        if item is not None:
            module.toolbox.append(item)
    _read_assessment(reader, module)
    return module


def _read_lesson(reader: _Reader, path: Path, position: int) -> LessonSpec | None:
    match = NUMBERED.match(path.stem)
    if not match:
        reader.problem(path, None, "lesson files are named NN-slug.md (e.g. 01-why-partner.md)")
        return None
    meta, body = reader.front_matter(path)
    if meta is None:
        return None
    required = meta.get("required", True)
    if not isinstance(required, bool):
        reader.problem(path, meta.line_of("required"), "'required' must be true or false")
        required = True
    if not body.strip():
        reader.problem(path, None, "the lesson has no text")
    return LessonSpec(
        slug=match.group(2),
        position=position,
        title=reader.text(path, meta, "title"),
        minutes=reader.integer(path, meta, "minutes", 1, 600, None),
        required=required,
        body=body,
        path=path,
    )


def _read_toolbox(reader: _Reader, path: Path) -> ToolboxSpec | None:
    if not SLUG.match(path.stem):
        reader.problem(path, None, "toolbox files are named slug.md (lower case, dashes)")
        return None
    meta, body = reader.front_matter(path)
    if meta is None:
        return None
    return ToolboxSpec(
        slug=path.stem,
        title=reader.text(path, meta, "title"),
        purpose=reader.text(path, meta, "purpose"),
        when_to_use=reader.text(path, meta, "when_to_use"),
        body=body,
        path=path,
    )


def _read_assessment(reader: _Reader, module: ModuleSpec) -> None:
    case_path = module.path / "case-study.md"
    rubric_path = module.path / "rubric.yaml"
    notes_path = module.path / "marking-notes.md"
    if module.key_activity is None:
        for extra in (case_path, rubric_path):
            if extra.exists():
                reader.problem(
                    extra,
                    None,
                    "an introductory module (no key_activity) has no "
                    "case study or rubric; give the module a key_activity",
                )
        return
    if not case_path.exists():
        reader.problem(
            module.path, None, f"module for {module.key_activity} has no case study (case-study.md)"
        )
    else:
        meta, body = reader.front_matter(case_path)
        if meta is not None:
            notes = notes_path.read_text("utf-8") if notes_path.exists() else ""
            module.case_study = CaseStudySpec(
                title=reader.text(case_path, meta, "title"),
                body=body,
                marking_notes=notes,
                path=case_path,
            )
    if not rubric_path.exists():
        reader.problem(
            module.path, None, f"module for {module.key_activity} has no rubric (rubric.yaml)"
        )
        return
    data = reader.mapping(rubric_path, reader.yaml_file(rubric_path), "rubric.yaml")
    if data is None:
        return
    criteria = data.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        reader.problem(rubric_path, data.line_of("criteria"), "'criteria' must be a non-empty list")
        return
    for position, item in enumerate(criteria, start=1):
        if not isinstance(item, LinedDict):
            reader.problem(rubric_path, data.line_of("criteria"), "a criterion must be a mapping")
            continue
        module.criteria.append(_read_criterion(reader, rubric_path, item, position))


def _read_criterion(reader: _Reader, path: Path, item: LinedDict, position: int) -> CriterionSpec:
    code = reader.text(path, item, "id")
    if code and not SLUG.match(code):
        reader.problem(path, item.line_of("id"), f"criterion id '{code}' must be lower-case-dashed")
    key_activity = item.get("key_activity")
    if key_activity is None or not str(key_activity).strip():
        reader.problem(
            path,
            item.line_of("id"),
            f"criterion '{code}' has no key_activity: every criterion must name one",
        )
        key_activity = ""
    levels_raw = item.get("levels")
    levels: dict[int, str] = {}
    if not isinstance(levels_raw, dict):
        reader.problem(
            path,
            item.line_of("levels"),
            f"criterion '{code}' needs 'levels' 0-4, each with a descriptor",
        )
    else:
        for level in LEVELS:
            descriptor = levels_raw.get(level, levels_raw.get(str(level)))
            if not isinstance(descriptor, str) or not descriptor.strip():
                reader.problem(
                    path,
                    item.line_of("levels"),
                    f"criterion '{code}' is missing the descriptor for level {level}",
                )
            else:
                levels[level] = descriptor.strip()
        extra = {str(k) for k in levels_raw} - {str(level) for level in LEVELS}
        if extra:
            reader.problem(
                path,
                item.line_of("levels"),
                f"criterion '{code}' has levels outside 0-4: {', '.join(sorted(extra))}",
            )
    return CriterionSpec(
        code=code,
        title=reader.text(path, item, "title"),
        key_activity=str(key_activity),
        description=reader.text(path, item, "description"),
        levels=levels,
        position=position,
    )


def _check_course(reader: _Reader, course: CourseSpec) -> None:
    """Rules that span files: coverage of the profile, order, unique slugs, links."""
    profile = course.profile
    by_activity: dict[str, list[ModuleSpec]] = {}
    for module in course.modules:
        if module.key_activity:
            by_activity.setdefault(module.key_activity, []).append(module)
        for criterion in module.criteria:
            if criterion.key_activity and profile.activity(criterion.key_activity) is None:
                reader.problem(
                    module.path / "rubric.yaml",
                    None,
                    f"criterion '{criterion.code}' names unknown key activity "
                    f"'{criterion.key_activity}'",
                )
    assessed_activities = {c.key_activity for m in course.modules for c in m.criteria}
    for activity in profile.key_activities:
        modules = by_activity.get(activity.code, [])
        if not modules:
            reader.problem(
                course.path / "course.yaml",
                None,
                f"key activity {activity.code} ({activity.title}) has no module: "
                "the course must cover every key activity of its profile",
            )
        elif len(modules) > 1:
            reader.problem(
                modules[1].path / "module.yaml",
                None,
                f"key activity {activity.code} already has module '{modules[0].slug}'",
            )
        if activity.code not in assessed_activities:
            reader.problem(
                course.path / "course.yaml",
                None,
                f"key activity {activity.code} is not assessed by any rubric criterion",
            )
    order = [
        profile.activity(m.key_activity).position  # type: ignore[union-attr]
        for m in course.modules
        if m.key_activity and profile.activity(m.key_activity)
    ]
    if order != sorted(order):
        reader.problem(
            course.path,
            None,
            "key-activity modules must follow the profile's order (KA1, KA2, ...)",
        )
    _check_unique(reader, course.path, "module", [(m.slug, m.path) for m in course.modules])
    _check_unique(
        reader,
        course.path,
        "lesson",
        [(lesson.slug, lesson.path) for m in course.modules for lesson in m.lessons],
    )
    _check_unique(
        reader,
        course.path,
        "toolbox item",
        [(t.slug, t.path) for m in course.modules for t in m.toolbox],
    )
    _check_unique(
        reader,
        course.path,
        "rubric criterion",
        [(c.code, m.path / "rubric.yaml") for m in course.modules for c in m.criteria],
    )
    _check_links(reader, course)


def _check_unique(reader: _Reader, folder: Path, kind: str, items: list[tuple[str, Path]]) -> None:
    seen: dict[str, Path] = {}
    for slug, path in items:
        if not slug:
            continue
        if slug in seen:
            reader.problem(
                path, None, f"duplicate {kind} slug '{slug}' (also in {reader.rel(seen[slug])})"
            )
        else:
            seen[slug] = path


def link_target(source: Path, href: str) -> PurePosixPath | None:
    """The file a relative link in `source` points to, or None for external links and anchors."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith(("#", "/")):
        return None
    target = href.split("#", 1)[0]
    if not target:
        return None
    parts: list[str] = list(PurePosixPath(source.parent.as_posix()).parts)
    for part in PurePosixPath(target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def _check_links(reader: _Reader, course: CourseSpec) -> None:
    known = {PurePosixPath(lesson.path.as_posix()) for m in course.modules for lesson in m.lessons}
    known |= {PurePosixPath(t.path.as_posix()) for m in course.modules for t in m.toolbox}
    documents: list[tuple[Path, str]] = []
    for module in course.modules:
        documents += [(lesson.path, lesson.body) for lesson in module.lessons]
        documents += [(item.path, item.body) for item in module.toolbox]
        if module.case_study:
            documents.append((module.case_study.path, module.case_study.body))
    for path, body in documents:
        for number, line in enumerate(body.splitlines(), start=1):
            for href in LINK.findall(line):
                target = link_target(path, href)
                if target is not None and target not in known:
                    reader.problem(
                        path,
                        _body_line(path, number),
                        f"broken link '{href}': no such lesson or toolbox item",
                    )


def _body_line(path: Path, number: int) -> int:
    """Turn a body line number into a file line number (front matter comes first)."""
    try:
        lines = path.read_text("utf-8").splitlines()
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except (OSError, StopIteration, UnicodeDecodeError):
        return number
    offset = end + 1
    while offset < len(lines) and not lines[offset].strip():
        offset += 1
    return number + offset


def _digest(course_folder: Path, profile_path: Path) -> str:
    sha = hashlib.sha256()
    files = sorted(p for p in course_folder.rglob("*") if p.is_file()) + [profile_path]
    for path in files:
        sha.update(path.relative_to(course_folder.parent).as_posix().encode())
        sha.update(b"\0")
        sha.update(path.read_bytes())
        sha.update(b"\0")
    return sha.hexdigest()


def _course_folders(root: Path) -> list[Path]:
    """The folders under `root` that hold a course (a course.yaml), in name order."""
    return [p for p in sorted(root.iterdir()) if p.is_dir() and (p / "course.yaml").exists()]


def folder_digests(root: Path) -> dict[str, str] | None:
    """Each course folder's digest (as `load_content` computes it), without parsing lessons:
    enough to tell that nothing changed since the last import. None where a folder cannot be
    read this simply (a broken course.yaml, a profile file named otherwise than its slug),
    so that the full reading reports it."""
    digests: dict[str, str] = {}
    folders = _course_folders(root)
    for folder in folders:
        try:
            data = yaml.safe_load((folder / "course.yaml").read_text("utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None
        profile = data.get("profile") if isinstance(data, dict) else None
        profile_path = root / "profiles" / f"{profile}.yaml"
        if not isinstance(profile, str) or not profile_path.is_file():
            return None
        digests[folder.name] = _digest(folder, profile_path)
    return digests or None


def load_content(root: Path) -> tuple[list[CourseSpec], list[Problem]]:
    """Read every profile and course under `root`; return the courses and all problems."""
    reader = _Reader(root)
    if not root.is_dir():
        reader.problem(root, None, "no such folder")
        return [], reader.problems
    profiles: dict[str, ProfileSpec] = {}
    profile_dir = root / "profiles"
    for path in sorted(profile_dir.glob("*.yaml")) if profile_dir.is_dir() else []:
        profile = _read_profile(reader, path)
        if profile is not None and profile.slug:
            if profile.slug in profiles:
                reader.problem(path, None, f"duplicate profile slug '{profile.slug}'")
            profiles[profile.slug] = profile
    courses: list[CourseSpec] = []
    folders = _course_folders(root)
    for folder in folders:
        course = _read_course(reader, folder, profiles)
        if course is not None:
            course.digest = _digest(folder, course.profile.path)
            courses.append(course)
    if not folders:
        reader.problem(root, None, "no course found (a folder with course.yaml)")
    return courses, reader.problems


def _is_language_code(code: str) -> bool:
    """Whether `code` names a language (BCP 47, such as "en" or "de-CH"), so pages can say so."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True
