"""A trainee's attempt: drafts, files checked by content, submit, withdraw, deadlines, limits."""

import datetime as dt
import io
import zipfile

import sqlalchemy as sa

from lms.assessments.models import Attachment, Submission, SubmissionState
from lms.cohorts.models import Cohort, LatePolicy
from lms.db import db
from tests.conftest import login
from tests.grading.conftest import PDF, attach, set_deadline, submitted


def _case_url(setup):
    return f"/courses/{setup.course.slug}/modules/{setup.module.slug}/case-study"


def _draft(client, setup, text="First ideas", version=""):
    return client.post(
        f"/assessments/modules/{setup.module.id}/draft", data={"answer": text, "version": version}
    )


def _only_submission(setup) -> Submission:
    return db.session.scalar(sa.select(Submission).filter_by(user_id=setup.trainee.id))


def test_case_study_page_shows_scenario_rubric_deadline_and_attempts(client, setup):
    set_deadline(setup, dt.datetime(2031, 5, 1, 17, tzinfo=dt.UTC), LatePolicy.REFUSE)
    login(client, setup.trainee.email)
    page = client.get(_case_url(setup)).get_data(as_text=True)
    assert "How your answer is assessed" in page
    assert "Deadline" in page
    assert "2031" in page
    assert "0 used, 3 left of 3" in page
    assert "Marking notes" not in page


def test_drafts_are_saved_as_often_as_wanted(client, setup):
    login(client, setup.trainee.email)
    assert _draft(client, setup, "one").status_code == 302
    first = _only_submission(setup)
    assert _draft(client, setup, "two", first.version).status_code == 302
    assert _only_submission(setup).answer == "two"
    assert _only_submission(setup).state == SubmissionState.DRAFT


def test_a_refused_save_shows_the_text_back(client, setup):
    login(client, setup.trainee.email)
    _draft(client, setup, "one")
    stale = _only_submission(setup).version
    _draft(client, setup, "two", stale)
    response = _draft(client, setup, "my precious paragraph", stale)
    assert response.status_code == 409
    assert "my precious paragraph" in response.get_data(as_text=True)


def test_attachments_are_checked_by_content_and_stored_under_generated_names(client, setup, app):
    login(client, setup.trainee.email)
    _draft(client, setup)
    ok = attach(client, setup.module, [(PDF, "../../app.py")])
    assert ok.status_code == 302
    stored = db.session.scalar(sa.select(Attachment))
    assert stored.content_type == "application/pdf"
    assert stored.original_name == "app.py"
    assert stored.stored_name not in ("app.py", "../../app.py")
    assert ".." not in stored.stored_name
    refused = {
        "html.pdf": b"<html><script>alert(1)</script></html>",
        "image.svg": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        "empty.pdf": b"",
        "bomb.docx": _zip_bomb(),
        "macro.docx": _docx(with_macro=True),
    }
    for name, content in refused.items():
        response = attach(client, setup.module, [(content, name)], follow_redirects=True)
        assert response.status_code == 200
        assert "was not attached" in response.get_data(as_text=True), name
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1, name
    good_docx = attach(client, setup.module, [(_docx(), "plan.docx")])
    assert good_docx.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 2


def test_one_byte_over_the_limit_is_refused(client, setup, app):
    login(client, setup.trainee.email)
    _draft(client, setup)
    limit = app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    response = attach(
        client,
        setup.module,
        [(PDF + b"0" * (limit - len(PDF) + 1), "big.pdf")],
        follow_redirects=True,
    )
    assert "larger than the limit" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    huge = client.post(
        f"/assessments/modules/{setup.module.id}/draft",
        data=b"0" * (limit + 200_000),
        content_type="multipart/form-data; boundary=xyz",
    )
    assert huge.status_code == 413
    assert "too large" in huge.get_data(as_text=True)


def test_downloads_are_attachments_with_a_sandbox(client, setup, app):
    submission = submitted(app, setup, with_file=True)
    attachment = submission.attachments[0]
    login(client, setup.trainee.email)
    with client.get(f"/assessments/attachments/{attachment.id}") as response:
        assert response.status_code == 200
        assert response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_submitting_freezes_the_attempt_until_withdrawn(client, setup):
    login(client, setup.trainee.email)
    _draft(client, setup, "final answer")
    submission = _only_submission(setup)
    confirm = client.get(f"/assessments/submissions/{submission.id}/submit")
    assert "After submitting, the attempt is frozen" in confirm.get_data(as_text=True)
    response = client.post(
        f"/assessments/submissions/{submission.id}/submit", data={"version": submission.version}
    )
    assert response.status_code == 302
    frozen = _only_submission(setup)
    assert frozen.state == SubmissionState.SUBMITTED
    assert _draft(client, setup, "sneaky edit", frozen.version).status_code == 409
    assert _only_submission(setup).answer == "final answer"
    client.post(f"/assessments/submissions/{submission.id}/withdraw")
    assert _only_submission(setup).state == SubmissionState.DRAFT


