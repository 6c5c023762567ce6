"""Importing is idempotent, versions content, and keeps trainees' progress."""

import sqlalchemy as sa

from lms.courses.models import ContentVersion, Course, Lesson, LessonCompletion, Module
from lms.courses.services import import_path, set_lesson_completed
from lms.db import db
from tests.conftest import assert_inert_html
from tests.courses.conftest import lesson, write
from tests.factories import trainee


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_import_is_idempotent(app_ctx, mini_courses):
    first = import_path(mini_courses)
    counts = {m: _count(m) for m in (Course, Module, Lesson, ContentVersion)}
    second = import_path(mini_courses)
    assert first.new_versions == ["mini-course"]
    assert second.unchanged == ["mini-course"]
    assert {m: _count(m) for m in counts} == counts


def test_an_unchanged_tree_is_not_read_again_when_asked_and_a_changed_one_is(
    app_ctx, mini_courses, monkeypatch
):
    from lms.courses import services

    import_path(mini_courses)
    reads: list[object] = []
    real_load = services.load_content
    monkeypatch.setattr(
        services, "load_content", lambda root: reads.append(root) or real_load(root)
    )
    again = import_path(mini_courses, skip_if_unchanged=True)
    assert again.unchanged == ["mini-course"]
    assert reads == []
    import_path(mini_courses)  # the command always reads and validates everything
    assert len(reads) == 1
    intro = mini_courses / "mini-course" / "00-intro" / "lessons"
    write(intro / "01-welcome.md", lesson("Welcome, revised", "Changed text."))
    changed = import_path(mini_courses, skip_if_unchanged=True)
    assert changed.new_versions == ["mini-course"]
    assert len(reads) == 2


def test_reimport_updates_content_and_keeps_progress(app_ctx, mini_courses):
    import_path(mini_courses)
    learner = trainee()
    course = db.session.scalar(sa.select(Course).filter_by(slug="mini-course"))
    welcome = db.session.scalar(sa.select(Lesson).filter_by(course_id=course.id, slug="welcome"))
    nxt = db.session.scalar(sa.select(Lesson).filter_by(course_id=course.id, slug="next"))
    set_lesson_completed(learner.id, welcome, True)
    set_lesson_completed(learner.id, nxt, True)

    intro = mini_courses / "mini-course" / "00-intro" / "lessons"
    write(
        intro / "01-welcome.md",
        lesson("Welcome, revised", "New text. See [tool](../toolbox/a-tool.md)."),
    )
    (intro / "02-next.md").unlink()
    summary = import_path(mini_courses)

    assert summary.new_versions == ["mini-course"]
    db.session.expire_all()
    assert welcome.title == "Welcome, revised"
    assert "New text" in welcome.body_html
    assert nxt.retired_at is not None
    assert _count(LessonCompletion) == 2
    versions = db.session.scalars(
        sa.select(ContentVersion.number).filter_by(course_id=course.id)
    ).all()
    assert sorted(versions) == [1, 2]
    assert course.current_version.number == 2
    assert [lesson.slug for lesson in course.modules[0].lessons] == ["welcome"]


def test_links_between_lessons_become_site_links(app_ctx, mini_courses):
    import_path(mini_courses)
    welcome = db.session.scalar(sa.select(Lesson).filter_by(slug="welcome"))
    assert 'href="/courses/mini-course/lessons/next"' in welcome.body_html
    assert 'href="/courses/mini-course/toolbox/a-tool"' in welcome.body_html


def test_script_in_markdown_is_rendered_inert(app_ctx, mini_courses):
    payloads = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3))\n\n<svg onload=alert(4)>\n\n"
        "[d](data:text/html;base64,PHNjcmlwdD4=)\n"
    )
    write(
        mini_courses / "mini-course" / "00-intro" / "lessons" / "02-next.md",
        lesson("Next", payloads, required=False),
    )
    import_path(mini_courses)
    html = db.session.scalar(sa.select(Lesson).filter_by(slug="next")).body_html
    assert_inert_html(html)


def test_encoded_script_links_are_rendered_inert():
    from lms.markdown import render_user_text

    for source in (
        "[e](JaVaScRiPt&#58;alert(5))",
        "[e](&#106;avascript:alert(1))",
        "[e](java\nscript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "[x](vbscript:msgbox(1))",
    ):
        assert_inert_html(render_user_text(source))


def test_version_snapshot_records_the_grading_rules(app_ctx, mini_courses):
    import_path(mini_courses)
    course = db.session.scalar(sa.select(Course).filter_by(slug="mini-course"))
    snapshot = course.current_version.snapshot
    assert snapshot["pass_mark"] == 70
    ka2 = next(m for m in snapshot["modules"] if m["key_activity"] == "KA2")
    assert ka2["criteria"][0]["priority"] == "I"
    assert ka2["criteria"][0]["weight"] == 4


def test_shipped_courses_import_with_their_structure(shipped_courses):
    coach = db.session.scalar(sa.select(Course).filter_by(slug="accredited-cooperation-coach"))
    assert [m.key_activity.code if m.key_activity else None for m in coach.modules] == [
        None,
        "KA1",
        "KA2",
        "KA3",
        "KA4",
    ]
    for module in coach.modules[1:]:
        assert len(module.lessons) >= 3
        assert module.case_study is not None
        assert len(module.case_study.criteria) >= 3
        for lesson_row in module.lessons:
            assert len(lesson_row.body_markdown.split()) >= 500, lesson_row.slug
    oi = db.session.scalar(sa.select(Course).filter_by(slug="open-innovation-for-smes"))
    assert oi.profile.slug == "open-innovation-facilitator"
    assert len([m for m in oi.modules if m.key_activity]) == 5
