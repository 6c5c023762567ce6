"""Two markers saving the same grade at once: one wins, the other is told; nothing is lost."""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from lms.accounts.models import Role
from lms.accounts.services import create_user
from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.audit.models import AuditEvent
from lms.cohorts.models import Cohort, CohortMember, MemberRole
from lms.courses.models import Course
from lms.db import db
from lms.grading import services
from lms.grading.models import Grade, GradeKind

PASSWORD = "a long enough passphrase"


def _prepare(app) -> tuple[int, list[int], list[str]]:
    """A submission whose markers disagreed, with a draft agreed grade; all committed."""
    import datetime as dt

    with app.test_request_context():
        course = db.session.scalar(sa.select(Course).filter_by(slug="accredited-cooperation-coach"))
        module = next(m for m in course.modules if m.slug == "strategic-partnership")
        people = {
            name: create_user(f"{name}@race.example", name.title(), [role], password=PASSWORD)
            for name, role in [
                ("trainee", Role.TRAINEE),
                ("first", Role.TRAINER),
                ("second", Role.TRAINER),
                ("lead", Role.TRAINER),
                ("boss", Role.ADMIN),
            ]
        }
        today = dt.date.today()
        cohort = Cohort(course_id=course.id, name="Race cohort", starts_on=today, ends_on=today)
        db.session.add(cohort)
        db.session.flush()
        db.session.add(
            CohortMember(cohort_id=cohort.id, user_id=people["trainee"].id, role=MemberRole.TRAINEE)
        )
        for name in ("first", "second", "lead"):
            db.session.add(
                CohortMember(
                    cohort_id=cohort.id,
                    user_id=people[name].id,
                    role=MemberRole.TRAINER,
                    lead=name == "lead",
                )
            )
        db.session.flush()
        submission = assessments.save_draft(people["trainee"], module, "x", expected_version=None)
        assessments.submit(people["trainee"], submission, expected_version=submission.version)
        services.claim(people["first"], submission)
        codes = [c.code for c in services.criteria_for(submission)]

        def mark(user, kind, level, complete=True):
            services.save_grade(
                user,
                submission,
                kind,
                levels={c: level for c in codes},
                feedback={},
                overall_feedback="",
                expected_version=None,
                complete=complete,
            )

        mark(people["first"], GradeKind.FIRST, 3)
        mark(people["second"], GradeKind.SECOND, 2)
        mark(people["lead"], GradeKind.AGREED, 2, complete=False)
        db.session.commit()
        return submission.id, [people["lead"].id, people["boss"].id], codes


@pytest.mark.postgres
def test_two_moderators_saving_the_same_grade_one_gets_a_conflict(committed):
    app = committed
    submission_id, moderator_ids, codes = _prepare(app)
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def save(user_id: int, level: int) -> None:
        from lms.accounts.models import User

        with app.test_request_context():
            user = db.session.get(User, user_id)
            submission = db.session.get(Submission, submission_id)
            version = services.grade_of(submission, GradeKind.AGREED).version
            barrier.wait()
            try:
                services.save_grade(
                    user,
                    submission,
                    GradeKind.AGREED,
                    levels={c: level for c in codes},
                    feedback={},
                    overall_feedback=f"by {user.name}",
                    expected_version=version,
                    complete=False,
                )
                db.session.commit()
                outcomes[user_id] = "saved"
            except (services.StaleGrade, StaleDataError):
                db.session.rollback()
                outcomes[user_id] = "conflict"
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=save, args=(uid, level))
        for uid, level in zip(moderator_ids, (3, 4), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(uid for uid, result in outcomes.items() if result == "saved")
    loser = next(uid for uid, result in outcomes.items() if result == "conflict")
    with app.test_request_context():
        from lms.accounts.models import User

        grade = db.session.scalar(
            sa.select(Grade).filter_by(submission_id=submission_id, kind=GradeKind.AGREED)
        )
        assert grade.grader_id == winner
        assert set(grade.levels.values()) == {3 if winner == moderator_ids[0] else 4}
        # The loser reloads and saves again: nothing is lost, and the trail has both.
        services.save_grade(
            db.session.get(User, loser),
            db.session.get(Submission, submission_id),
            GradeKind.AGREED,
            levels={c: 4 for c in codes},
            feedback={},
            overall_feedback="after reload",
            expected_version=grade.version,
            complete=False,
        )
        db.session.commit()
        savers = db.session.scalars(
            sa.select(AuditEvent.actor_id).where(
                AuditEvent.action == "grade.saved", AuditEvent.data["kind"].as_string() == "agreed"
            )
        ).all()
        assert winner in savers
        assert loser in savers
        db.session.remove()
