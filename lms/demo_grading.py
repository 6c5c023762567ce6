"""Demo attempts, made through the same services a trainee and a trainer use."""

from __future__ import annotations

import datetime as dt

from lms.accounts.models import User
from lms.assessments import services as assessments
from lms.assessments.models import Submission
from lms.courses.models import Module
from lms.grading import services as grading
from lms.grading.models import GradeKind

FEEDBACK = {
    4: "Clear, justified and tied to the company's figures.",
    3: "Sound; one more concrete figure would make it convincing.",
    1: "Too general: name the company's situation and what the partner brings.",
}


def ensure_attempt(
    trainee: User,
    module: Module,
    trainer: User | None,
    *,
    answer: str,
    levels: int | None = None,
    claim_only: bool = False,
    return_reason: str = "",
    waited_hours: int = 0,
    second_marker: User | None = None,
) -> Submission | None:
    """Create one attempt if the trainee has none for this module yet."""
    if assessments.attempts(trainee, module):
        return None
    submission = assessments.save_draft(trainee, module, answer, expected_version=None)
    assessments.submit(trainee, submission, expected_version=submission.version)
    if waited_hours and submission.submitted_at is not None:
        # Submitted a while ago, so the dashboards show waiting times and time to grade.
        submission.submitted_at -= dt.timedelta(hours=waited_hours)
    if trainer is None:
        return submission
    grading.claim(trainer, submission)
    if return_reason:
        grading.return_for_resubmission(trainer, submission, return_reason)
    elif levels is not None and not claim_only:
        codes = [c.code for c in grading.criteria_for(submission)]
        grading.save_grade(
            trainer,
            submission,
            GradeKind.FIRST,
            levels=dict.fromkeys(codes, levels),
            feedback=dict.fromkeys(codes, FEEDBACK.get(levels, "")),
            overall_feedback=FEEDBACK.get(levels, ""),
            expected_version=None,
            complete=True,
        )
        if second_marker is not None and grading.needs_second_marking(submission):
            grading.save_grade(
                second_marker,
                submission,
                GradeKind.SECOND,
                levels=dict.fromkeys(codes, levels),
                feedback=dict.fromkeys(codes, FEEDBACK.get(levels, "")),
                overall_feedback=FEEDBACK.get(levels, ""),
                expected_version=None,
                complete=True,
            )
    return submission