def test_withdrawing_is_refused_once_review_started(client, setup, app):
    submission = submitted(app, setup)
    trainer_client = app.test_client()
    login(trainer_client, setup.trainer.email)
    trainer_client.post(f"/grading/submissions/{submission.id}/claim")
    login(client, setup.trainee.email)
    client.post(f"/assessments/submissions/{submission.id}/withdraw")
    assert db.session.get(Submission, submission.id).state == SubmissionState.IN_REVIEW


def test_late_submissions_are_refused_or_marked_by_cohort_policy(client, setup, app):
    login(client, setup.trainee.email)
    _draft(client, setup, "answer")
    set_deadline(setup, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), LatePolicy.REFUSE)
    submission = _only_submission(setup)
    client.post(
        f"/assessments/submissions/{submission.id}/submit", data={"version": submission.version}
    )
    assert _only_submission(setup).state == SubmissionState.DRAFT
    db.session.get(Cohort, setup.cohort.id).late_policy = LatePolicy.ACCEPT_MARKED
    db.session.flush()
    client.post(
        f"/assessments/submissions/{submission.id}/submit", data={"version": submission.version}
    )
    marked = _only_submission(setup)
    assert marked.state == SubmissionState.SUBMITTED
    assert marked.late is True


def test_the_attempt_limit_holds_against_replayed_forms(client, setup, app):
    from lms.grading.models import Grade, GradeKind
    from lms.grading.services import release

    for attempt in range(1, 4):
        submission = submitted(app, setup, answer=f"attempt {attempt}")
        grade = Grade(submission_id=submission.id, kind=GradeKind.FIRST, levels={}, passed=False)
        db.session.add(grade)
        submission.state = SubmissionState.IN_REVIEW
        db.session.flush()
        with app.test_request_context():
            release(submission, grade, actor=setup.trainer)
            db.session.commit()
    login(client, setup.trainee.email)
    response = _draft(client, setup, "a fourth try")
    assert response.status_code == 409
    assert "used all 3 attempts" in response.get_data(as_text=True)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Submission))
    assert count == 3


def test_other_trainees_and_strangers_cannot_see_a_submission(app, setup):
    from tests.access import LOGIN, NOT_FOUND, OK, check_access

    submission = submitted(app, setup, with_file=True)
    attachment_url = f"/assessments/attachments/{submission.attachments[0].id}"
    people = {
        "anonymous": lambda: None,
        "owner": lambda: setup.trainee,
        "other trainee": lambda: setup.other_trainee,
        "trainer of another cohort": lambda: setup.outsider_trainer,
        "cohort trainer": lambda: setup.trainer,
    }
    check_access(
        app,
        "GET",
        f"/assessments/submissions/{submission.id}",
        {
            "anonymous": LOGIN,
            "owner": OK,
            "other trainee": NOT_FOUND,
            "trainer of another cohort": NOT_FOUND,
            "cohort trainer": NOT_FOUND,
        },
        people,
    )
    check_access(
        app,
        "GET",
        attachment_url,
        {
            "anonymous": LOGIN,
            "owner": OK,
            "other trainee": NOT_FOUND,
            "trainer of another cohort": NOT_FOUND,
            "cohort trainer": OK,
        },
        people,
    )


def test_sweeping_ids_gives_nothing(client, setup, app):
    made = submitted(app, setup, with_file=True)
    login(client, setup.other_trainee.email)
    # Every id around the real ones (on PostgreSQL, sequences are not rolled back between tests).
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(Attachment.id).filter_by(submission_id=made.id))
    for number in sorted({*range(1, 6), *range(made.id - 8, made.id + 8), attachment_id}):
        assert client.get(f"/assessments/submissions/{number}").status_code == 404
        assert client.get(f"/assessments/attachments/{number}").status_code == 404
        assert (
            client.get(f"/assessments/attachments/{number}?path=../../etc/passwd").status_code
            == 404
        )


def _docx(with_macro: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        if with_macro:
            archive.writestr("word/vbaProject.bin", b"macro")
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()
