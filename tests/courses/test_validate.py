"""`lms courses validate` passes on the shipped courses and names file and reason for each rule."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.courses.content import load_content
from lms.courses.models import Course
from lms.db import db
from tests.courses.conftest import LEVELS, lesson, rubric, write


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in load_content(root)[1]]


def test_the_shipped_courses_are_valid(runner):
    result = runner.invoke(args=["courses", "validate"])
    assert result.exit_code == 0, result.output
    assert "2 course(s)" in result.output


def test_the_mini_course_is_valid(mini_courses):
    assert problems_of(mini_courses) == []


def _break(root: Path, rule: str) -> None:
    course = root / "mini-course"
    match rule:
        case "unknown key activity":
            (course / "02-ka2" / "module.yaml").write_text(
                "title: X\nkey_activity: KA9\nsummary: S\noutcomes: [Do]\n"
            )
        case "uncovered key activity":
            for name in ("module.yaml", "case-study.md", "rubric.yaml"):
                (course / "02-ka2" / name).unlink()
            (course / "02-ka2" / "module.yaml").write_text("title: X\nsummary: S\noutcomes: [Do]\n")
        case "module without case study":
            (course / "01-ka1" / "case-study.md").unlink()
        case "criterion without key activity":
            (course / "01-ka1" / "rubric.yaml").write_text(
                rubric(("ka1-quality", "KA1")).replace("    key_activity: KA1\n", "")
            )
        case "missing level":
            (course / "01-ka1" / "rubric.yaml").write_text(
                rubric(("ka1-quality", "KA1")).replace(f"      3: {LEVELS[3]}\n", "")
            )
        case "empty descriptor":
            (course / "01-ka1" / "rubric.yaml").write_text(
                rubric(("ka1-quality", "KA1")).replace(f"      4: {LEVELS[4]}", "      4: ''")
            )
        case "duplicate slug":
            write(course / "01-ka1" / "lessons" / "02-welcome.md", lesson("Again"))
        case "broken link":
            write(
                course / "01-ka1" / "lessons" / "02-links.md",
                lesson("Links", "Intro line.\n\nSee [gone](03-missing.md)."),
            )
        case "malformed yaml":
            (course / "course.yaml").write_text("slug: mini-course\ntitle: [unclosed\n")
        case "malformed front matter":
            write(course / "01-ka1" / "lessons" / "02-bad.md", "---\ntitle: Bad\nminutes: ten\n")
        case "key activities out of order":
            (course / "01-ka1").rename(course / "03-ka1")
        case _:
            raise AssertionError(rule)


@pytest.mark.parametrize(
    ("rule", "where", "reason"),
    [
        ("unknown key activity", "02-ka2/module.yaml:2", "unknown key activity 'KA9'"),
        ("uncovered key activity", "course.yaml", "KA2 (Second activity) has no module"),
        ("module without case study", "01-ka1", "has no case study"),
        ("criterion without key activity", "01-ka1/rubric.yaml:2", "has no key_activity"),
        ("missing level", "01-ka1/rubric.yaml", "missing the descriptor for level 3"),
        ("empty descriptor", "01-ka1/rubric.yaml", "missing the descriptor for level 4"),
        ("duplicate slug", "02-welcome.md", "duplicate lesson slug 'welcome'"),
        ("broken link", "02-links.md:9", "broken link '03-missing.md'"),
        ("malformed yaml", "course.yaml:3", "malformed YAML"),
        ("malformed front matter", "02-bad.md:1", "front matter is not closed"),
        ("key activities out of order", "mini-course", "must follow the profile's order"),
    ],
)
def test_each_broken_rule_is_reported_with_file_and_reason(mini_courses, rule, where, reason):
    _break(mini_courses, rule)
    found = problems_of(mini_courses)
    assert any(where in p and reason in p for p in found), found


def test_the_command_fails_names_the_problem_and_changes_nothing(runner, db_session, mini_courses):
    _break(mini_courses, "module without case study")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Course))
    result = runner.invoke(args=["courses", "validate", str(mini_courses)])
    assert result.exit_code != 0
    assert "01-ka1: module for KA1 has no case study" in result.output
    imported = runner.invoke(args=["courses", "import", str(mini_courses)])
    assert imported.exit_code != 0
    assert "nothing was imported" in imported.output
    assert "Traceback" not in imported.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == before


def test_a_lesson_with_a_bad_minutes_value_is_reported(mini_courses):
    path = mini_courses / "mini-course" / "01-ka1" / "lessons" / "01-first-ka1.md"
    path.write_text(path.read_text().replace("minutes: 10", "minutes: ten"))
    assert any(
        "01-first-ka1.md:3" in p and "'minutes' must be a whole number" in p
        for p in problems_of(mini_courses)
    )
