"""Trainers grade against the rubric: claim, mark, release; second marking and moderation;
no silent overwrites; nobody grades their own work."""

import sqlalchemy as sa

from lms.assessments.models import Submission, SubmissionState
from lms.audit.models import AuditEvent
from lms.cohorts.models import Cohort
from lms.db import db
from lms.grading.models import Grade, GradeKind
from lms.notifications.models import Notification
from tests.access import FORBIDDEN, LOGIN, NOT_FOUND, OK, check_access
from tests.conftest import login
from tests.grading.conftest import levels_form, submitted


def _codes(setup) -> list[str]:
    return setup.codes


def _claim(client, submission):
    return client.post(f"/grading/submissions/{submission.id}/claim")


def _grade(client, submission, data, action="complete"):
    return client.post(f"/grading/submissions/{submission.id}", data={**data, "action": action})


def _state(submission) -> SubmissionState:
    return db.session.get(Submission, submission.id).state


def test_queue_shows_waiting_work_oldest_first_with_age(client, setup, app):
    first = submitted(app, setup, answer="early")
    submitted(app, setup, user=setup.other_trainee, answer="later")
    login(client, setup.trainer.email)
    page = client.get("/grading/").get_data(as_text=True)
    assert page.index("Tina Trainee") < page.index("Otto Other")
    assert "ago" in page
    assert "2 submissions, oldest first" in page
    _claim(client, first)
    filtered = client.get("/grading/", query_string={"state": "in_review"}).get_data(as_text=True)
    assert "in review by Trudi Trainer" in filtered
    assert "Otto Other" not in filtered
    for bad in ["' OR 1=1 --", "%", "99999999999999999999"]:
        response = client.get("/grading/", query_string={"cohort": bad, "state": bad, "late": bad})
        assert response.status_code == 200


