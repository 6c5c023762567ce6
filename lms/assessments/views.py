"""A trainee's answer to a case study: save drafts, attach files, submit, withdraw, read results."""

from __future__ import annotations

from typing import IO

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
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
from lms.assessments.forms import AnswerForm, PreviewForm, SubmitForm
from lms.assessments.models import Attachment, Submission
from lms.assessments.pages import render_case_study
from lms.cohorts.models import LatePolicy
from lms.courses.models import Module
from lms.db import db, utcnow
from lms.grading import services as grading
from lms.i18n import time_local
from lms.markdown import render_user_text
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


def _module(module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    if module is None or module.case_study is None:
        abort(404)
    return module


def _files() -> list[tuple[IO[bytes], str]]:
    return [
        (upload.stream, upload.filename or "")
        for upload in request.files.getlist("files")
        if upload.filename
    ]


def _removals() -> list[int]:
    return [int(value) for value in request.form.getlist("remove") if value.isdigit()]


@bp.route("/modules/<int:module_id>/draft", methods=["POST"])
def save_draft(module_id: int):  # type: ignore[no-untyped-def]
    """Save the answer with its files; then stay, go to review, or start from the last text."""
    module = _module(module_id)
    form = AnswerForm()
    action = request.form.get("action", "save")
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            flash(
                _("The page had expired, so nothing was saved. Your text is below: save again."),
                "error",
            )
        else:
            flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return render_case_study(module, form=form, status=400)
    if action == "previous":
        return _start_from_previous(module, form)
    try:
        saved = services.save_answer(
            current_user,
            module,
            form.answer.data or "",
            expected_version=form.version.data,
            submission_id=form.submission_id.data,
            files=_files(),
            remove=_removals(),
        )
    except services.AnswerConflict as conflict:
        flash(conflict.message, "error")
        if _files():
            flash(
                _("The files you chose were not attached: choose them again, then save."), "error"
            )
        return render_case_study(module, form=form, saved=conflict.saved, status=409)
    except services.SubmissionError as error:
        flash(error.message, "error")
        return render_case_study(module, form=form, status=409)
    except PermissionError:
        abort(404)
    _report(saved)
    if action == "review" and not saved.refused:
        return redirect(url_for("assessments.submit", submission_id=saved.submission.id))
    return redirect(_case_url(module))


def _report(saved: services.SavedAnswer) -> None:
    for name, reason in saved.refused:
        flash(
            _(
                "Your text was saved, but “%(name)s” was not attached: %(reason)s",
                name=name,
                reason=reason,
            ),
            "error",
        )
    for attachment in saved.attached:
        flash(_("“%(name)s” attached.", name=attachment.original_name), "success")
    for name in saved.removed:
        flash(_("“%(name)s” removed.", name=name), "success")
    if not saved.refused:
        flash(_("Draft saved at %(time)s.", time=time_local(utcnow())), "success")


def _start_from_previous(module: Module, form: AnswerForm):  # type: ignore[no-untyped-def]
    try:
        services.start_from_previous(current_user, module)
    except services.SubmissionError as error:
        flash(error.message, "error")
        return render_case_study(module, form=form, status=409)
    flash(_("Your previous answer is in the box: change it and save."), "success")
    return redirect(_case_url(module))


@bp.route("/modules/<int:module_id>/autosave", methods=["POST"])
def autosave(module_id: int):  # type: ignore[no-untyped-def]
    """The draft saved while the trainee types: JSON for the page's script."""
    module = _module(module_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return jsonify(
                error="expired",
                message=_("The page has expired: save the draft to keep your text."),
            ), 400
        return jsonify(
            error="invalid", message=" ".join(e for errors in form.errors.values() for e in errors)
        ), 400
    try:
        saved = services.save_answer(
            current_user,
            module,
            form.answer.data or "",
            expected_version=form.version.data,
            submission_id=form.submission_id.data,
        )
    except services.AnswerConflict as conflict:
        return jsonify(
            error="conflict",
            message=conflict.message,
            answer=conflict.saved.answer,
            submission_id=conflict.saved.id if conflict.saved.editable else None,
            version=conflict.saved.version if conflict.saved.editable else None,
        ), 409
    except services.SubmissionError as error:
        return jsonify(error="refused", message=error.message), 409
    except PermissionError:
        abort(404)
    now = utcnow()
    return jsonify(
        submission_id=saved.submission.id,
        version=saved.submission.version,
        saved_at=now.isoformat(),
        message=_("Saved at %(time)s", time=time_local(now)),
    )


@bp.route("/preview", methods=["POST"])
def preview():  # type: ignore[no-untyped-def]
    """What the answer will look like: rendered by the same sanitiser as every page."""
    form = PreviewForm()
    if not form.validate_on_submit():
        return jsonify(error="invalid"), 400
    return jsonify(html=render_user_text(form.answer.data or ""))


@bp.route("/attachments/<int:attachment_id>")
def download(attachment_id: int):  # type: ignore[no-untyped-def]
    attachment = db.session.get(Attachment, attachment_id) or abort(404)
    submission = attachment.submission
    if submission.user_id != current_user.id and (
        # A draft is the trainee's alone, files included, until it is handed in.
        submission.editable or not grading.can_grade(current_user, submission)
    ):
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
        "assessments/confirm_submit.html",
        submission=submission,
        form=form,
        due=services.deadline(submission.cohort, submission.module),
        late_refused=submission.cohort.late_policy == LatePolicy.REFUSE,
        now=utcnow(),
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
        descriptors=grading.descriptors_for(submission),
        module=submission.module,
    )
