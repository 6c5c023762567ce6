"""A trainee's work on a case study: drafts, attachments, submitting and withdrawing.

Every rule (deadline, attempt limit, frozen attempts, file types and quota) is enforced here,
on the server, whatever the page showed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.assessments import uploads
from lms.assessments.models import EDITABLE, GRADED, Attachment, Submission, SubmissionState
from lms.audit import services as audit
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember, LatePolicy, MemberRole
from lms.courses.models import Course, Module
from lms.db import db, utcnow
from lms.i18n import speaking_to
from lms.notifications.mail import queue_mail
from lms.urls import absolute_url

MAX_ANSWER_CHARS = 100_000
MAX_ATTACHMENTS = 10


class SubmissionError(ValueError):
    """A request about a submission that the rules refuse; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def trainee_cohort(user: User, course: Course) -> Cohort | None:
    """The cohort in which this person takes the course as a trainee (most recent first)."""
    return db.session.scalar(
        sa.select(Cohort)
        .join(CohortMember)
        .where(
            Cohort.course_id == course.id,
            CohortMember.user_id == user.id,
            CohortMember.role == MemberRole.TRAINEE,
        )
        .order_by(Cohort.starts_on.desc())
        .limit(1)
    )


def attempts(user: User, module: Module) -> list[Submission]:
    return list(
        db.session.scalars(
            sa.select(Submission)
            .filter_by(user_id=user.id, module_id=module.id)
            .order_by(Submission.attempt)
        )
    )


def attempts_used(rows: list[Submission]) -> int:
    return sum(1 for row in rows if row.state in GRADED)


def deadline(cohort: Cohort, module: Module) -> CohortDeadline | None:
    return db.session.get(CohortDeadline, (cohort.id, module.id))


def current_attempt(user: User, module: Module) -> Submission | None:
    rows = attempts(user, module)
    return rows[-1] if rows else None


class AnswerConflict(SubmissionError):
    """The answer was saved elsewhere (another tab or window) since this page was opened.

    `saved` is the attempt as it now stands, so the trainee can merge both texts."""

    def __init__(self, message: str, saved: Submission) -> None:
        super().__init__(message)
        self.saved = saved


@dataclass
class SavedAnswer:
    """What one save did: the attempt written, the files taken and refused (name, why)."""

    submission: Submission
    changed: bool = False
    attached: list[Attachment] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def save_draft(
    user: User, module: Module, answer: str, *, expected_version: int | None
) -> Submission:
    """Create or update the trainee's open attempt; refuse when none may be opened."""
    return save_answer(user, module, answer, expected_version=expected_version).submission


def save_answer(
    user: User,
    module: Module,
    answer: str,
    *,
    expected_version: int | None = None,
    submission_id: int | None = None,
    files: Sequence[tuple[IO[bytes], str]] = (),
    remove: Iterable[int] = (),
) -> SavedAnswer:
    """Save the text of the trainee's open attempt, then attach and remove files.

    The page names the attempt it shows (`submission_id`, `expected_version`); with no
    attempt open, one is opened. The text is written before any file is looked at, so a
    refused file never costs the text: each refusal is reported in `refused`.
    A stale page gets `AnswerConflict` with the saved attempt, whatever it typed kept by
    the caller.
    """
    if len(answer) > MAX_ANSWER_CHARS:
        raise SubmissionError(_("The answer is longer than %(n)d characters.", n=MAX_ANSWER_CHARS))
    submission = _attempt_to_write(user, module, answer, submission_id, expected_version)
    result = SavedAnswer(submission)
    if submission.answer != answer:
        submission.answer = answer
        db.session.flush()
        result.changed = True
    to_remove = set(remove)
    for attachment in list(submission.attachments):
        if attachment.id in to_remove:
            result.removed.append(attachment.original_name)
            remove_attachment(user, attachment)
    for stream, filename in files:
        try:
            result.attached.append(add_attachment(user, submission, stream, filename))
        except SubmissionError as error:
            result.refused.append((uploads.display_name(filename), error.message))
    return result


def _attempt_to_write(
    user: User,
    module: Module,
    answer: str,
    submission_id: int | None,
    expected_version: int | None,
) -> Submission:
    if submission_id is not None:
        submission = db.session.get(Submission, submission_id)
        if submission is None or submission.user_id != user.id or submission.module_id != module.id:
            raise PermissionError("not the owner")
        if not submission.editable:
            raise AnswerConflict(
                _(
                    "This attempt was submitted or graded in another window, so it can no "
                    "longer be changed. Your text is below."
                ),
                submission,
            )
    else:
        submission = _editable_attempt(user, module)
        if submission is None:
            return _open_attempt(user, module)
        if expected_version is None and submission.answer.strip():
            # The page knew of no open attempt, but one has been written elsewhere since:
            # no version can match.
            expected_version = 0
    if (
        expected_version is not None
        and submission.version != expected_version
        and submission.answer != answer
    ):
        raise AnswerConflict(
            _(
                "This answer was changed in another window or tab since you opened it. "
                "Both texts are below: keep what you want in the answer box and save again."
            ),
            submission,
        )
    return submission


def _editable_attempt(user: User, module: Module) -> Submission | None:
    rows = attempts(user, module)
    return rows[-1] if rows and rows[-1].editable else None