def test_a_clear_pass_is_released_and_the_trainee_reads_the_feedback(client, setup, app):
    submission = submitted(app, setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    form = client.get(f"/grading/submissions/{submission.id}").get_data(as_text=True)
    assert "Not evident" in form or "not evident" in form
    response = _grade(client, submission, levels_form(_codes(setup), 4))
    assert response.status_code == 302
    assert _state(submission) == SubmissionState.PASSED
    note = db.session.scalar(
        sa.select(Notification).filter_by(user_id=setup.trainee.id, kind="grade_released")
    )
    assert "passed" in note.title
    trainee_client = app.test_client()
    login(trainee_client, setup.trainee.email)
    page = trainee_client.get(f"/assessments/submissions/{submission.id}").get_data(as_text=True)
    assert "Result: passed" in page
    assert "Score: 100.0 out of 100" in page
    assert "Overall, a clear answer." in page
    assert 'Notifications <span class="bell-count">1' in trainee_client.get("/").get_data(
        as_text=True
    )


def test_a_fail_names_the_criterion_below_its_minimum(client, setup, app):
    submission = submitted(app, setup)
    codes = _codes(setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    data = levels_form(codes, 4)
    data[f"level__{codes[0]}"] = "1"
    _grade(client, submission, data)
    assert _state(submission) == SubmissionState.FAILED
    grade = db.session.scalar(sa.select(Grade).filter_by(submission_id=submission.id))
    assert grade.score > 70
    assert "need at least level 2" in grade.reasons[0]


def test_the_server_recomputes_and_ignores_extra_fields(client, setup, app):
    submission = submitted(app, setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    data = levels_form(
        _codes(setup),
        0,
        score="100",
        passed="1",
        state="passed",
        user_id=str(setup.trainer.id),
        grader_id="1",
    )
    _grade(client, submission, data)
    grade = db.session.scalar(sa.select(Grade).filter_by(submission_id=submission.id))
    assert str(grade.score) == "0.0"
    assert grade.passed is False
    assert grade.grader_id == setup.trainer.id
    assert _state(submission) == SubmissionState.FAILED


def test_finishing_needs_every_criterion(client, setup, app):
    submission = submitted(app, setup)
    codes = _codes(setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    data = levels_form(codes, 3)
    del data[f"level__{codes[-1]}"]
    response = _grade(client, submission, data)
    assert response.status_code == 422
    assert _state(submission) == SubmissionState.IN_REVIEW
    assert _grade(client, submission, data, action="draft").status_code == 302


def test_a_stale_save_is_refused_with_the_current_values(client, setup, app):
    submission = submitted(app, setup)
    codes = _codes(setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    _grade(client, submission, levels_form(codes, 2), action="draft")
    grade = db.session.scalar(sa.select(Grade).filter_by(submission_id=submission.id))
    opened_version = grade.version
    fresh = levels_form(codes, 3, version=str(opened_version))
    assert _grade(client, submission, fresh, action="draft").status_code == 302
    stale = levels_form(codes, 1, version=str(opened_version))
    response = _grade(client, submission, stale, action="draft")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Someone else changed this grade" in text
    assert 'type="radio" value="3"' in text
    assert 'type="radio" value="1"' in text
    assert text.count("<input checked") == len(codes)
    assert 'type="radio" value="1">' in text  # the stale choice (1) is not pre-selected
    kept = db.session.scalar(sa.select(Grade).filter_by(submission_id=submission.id))
    assert set(kept.levels.values()) == {3}
    saves = db.session.scalars(sa.select(AuditEvent).filter_by(action="grade.saved")).all()
    assert len(saves) == 2
    assert saves[1].data["before"]["levels"] != saves[1].data["after"]["levels"]


def test_a_borderline_grade_is_second_marked_and_released_when_markers_agree(client, setup, app):
    submission = submitted(app, setup)
    codes = _codes(setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    data = levels_form(codes, 3)  # 75.0: within 5 points of the pass mark
    _grade(client, submission, data)
    assert _state(submission) == SubmissionState.IN_REVIEW
    second = app.test_client()
    login(second, setup.second_trainer.email)
    assert "needs a second marker" in second.get("/grading/").get_data(as_text=True)
    page = second.get(f"/grading/submissions/{submission.id}").get_data(as_text=True)
    assert "Second marking (independent)" in page
    assert "Feedback on " + codes[0] not in page  # the first marker's feedback stays hidden
    assert _grade(second, submission, levels_form(codes, 3)).status_code == 302
    assert _state(submission) == SubmissionState.PASSED


def test_disagreeing_markers_go_to_a_moderator(client, setup, app):
    submission = submitted(app, setup)
    codes = _codes(setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    _grade(client, submission, levels_form(codes, 3))
    second = app.test_client()
    login(second, setup.second_trainer.email)
    _grade(second, submission, levels_form(codes, 2))  # 50: fails, they disagree
    assert _state(submission) == SubmissionState.IN_REVIEW
    not_lead = app.test_client()
    login(not_lead, setup.other_trainee.email)
    moderator = app.test_client()
    login(moderator, setup.lead.email)
    page = moderator.get(f"/grading/submissions/{submission.id}").get_data(as_text=True)
    assert "Moderation: set the agreed grade" in page
    assert "What the two markers gave" in page
    _grade(moderator, submission, levels_form(codes, 3))
    assert _state(submission) == SubmissionState.PASSED
    agreed = db.session.scalar(
        sa.select(Grade).filter_by(submission_id=submission.id, kind=GradeKind.AGREED)
    )
    assert agreed.grader_id == setup.lead.id


def test_every_submission_is_second_marked_when_the_cohort_says_so(client, setup, app):
    db.session.get(Cohort, setup.cohort.id).moderation = True
    db.session.flush()
    submission = submitted(app, setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    _grade(client, submission, levels_form(_codes(setup), 4))
    assert _state(submission) == SubmissionState.IN_REVIEW


def test_returning_for_completion_lets_the_trainee_resubmit_the_same_attempt(client, setup, app):
    submission = submitted(app, setup)
    login(client, setup.trainer.email)
    _claim(client, submission)
    assert (
        client.post(f"/grading/submissions/{submission.id}/return", data={"reason": ""}).status_code
        == 302
    )
    assert _state(submission) == SubmissionState.IN_REVIEW
    client.post(
        f"/grading/submissions/{submission.id}/return", data={"reason": "Task 3 is missing."}
    )
    assert _state(submission) == SubmissionState.RETURNED
    trainee_client = app.test_client()
    login(trainee_client, setup.trainee.email)
    page = trainee_client.get(
        f"/courses/{setup.course.slug}/modules/{setup.module.slug}/case-study"
    ).get_data(as_text=True)
    assert "Task 3 is missing." in page
    fresh = db.session.get(Submission, submission.id)
    trainee_client.post(
        f"/assessments/modules/{setup.module.id}/draft",
        data={"answer": "Now with task 3.", "version": fresh.version},
    )
    fresh = db.session.get(Submission, submission.id)
    trainee_client.post(
        f"/assessments/submissions/{submission.id}/submit", data={"version": fresh.version}
    )
    again = db.session.get(Submission, submission.id)
    assert again.state == SubmissionState.SUBMITTED
    assert again.attempt == 1


def test_blind_marking_hides_the_trainee_until_release(client, setup, app):
    db.session.get(Cohort, setup.cohort.id).blind_marking = True
    db.session.flush()
    submission = submitted(app, setup)
    login(client, setup.trainer.email)
    assert "Tina Trainee" not in client.get("/grading/").get_data(as_text=True)
    _claim(client, submission)
    page = client.get(f"/grading/submissions/{submission.id}").get_data(as_text=True)
    assert "Tina Trainee" not in page
    assert f"Trainee #{submission.id}" in page


def test_admin_reassigns_and_the_audit_trail_records_it(client, setup, app):
    submission = submitted(app, setup)
    trainer_client = app.test_client()
    login(trainer_client, setup.trainer.email)
    _claim(trainer_client, submission)
    login(client, setup.admin.email)
    client.post(
        f"/grading/submissions/{submission.id}/reassign",
        data={"trainer_id": setup.second_trainer.id},
    )
    assert db.session.get(Submission, submission.id).claimed_by_id == setup.second_trainer.id
    history = client.get(f"/grading/submissions/{submission.id}/history").get_data(as_text=True)
    assert "submission.reassigned" in history
    assert "submission.claimed" in history


def test_a_trainer_never_grades_their_own_submission(client, setup, app):
    from lms.cohorts.models import CohortMember, MemberRole

    db.session.add(
        CohortMember(cohort_id=setup.cohort.id, user_id=setup.trainer.id, role=MemberRole.TRAINEE)
    )
    db.session.flush()
    own = submitted(app, setup, user=setup.trainer)
    login(client, setup.trainer.email)
    assert "0 submissions, oldest first" in client.get("/grading/").get_data(as_text=True)
    assert _claim(client, own).status_code == 404
    assert client.get(f"/grading/submissions/{own.id}").status_code == 404


def test_grading_access_matrix(app, setup):
    submission = submitted(app, setup)
    people = {
        "anonymous": lambda: None,
        "trainee": lambda: setup.trainee,
        "trainer of another cohort": lambda: setup.outsider_trainer,
        "cohort trainer": lambda: setup.trainer,
        "admin": lambda: setup.admin,
    }
    check_access(
        app,
        "GET",
        "/grading/",
        {
            "anonymous": LOGIN,
            "trainee": FORBIDDEN,
            "trainer of another cohort": OK,
            "cohort trainer": OK,
            "admin": OK,
        },
        people,
    )
    check_access(
        app,
        "GET",
        f"/grading/submissions/{submission.id}",
        {
            "anonymous": LOGIN,
            "trainee": FORBIDDEN,
            "trainer of another cohort": NOT_FOUND,
            "cohort trainer": OK,
            "admin": OK,
        },
        people,
    )
    check_access(
        app,
        "POST",
        f"/grading/submissions/{submission.id}",
        {
            "anonymous": LOGIN,
            "trainee": FORBIDDEN,
            "trainer of another cohort": NOT_FOUND,
            "cohort trainer": FORBIDDEN,
            "admin": FORBIDDEN,
        },
        people,
        data=levels_form(_codes(setup), 4),
    )
    assert _state(submission) == SubmissionState.SUBMITTED


def test_passing_everything_announces_eligibility(app, setup, monkeypatch):
    from lms.courses.models import Lesson
    from lms.courses.services import set_lesson_completed
    from lms.grading import services
    from lms.signals import trainee_became_eligible

    heard = []

    def listen(sender, **data):
        heard.append(data)

    trainee_became_eligible.connect(listen)
    try:
        with app.test_request_context():
            for lesson in db.session.scalars(
                sa.select(Lesson).filter_by(course_id=setup.course.id)
            ):
                set_lesson_completed(setup.trainee.id, lesson, True)
            modules = [m for m in setup.course.modules if m.key_activity_id]
            for module in modules:
                from lms.assessments import services as assessments

                sub = assessments.save_draft(setup.trainee, module, "answer", expected_version=None)
                assessments.submit(setup.trainee, sub, expected_version=sub.version)
                services.claim(setup.trainer, sub)
                codes = [c.code for c in services.criteria_for(sub)]
                services.save_grade(
                    setup.trainer,
                    sub,
                    GradeKind.FIRST,
                    levels={c: 4 for c in codes},
                    feedback={},
                    overall_feedback="",
                    expected_version=None,
                    complete=True,
                )
            db.session.commit()
    finally:
        trainee_became_eligible.disconnect(listen)
    assert len(heard) == 1
    results = heard[0]["results"]
    assert [r["code"] for r in results] == ["KA1", "KA2", "KA3", "KA4"]
    assert all(r["level"] == 4 for r in results)
