"""What trainees and trainers see on their home page, checked against the seeded dataset."""

from __future__ import annotations

import pytest

from lms.assessments.models import SubmissionState
from lms.reports import dashboards
from tests.conftest import login


@pytest.fixture
def ctx(app, data):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        yield data


def test_trainee_sees_progress_next_step_attempts_feedback_and_certificates(ctx):
    board = dashboards.trainee_dashboard(ctx.t2)
    (card,) = board["cards"]
    assert card.course.id == ctx.course.id
    assert card.progress.done == 0
    assert card.progress.total > 0
    first_required = next(
        lesson for m in ctx.course.modules for lesson in m.lessons if lesson.required
    )
    assert card.next_step.kind == "lesson"
    assert card.next_step.lesson.id == first_required.id
    states = {module.id: (state, left) for module, state, left in card.modules}
    assert states[ctx.m1.id] == (SubmissionState.PASSED, 1)  # one of three attempts left
    assert states[ctx.m2.id] == (None, 3)
    submission, grade = board["feedback"][0]
    assert submission.attempt == 2
    assert grade.overall_feedback == "Level 3 throughout."
    assert [c.public_id for c in board["certificates"]] == ["CC-TEST-0003", "CC-TEST-0002"]


def test_next_step_is_the_case_study_once_lessons_are_read(ctx):
    from lms.courses.models import LessonCompletion
    from lms.db import db

    for module in ctx.course.modules:
        if module.position > ctx.m1.position:
            break
        for lesson in module.lessons:
            db.session.merge(LessonCompletion(user_id=ctx.t3.id, lesson_id=lesson.id))
    db.session.flush()
    step = dashboards.trainee_dashboard(ctx.t3)["cards"][0].next_step
    assert step.kind == "case_study"
    assert step.module.id == ctx.m1.id
    assert step.due_at is not None
    assert step.due_at.year == 2030
    assert step.attempts_left == 2


def test_trainer_queue_ageing(ctx):
    assert dashboards.queue_ageing(ctx.trainer) == {
        "submitted": 1,
        "in_review": 1,
        "under_2_days": 1,
        "2_to_7_days": 0,
        "over_7_days": 1,
    }


def test_progress_matrix_gives_each_cell_a_state(ctx):
    (matrix,) = dashboards.progress_matrices(ctx.trainer)
    cells = {user.name: row for user, row in matrix.rows}
    assert cells["Anna One"][ctx.m1.id] == ("passed", False)
    assert cells["Anna One"][ctx.m2.id] == ("in_review", False)
    assert cells["Ben Two"][ctx.m1.id] == ("passed", False)
    assert cells["Cleo Three"][ctx.m1.id] == ("failed", False)
    assert cells["Cleo Three"][ctx.m2.id] == ("in_progress", False)
    assert cells["Dan Four"][ctx.m1.id] == ("submitted", True)
    assert cells["Dan Four"][ctx.m2.id] == ("not_started", False)


def test_level_distribution_per_criterion(ctx):
    levels = {row.criterion.code: row for row in dashboards.criterion_levels(ctx.trainer)}
    for code in ctx.codes:
        assert levels[code].counts == [0, 2, 0, 1, 1]
        assert levels[code].average == 2.25


def test_agreement_with_second_markers(ctx):
    assert dashboards.agreement(ctx.trainer) == [("Tom Trainer", 2, 1)]


def test_home_pages_show_the_dashboards(app, data, client):
    login(client, data.t2.email)
    html = client.get("/").get_data(as_text=True)
    assert "Next step" in html
    assert "Latest feedback" in html
    assert "CC-TEST-0003" in html
    trainer_client = app.test_client()
    login(trainer_client, data.trainer.email)
    html = trainer_client.get("/").get_data(as_text=True)
    assert "Progress in Reports cohort" in html
    assert "waiting over 7 days" in html
    assert "Agreement with second markers" in html
    assert "late" in html


def test_a_trainers_statistics_are_kept_a_minute_and_the_matrix_is_always_fresh(
    app, ctx, monkeypatch
):
    from lms.db import db

    monkeypatch.setitem(app.config, "REPORTS_CACHE_SECONDS", 60)
    dashboards._statistics.clear()
    calls: list[int] = []
    real = dashboards.criterion_levels
    monkeypatch.setattr(
        dashboards, "criterion_levels", lambda user: calls.append(user.id) or real(user)
    )
    first = dashboards.trainer_dashboard(ctx.trainer)
    second = dashboards.trainer_dashboard(ctx.trainer)
    assert calls == [ctx.trainer.id]
    assert second["statistics_at"] == first["statistics_at"]
    assert second["criteria"] == first["criteria"]
    db.session.expire_all()  # as a commit does: the kept figures hold no database rows
    assert [row.criterion.title for row in dashboards.trainer_dashboard(ctx.trainer)["criteria"]]
    monkeypatch.setitem(app.config, "REPORTS_CACHE_SECONDS", 0)
    dashboards.trainer_dashboard(ctx.trainer)
    assert len(calls) == 2
