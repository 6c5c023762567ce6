"""Nobody can make a certificate appear without meeting the accreditation rule (SECURITY 14)."""

import sqlalchemy as sa

from lms.assessments import services as assessments
from lms.certificates.models import Certificate
from lms.courses.models import Lesson
from lms.courses.services import set_lesson_completed
from lms.db import db
from lms.grading import services as grading
from lms.grading.models import GradeKind
from tests.conftest import login


def _pass_module(setup, module, level=4):
    submission = assessments.save_draft(setup.trainee, module, "answer", expected_version=None)
    assessments.submit(setup.trainee, submission, expected_version=submission.version)
    grading.claim(setup.trainer, submission)
    codes = [c.code for c in grading.criteria_for(submission)]
    grading.save_grade(
        setup.trainer,
        submission,
        GradeKind.FIRST,
        levels=dict.fromkeys(codes, level),
        feedback={},
        overall_feedback="",
        expected_version=None,
        complete=True,
    )


def _certificates():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Certificate))


def test_all_passed_but_one_required_lesson_unread_gives_no_certificate(app, setup):
    with app.test_request_context():
        lessons = db.session.scalars(
            sa.select(Lesson).filter_by(course_id=setup.course.id, required=True)
        ).all()
        for lesson in lessons[:-1]:
            set_lesson_completed(setup.trainee.id, lesson, True)
        for module in setup.course.modules:
            if module.key_activity_id:
                _pass_module(setup, module)
        db.session.commit()
        assert _certificates() == 0
        set_lesson_completed(setup.trainee.id, lessons[-1], True)  # now the rule holds
        db.session.commit()
        assert _certificates() == 1


def test_every_lesson_read_but_one_module_failed_gives_no_certificate(app, setup):
    with app.test_request_context():
        for lesson in db.session.scalars(sa.select(Lesson).filter_by(course_id=setup.course.id)):
            set_lesson_completed(setup.trainee.id, lesson, True)
        modules = [m for m in setup.course.modules if m.key_activity_id]
        for module in modules[:-1]:
            _pass_module(setup, module)
        _pass_module(setup, modules[-1], level=1)
        db.session.commit()
    assert _certificates() == 0


def test_posting_made_up_fields_creates_nothing(client, setup):
    login(client, setup.trainee.email)
    for url in (
        "/certificates/",
        "/verify",
        "/assessments/modules/1/draft",
        f"/courses/{setup.course.slug}/lessons/x/complete",
    ):
        client.post(
            url,
            data={
                "status": "valid",
                "course_id": setup.course.id,
                "user_id": setup.trainee.id,
                "results": "KA1=4",
            },
        )
    assert _certificates() == 0


def test_session_cookie_is_secure_in_production(tmp_path):
    from lms import create_app
    from tests.conftest import base_test_config

    app = create_app(
        {**base_test_config(tmp_path, f"sqlite:///{tmp_path}/p.db"), "ENV": "production"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
