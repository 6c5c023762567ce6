"""A trainee's answer to a case study: save drafts, attach files, submit, withdraw, read results."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from lms.assessments import services
from lms.assessments.forms import AnswerForm, SubmitForm, UploadForm
from lms.assessments.models import Attachment, Submission
from lms.courses.models import Module
from lms.db import db
from lms.grading import services as grading
from lms.rendering import render_form
from lms.storage import get_storage

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _signed_in_only() -> None:
    return None


def _own(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.user_id != current_user.id:
        abort(404)
    return submission


def _case_url(module: Module) -> str:
    return url_for(
        "courses.case_study",
        course_slug=module.course.slug,
        module_slug=module.slug,
        _anchor="your-answer",
    )


@bp.route("/modules/<int:module_id>/draft", methods=["POST"])
def save_draft(module_id: int):  # type: ignore[no-untyped-def]
    module = db.session.get(Module, module_id) or abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(_case_url(module))
    try:
        services.save_draft(
            current_user, module, form.answer.data or "", expected_version=form.version.data
        )
    except services.SubmissionError as error:
        flash(error.message, "error")
        return render_form_error(module, error.message, form)
    flash(_("Draft saved."), "success")
    return redirect(_case_url(module))


def render_form_error(module: Module, message: str, form: AnswerForm):  # type: ignore[no-untyped-def]
    """Show the refusal with the text the trainee typed, so nothing is lost."""
    return render_template(
        "assessments/refused.html", module=module, message=message, answer=form.answer.data or ""
    ), 409


@bp.route("/submissions/<int:submission_id>/attachments", methods=["POST"])
def upload(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _own(submission_id)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to attach."), "error")
        return redirect(_case_url(submission.module))
    try:
        services.add_attachment(
            current_user, submission, form.file.data.stream, form.file.data.filename or ""
        )
    except services.SubmissionError as error:
        flash(error.message, "error")
        return redirect(_case_url(submission.module))
    flash(_("File attached."), "success")
    return redirect(_case_url(submission.module))


@bp.route(
    "/submissions/<int:submission_id>/attachments/<int:attachment_id>/delete", methods=["POST"]
)
def delete_attachment(submission_id: int, attachment_id: int):  # type: ignore[no-untyped-def]
    submission = _own(submission_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.submission_id != submission.id:
        abort(404)
    try:
        services.remove_attachment(current_user, attachment)
    except services.SubmissionError as error:
        flash(error.message, "error")
        return redirect(_case_url(submission.module))
    flash(_("File removed."), "success")
    return redirect(_case_url(submission.module))


@bp.route("/attachments/<int:attachment_id>")
def download(attachment_id: int):  # type: ignore[no-untyped-def]
    attachment = db.session.get(Attachment, attachment_id) or abort(404)
    submission = attachment.submission
    if submission.user_id != current_user.id and not grading.can_grade(current_user, submission):
        abort(404)
    storage = get_storage()
    if not storage.exists(attachment.stored_name):
        abort(404)
    local = storage.local_path(attachment.stored_name)
    response = send_file(
        local if local is not None else storage.open(attachment.stored_name),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/submissions/<int:submission_id>/submit", methods=["GET", "POST"])
def submit(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _own(submission_id)
    form = SubmitForm(data={"version": submission.version} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.submit(current_user, submission, expected_version=form.version.data or 0)
        except services.SubmissionError as error:
            flash(error.message, "error")
            return redirect(_case_url(submission.module))
        flash(_("Your answer was submitted. You will be notified when it is graded."), "success")
        return redirect(url_for("assessments.submission", submission_id=submission.id))
    if not submission.editable:
        return redirect(url_for("assessments.submission", submission_id=submission.id))
    return render_form(
        "assessments/confirm_submit.html", submission=submission, form=form, workspace=None
    )


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
def withdraw(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _own(submission_id)
    try:
        services.withdraw(current_user, submission)
    except (services.SubmissionError, StaleDataError) as error:
        db.session.rollback()
        message = getattr(error, "message", _("Review has just started: it cannot be withdrawn."))
        flash(message, "error")
        return redirect(url_for("assessments.submission", submission_id=submission_id))
    flash(_("Your attempt is a draft again; submit it when it is ready."), "success")
    return redirect(_case_url(submission.module))


@bp.route("/submissions/<int:submission_id>")
def submission(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _own(submission_id)
    grade = grading.released_grade(submission)
    criteria = grading.criteria_for(submission)
    return render_template(
        "assessments/submission.html",
        submission=submission,
        grade=grade,
        criteria=criteria,
        module=submission.module,
    )
