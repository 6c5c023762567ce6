"""Grading a submission: claiming, marking against the rubric, second marking, moderation,
release and return. Grades are never silently overwritten: stale saves are refused and every
change goes to the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.assessments.models import Submission, SubmissionState
from lms.audit import services as audit
from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db, utcnow
from lms.grading import rules
from lms.grading.models import Grade, GradeKind
from lms.messages import Message
from lms.notifications.services import notify
from lms.signals import grade_released

#: A first mark this close to the pass mark is always second-marked.
BORDERLINE_POINTS = Decimal(5)
#: Two markers disagree when their outcome differs or their scores are further apart than this.
AGREEMENT_POINTS = Decimal(10)


class GradingError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleGrade(GradingError):
    """Someone else saved this grade since the form was opened."""

    def __init__(self, grade: Grade) -> None:
        super().__init__(
            _(
                "Someone else changed this grade while you were working. "
                "Your changes were not saved; the current values are shown."
            )
        )
        self.grade = grade


# --- Who may do what -------------------------------------------------------------------------


def trains_cohort(user: User, cohort_id: int) -> bool:
    return db.session.get(CohortMember, (cohort_id, user.id, MemberRole.TRAINER)) is not None


def can_grade(user: User, submission: Submission) -> bool:
    """Trainers of the submission's cohort and admins, never the submission's own author."""
    if submission.user_id == user.id:
        return False
    return user.is_admin or trains_cohort(user, submission.cohort_id)


def can_moderate(user: User, submission: Submission) -> bool:
    if submission.user_id == user.id:
        return False
    member = db.session.get(CohortMember, (submission.cohort_id, user.id, MemberRole.TRAINER))
    return user.is_admin or (member is not None and member.lead)


# --- Claiming ----------------------------------------------------------------------------------


def claim(user: User, submission: Submission) -> None:
    """Start reviewing: the submission shows as "in review by" this trainer."""
    if not can_grade(user, submission):
        raise PermissionError("cannot grade this submission")
    if submission.state == SubmissionState.SUBMITTED:
        submission.state = SubmissionState.IN_REVIEW
    elif submission.state != SubmissionState.IN_REVIEW:
        raise GradingError(_("This submission is not waiting for review."))
    if submission.claimed_by_id not in (None, user.id) and first_grade_done(submission):
        return  # second markers and moderators work alongside the first marker's claim
    if submission.claimed_by_id not in (None, user.id):
        raise GradingError(
            _("This submission is in review by %(name)s.", name=submission.claimed_by.name)
        )
    submission.claimed_by_id = user.id
    submission.claimed_at = utcnow()
    db.session.flush()
    audit.record("submission.claimed", "submissions", submission.id, actor=user)


def reassign(admin: User, submission: Submission, trainer: User) -> None:
    if not admin.is_admin:
        raise PermissionError("only admins reassign")
    if not can_grade(trainer, submission) or not trainer.is_trainer:
        raise GradingError(_("%(name)s cannot grade this submission.", name=trainer.name))
    before = submission.claimed_by_id
    submission.claimed_by_id = trainer.id
    submission.claimed_at = utcnow()
    if submission.state == SubmissionState.SUBMITTED:
        submission.state = SubmissionState.IN_REVIEW
    first = grade_of(submission, GradeKind.FIRST)
    if first is not None and first.completed_at is None:
        first.grader_id = trainer.id
    db.session.flush()
    audit.record(
        "submission.reassigned",
        "submissions",
        submission.id,
        actor=admin,
        before=before,
        after=trainer.id,
    )


# --- Marking -----------------------------------------------------------------------------------


def grade_of(submission: Submission, kind: GradeKind) -> Grade | None:
    return db.session.scalar(sa.select(Grade).filter_by(submission_id=submission.id, kind=kind))


def first_grade_done(submission: Submission) -> bool:
    first = grade_of(submission, GradeKind.FIRST)
    return first is not None and first.completed_at is not None


def criteria_for(submission: Submission) -> list[rules.CriterionRule]:
    return rules.criteria_of(submission.content_version.snapshot, submission.module.slug)


def descriptors_for(submission: Submission) -> dict[str, dict[str, str]]:
    """Each criterion's level descriptors ("0".."4"), as the attempt's content version has them."""
    module = next(
        m
        for m in submission.content_version.snapshot["modules"]
        if m["slug"] == submission.module.slug
    )
    return {c["code"]: c["levels"] for c in module["criteria"]}


def outcome_for(submission: Submission, levels: Mapping[str, int]) -> rules.Outcome:
    snapshot = submission.content_version.snapshot
    return rules.evaluate(
        criteria_for(submission),
        levels,
        pass_mark=int(snapshot["pass_mark"]),
        min_level_by_priority=snapshot["min_level_by_priority"],
    )


def save_grade(
    user: User,
    submission: Submission,
    kind: GradeKind,
    *,
    levels: Mapping[str, int | None],
    feedback: Mapping[str, str],
    overall_feedback: str,
    expected_version: int | None,
    complete: bool,
) -> Grade:
    """Save a marker's grade (a draft, or complete). Refuse a stale form, unknown criteria,
    levels outside 0..4, and completing with a criterion left unmarked."""
    _check_role(user, submission, kind)
    criteria = criteria_for(submission)
    codes = {c.code for c in criteria}
    chosen = {
        code: int(level) for code, level in levels.items() if code in codes and level is not None
    }
    if any(level not in rules.LEVEL_RANGE for level in chosen.values()):
        raise GradingError(_("Levels go from 0 to 4."))
    grade = grade_of(submission, kind)
    if grade is None:
        grade = Grade(submission_id=submission.id, kind=kind, grader_id=user.id)
        db.session.add(grade)
    elif expected_version is None or grade.version != expected_version:
        raise StaleGrade(grade)
    if grade.completed_at is not None and kind != GradeKind.AGREED:
        raise GradingError(_("This grade is complete and can no longer be edited."))
    before = _snapshot(grade)
    grade.grader_id = user.id
    grade.levels = chosen
    grade.feedback = {code: text.strip() for code, text in feedback.items() if code in codes}
    grade.overall_feedback = overall_feedback.strip()
    if len(chosen) == len(codes):
        outcome = outcome_for(submission, chosen)
        grade.score, grade.passed, grade.reasons = outcome.score, outcome.passed, outcome.reasons
        grade.reason_messages = [message.to_json() for message in outcome.messages]
    else:
        grade.score, grade.passed, grade.reasons = None, None, []
        grade.reason_messages = []
    if complete:
        if len(chosen) != len(codes):
            raise GradingError(_("Choose a level for every criterion before finishing."))
        grade.completed_at = utcnow()
    db.session.flush()
    audit.record(
        "grade.saved",
        "grades",
        grade.id,
        actor=user,
        submission=submission.id,
        kind=kind.value,
        before=before,
        after=_snapshot(grade),
    )
    if complete:
        _after_completion(user, submission, grade)
    return grade


def _check_role(user: User, submission: Submission, kind: GradeKind) -> None:
    if submission.state != SubmissionState.IN_REVIEW:
        raise GradingError(_("This submission is not in review."))
    if kind == GradeKind.FIRST:
        if not can_grade(user, submission) or submission.claimed_by_id != user.id:
            raise PermissionError("only the trainer who claimed it marks it first")
    elif kind == GradeKind.SECOND:
        first = grade_of(submission, GradeKind.FIRST)
        if not can_grade(user, submission) or first is None or first.grader_id == user.id:
            raise PermissionError("the second marker must be another trainer")
        if not needs_second_marking(submission):
            raise GradingError(_("This submission does not need a second marker."))
    elif not can_moderate(user, submission) or not awaiting_moderation(submission):
        raise PermissionError("moderation is for admins and lead trainers, after disagreement")


def _snapshot(grade: Grade) -> dict[str, object]:
    return {
        "levels": dict(grade.levels or {}),
        "feedback": dict(grade.feedback or {}),
        "overall_feedback": grade.overall_feedback or "",
        "score": str(grade.score) if grade.score is not None else None,
        "passed": grade.passed,
        "completed": grade.completed_at is not None,
    }


# --- Second marking, moderation, release ----------------------------------------------------------


def needs_second_marking(submission: Submission) -> bool:
    first = grade_of(submission, GradeKind.FIRST)
    if first is None or first.completed_at is None or first.score is None:
        return False
    pass_mark = Decimal(submission.content_version.snapshot["pass_mark"])
    return submission.cohort.moderation or abs(first.score - pass_mark) <= BORDERLINE_POINTS


def markers_agree(first: Grade, second: Grade) -> bool:
    if first.score is None or second.score is None:
        return False
    return first.passed == second.passed and abs(first.score - second.score) <= AGREEMENT_POINTS


def awaiting_moderation(submission: Submission) -> bool:
    first = grade_of(submission, GradeKind.FIRST)
    second = grade_of(submission, GradeKind.SECOND)
    if first is None or second is None or second.completed_at is None:
        return False
    agreed = grade_of(submission, GradeKind.AGREED)
    return not markers_agree(first, second) and (agreed is None or agreed.completed_at is None)


def _after_completion(user: User, submission: Submission, grade: Grade) -> None:
    if grade.kind == GradeKind.FIRST and not needs_second_marking(submission):
        release(submission, grade, actor=user)
    elif grade.kind == GradeKind.SECOND:
        first = grade_of(submission, GradeKind.FIRST)
        if first is not None and markers_agree(first, grade):
            release(submission, first, actor=user)
    elif grade.kind == GradeKind.AGREED:
        release(submission, grade, actor=user)


def release(submission: Submission, grade: Grade, *, actor: User) -> None:
    """Show the grade to the trainee: the attempt passes or fails for good."""
    submission.state = SubmissionState.PASSED if grade.passed else SubmissionState.FAILED
    submission.released_at = utcnow()
    db.session.flush()
    audit.record(
        "grade.released",
        "submissions",
        submission.id,
        actor=actor,
        grade=grade.id,
        score=str(grade.score),
        passed=grade.passed,
    )
    # Kept as messages: shown in the trainee's language when read, not the grader's.
    title = Message.of(
        "notification.grade_passed" if grade.passed else "notification.grade_released",
        title=submission.module.title,
    )
    notify(
        submission.user_id,
        "grade_released",
        title,
        body=Message.of("notification.grade_released.body", score=grade.score),
        link=f"/assessments/submissions/{submission.id}",
    )
    grade_released.send(
        current_app._get_current_object(),
        submission_id=submission.id,
        user_id=submission.user_id,
        course_id=submission.module.course_id,
        passed=bool(grade.passed),
    )


def released_grade(submission: Submission) -> Grade | None:
    """The grade the trainee sees: the moderator's if there is one, else the first marker's."""
    if submission.state not in {SubmissionState.PASSED, SubmissionState.FAILED}:
        return None
    return grade_of(submission, GradeKind.AGREED) or grade_of(submission, GradeKind.FIRST)


def return_for_resubmission(user: User, submission: Submission, reason: str) -> None:
    """Send the attempt back to the trainee to complete, with reasons; it does not count."""
    if not can_grade(user, submission) or submission.claimed_by_id != user.id:
        raise PermissionError("only the trainer who claimed it can return it")
    if submission.state != SubmissionState.IN_REVIEW:
        raise GradingError(_("Only a submission in review can be returned."))
    if not reason.strip():
        raise GradingError(_("Say what the trainee should complete or change."))
    if first_grade_done(submission):
        raise GradingError(_("A finished grade cannot be turned into a return."))
    submission.state = SubmissionState.RETURNED
    submission.return_reason = reason.strip()
    submission.claimed_by_id = None
    for kind in (GradeKind.FIRST, GradeKind.SECOND):
        grade = grade_of(submission, kind)
        if grade is not None and grade.completed_at is None:
            db.session.delete(grade)
    db.session.flush()
    audit.record(
        "submission.returned",
        "submissions",
        submission.id,
        actor=user,
        reason=submission.return_reason,
    )
    notify(
        submission.user_id,
        "submission_returned",
        Message.of("notification.submission_returned", title=submission.module.title),
        body=submission.return_reason,
        link=f"/assessments/submissions/{submission.id}",
    )
