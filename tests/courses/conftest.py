"""A small, valid course tree to copy and break, and the shipped courses imported."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.db import db

LEVELS = {i: f"Level {i} - what is present at level {i}." for i in range(5)}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def rubric(*criteria: tuple[str, str]) -> str:
    lines = ["criteria:"]
    for code, activity in criteria:
        lines += [
            f"  - id: {code}",
            f"    title: {code} title",
            f"    key_activity: {activity}",
            "    description: What the trainer looks for.",
            "    levels:",
        ]
        lines += [f"      {level}: {text}" for level, text in LEVELS.items()]
    return "\n".join(lines) + "\n"


def lesson(title: str, body: str = "Some teaching text.", required: bool = True) -> str:
    return f"---\ntitle: {title}\nminutes: 10\nrequired: {str(required).lower()}\n---\n\n{body}\n"


@pytest.fixture
def mini_courses(tmp_path: Path) -> Path:
    """courses/ with one profile (KA1, KA2) and one course covering both."""
    root = tmp_path / "courses"
    write(
        root / "profiles" / "mini-profile.yaml",
        """
        slug: mini-profile
        title: Mini profile
        mission: Help small firms.
        source:
          title: Test source
          licence: CC BY-SA 3.0
        key_activities:
          - id: KA1
            title: First activity
            priority: II
            description: Do the first thing.
          - id: KA2
            title: Second activity
            priority: I
            description: Do the second thing.
    """,
    )
    course = root / "mini-course"
    write(
        course / "course.yaml",
        """
        slug: mini-course
        title: Mini course
        summary: A course for tests.
        profile: mini-profile
        language: en
        pass_mark: 70
        min_level_by_priority: {I: 2}
        max_attempts: 2
        validity_years: 2
        accreditation: automatic
    """,
    )
    write(
        course / "00-intro" / "module.yaml",
        """
        title: Introduction
        summary: Getting started.
        outcomes:
          - Explain the basics.
    """,
    )
    write(
        course / "00-intro" / "lessons" / "01-welcome.md",
        lesson("Welcome", "Read [the next one](02-next.md) and [the tool](../toolbox/a-tool.md)."),
    )
    write(course / "00-intro" / "lessons" / "02-next.md", lesson("Next", required=False))
    write(
        course / "00-intro" / "toolbox" / "a-tool.md",
        "---\ntitle: A tool\npurpose: Helps.\nwhen_to_use: Early.\n---\n\n## Steps\n1. Go.\n",
    )
    for number, activity in (("01", "KA1"), ("02", "KA2")):
        folder = course / f"{number}-{activity.lower()}"
        write(
            folder / "module.yaml",
            f"""
            title: Module for {activity}
            key_activity: {activity}
            summary: Teaches {activity}.
            outcomes:
              - Do {activity}.
        """,
        )
        write(
            folder / "lessons" / "01-first.md".replace("first", f"first-{activity.lower()}"),
            lesson(f"First lesson of {activity}", f"## Method\n\nStep one for {activity}.\n"),
        )
        write(
            folder / "case-study.md",
            f"---\ntitle: Case {activity}\n---\n\n## Your tasks\n1. Act.\n",
        )
        write(folder / "rubric.yaml", rubric((f"{activity.lower()}-quality", activity)))
        write(folder / "marking-notes.md", "Strong answers do X.\n")
    return root


def enrol(course_id: int, *members: tuple[object, MemberRole], name: str = "Test cohort") -> Cohort:
    today = dt.date.today()
    cohort = Cohort(course_id=course_id, name=name, starts_on=today, ends_on=today)
    db.session.add(cohort)
    db.session.flush()
    for user, role in members:
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=role))
    db.session.flush()
    return cohort