def start_from_previous(user: User, module: Module) -> Submission:
    """Open the next attempt with the text of the last one (its files are not copied)."""
    rows = attempts(user, module)
    previous = next((row for row in reversed(rows) if row.answer.strip()), None)
    if previous is None:
        raise SubmissionError(_("There is no earlier answer to start from."))
    submission = _editable_attempt(user, module)
    if submission is not None and submission.answer.strip():
        raise SubmissionError(
            _("Your answer box is not empty: copy the earlier text in yourself if you want it.")
        )
    if submission is None:
        submission = _open_attempt(user, module)
    submission.answer = previous.answer
    db.session.flush()
    return submission


def _open_attempt(user: User, module: Module) -> Submission:
    course = module.course
    cohort = trainee_cohort(user, course)
    if cohort is None or module.case_study is None:
        raise SubmissionError(_("You are not enrolled to take this case study."))
    rows = attempts(user, module)
    latest = rows[-1] if rows else None
    if latest is not None and latest.state in EDITABLE:
        return latest
    if latest is not None and latest.state in {
        SubmissionState.SUBMITTED,
        SubmissionState.IN_REVIEW,
    }:
        raise SubmissionError(_("Your attempt is with the trainers; it can no longer be edited."))
    if any(row.state == SubmissionState.PASSED for row in rows):
        raise SubmissionError(_("You have already passed this case study."))
    if attempts_used(rows) >= course.max_attempts:
        raise SubmissionError(_("You have used all %(n)d attempts.", n=course.max_attempts))
    _check_deadline(cohort, module)
    version = course.current_version
    if version is None:
        raise SubmissionError(_("This course has no published content."))
    submission = Submission(
        user_id=user.id,
        module_id=module.id,
        cohort_id=cohort.id,
        content_version_id=version.id,
        attempt=len(rows) + 1,
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def _check_deadline(cohort: Cohort, module: Module) -> bool:
    """Return whether it is late; raise when late work is refused."""
    due = deadline(cohort, module)
    if due is None or utcnow() <= due.due_at:
        return False
    if cohort.late_policy == LatePolicy.REFUSE:
        raise SubmissionError(_("The deadline for this case study has passed."))
    return True


def add_attachment(
    user: User, submission: Submission, stream: IO[bytes], filename: str
) -> Attachment:
    """Store a file for an editable attempt of the user's own; type checked by content."""
    _own_editable(user, submission)
    if len(submission.attachments) >= MAX_ATTACHMENTS:
        raise SubmissionError(_("An answer can have at most %(n)d files.", n=MAX_ATTACHMENTS))
    limit = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    quota = int(current_app.config.get("UPLOAD_QUOTA_MB", 100)) * 1024 * 1024
    used = (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Attachment.size), 0))
            .join(Submission)
            .where(Submission.user_id == user.id)
        )
        or 0
    )
    try:
        stored = uploads.store(stream, min(limit, quota - int(used)))
    except uploads.UploadTooLarge:
        if quota - int(used) < limit:
            raise SubmissionError(_("Your storage quota is full. Remove a file first.")) from None
        raise SubmissionError(
            _("The file is larger than the limit of %(n)d MB.", n=limit // (1024 * 1024))
        ) from None
    except uploads.UploadRefused as error:
        raise SubmissionError(str(error)) from None
    name = uploads.display_name(filename)
    twin = next((a for a in submission.attachments if a.sha256 == stored.sha256), None)
    if twin is not None:
        uploads.discard(stored.stored_name)
        raise SubmissionError(
            _("This file is already attached as “%(name)s”.", name=twin.original_name)
        )
    attachment = Attachment(
        submission=submission,
        original_name=name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def remove_attachment(user: User, attachment: Attachment) -> None:
    _own_editable(user, attachment.submission)
    uploads.delete_after_commit(attachment.stored_name)
    db.session.delete(attachment)
    db.session.flush()


def _own_editable(user: User, submission: Submission) -> None:
    if submission.user_id != user.id:
        raise PermissionError("not the owner")
    if not submission.editable:
        raise SubmissionError(_("This attempt is frozen and can no longer be changed."))


def submit(user: User, submission: Submission, *, expected_version: int) -> Submission:
    """Hand in an attempt: it is frozen from now on."""
    _own_editable(user, submission)
    if submission.version != expected_version:
        raise SubmissionError(
            _("This answer changed since you opened it. Check it and submit again.")
        )
    if not submission.answer.strip() and not submission.attachments:
        raise SubmissionError(_("Write an answer or attach a file before submitting."))
    submission.late = _check_deadline(submission.cohort, submission.module)
    submission.state = SubmissionState.SUBMITTED
    submission.submitted_at = utcnow()
    submission.claimed_by_id = None
    db.session.flush()
    audit.record(
        "submission.submitted",
        "submissions",
        submission.id,
        actor=user,
        attempt=submission.attempt,
        late=submission.late,
    )
    # A receipt by e-mail only: the trainee is looking at the page that says the same.
    with speaking_to(user):
        title = _("We received your case study “%(title)s”", title=submission.module.title)
        queue_mail(
            user.email,
            title,
            "notification",
            user=user,
            title=title,
            body=_("Attempt %(n)d. Your trainer will grade it.", n=submission.attempt),
            url=absolute_url("assessments.submission", submission_id=submission.id),
        )
    return submission


def withdraw(user: User, submission: Submission) -> None:
    """Take a submitted attempt back to draft, as long as no trainer has started on it."""
    if submission.user_id != user.id:
        raise PermissionError("not the owner")
    if submission.state != SubmissionState.SUBMITTED:
        raise SubmissionError(_("Review has started: the attempt can no longer be withdrawn."))
    submission.state = SubmissionState.DRAFT
    submission.submitted_at = None
    submission.late = False
    db.session.flush()
    audit.record("submission.withdrawn", "submissions", submission.id, actor=user)
