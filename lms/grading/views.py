"""Trainers' grading: the queue, the rubric form, second marking, moderation, snippets."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from lms.accounts.models import Role, User
from lms.assessments.models import Submission, SubmissionState
from lms.audit.models import AuditEvent
from lms.cohorts.models import CohortMember, MemberRole
from lms.db import db
from lms.grading import queries, services
from lms.grading.forms import ReassignForm, ReturnForm, SnippetForm, rubric_form_class
from lms.grading.models import CommentSnippet, Grade, GradeKind
from lms.permissions import role_required
from lms.urls import int_arg

bp = Blueprint("grading", __name__, url_prefix="/grading")


@bp.before_request
@role_required(Role.TRAINER, Role.ADMIN)
def _graders_only() -> None:
    return None


def _gradable(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or not services.can_grade(current_user, submission):
        abort(404)
    if submission.state == SubmissionState.DRAFT:
        abort(404)
    return submission


@bp.route("/")
def queue():  # type: ignore[no-untyped-def]
    state = request.args.get("state", "")
    filters = queries.QueueFilters(
        cohort_id=int_arg(request.args.get("cohort")),
        module_id=int_arg(request.args.get("module")),
        state=SubmissionState(state) if state in {s.value for s in SubmissionState} else None,
        late={"yes": True, "no": False}.get(request.args.get("late", "")),
    )
    page = db.paginate(
        queries.queue(current_user, filters), per_page=25, max_per_page=100, error_out=False
    )
    cohorts, modules = queries.queue_choices(current_user)
    return render_template(
        "grading/queue.html",
        page=page,
        stages=queries.review_stages([submission.id for submission in page.items]),
        filters=filters,
        cohorts=cohorts,
        modules=modules,
        counts=queries.state_counts(current_user),
        states=list(SubmissionState),
    )


@bp.route("/submissions/<int:submission_id>/claim", methods=["POST"])
def claim(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _gradable(submission_id)
    try:
        services.claim(current_user, submission)
    except services.GradingError as error:
        flash(error.message, "warning")
    return redirect(url_for("grading.grade", submission_id=submission_id))


def _current_kind(submission: Submission) -> GradeKind | None:
    """Which grade this person may write now, if any."""
    if submission.state != SubmissionState.IN_REVIEW:
        return None
    first = services.grade_of(submission, GradeKind.FIRST)
    if submission.claimed_by_id == current_user.id and (
        first is None or first.completed_at is None
    ):
        return GradeKind.FIRST
    if services.awaiting_moderation(submission) and services.can_moderate(current_user, submission):
        return GradeKind.AGREED
    if (
        services.needs_second_marking(submission)
        and first is not None
        and first.grader_id != current_user.id
    ):
        second = services.grade_of(submission, GradeKind.SECOND)
        if second is None or second.completed_at is None:
            return GradeKind.SECOND
    return None


def _form_for(submission: Submission, grade: Grade | None, formdata: object = None):  # type: ignore[no-untyped-def]
    criteria = services.criteria_for(submission)
    descriptors = services.descriptors_for(submission)
    form_class = rubric_form_class(criteria, descriptors)
    data: dict[str, object] = {}
    if grade is not None:
        data = {"overall_feedback": grade.overall_feedback, "version": grade.version}
        for c in criteria:
            if c.code in grade.levels:
                data[f"level__{c.code}"] = str(grade.levels[c.code])
            data[f"feedback__{c.code}"] = grade.feedback.get(c.code, "")
    return form_class(formdata=formdata, data=data), criteria, descriptors


@bp.route("/submissions/<int:submission_id>", methods=["GET", "POST"])
def grade(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _gradable(submission_id)
    kind = _current_kind(submission)
    grade = services.grade_of(submission, kind) if kind else None
    form, criteria, descriptors = _form_for(
        submission, grade, request.form if request.method == "POST" else None
    )
    status = 200
    if request.method == "POST":
        if kind is None or not form.validate_on_submit():
            abort(403 if kind is None else 400)
        try:
            saved = _save(submission, kind, form, criteria)
        except services.StaleGrade as stale:
            db.session.rollback()
            form, criteria, descriptors = _form_for(submission, stale.grade)
            flash(stale.message, "error")
            status = 409
        except StaleDataError:
            db.session.rollback()
            current = services.grade_of(submission, kind)
            form, criteria, descriptors = _form_for(submission, current)
            flash(
                _(
                    "Someone else changed this grade while you were working. Your changes were "
                    "not saved; the current values are shown."
                ),
                "error",
            )
            status = 409
        except services.GradingError as error:
            flash(error.message, "error")
            status = 422
        else:
            return _after_save(submission, saved)
    return render_template(
        "grading/grade.html",
        submission=submission,
        kind=kind,
        form=form,
        criteria=criteria,
        descriptors=descriptors,
        grades=_grades(submission),
        blind=_blind(submission),
        return_form=ReturnForm(),
        reassign_form=_reassign_form(submission),
        snippets=db.session.scalars(
            sa.select(CommentSnippet)
            .filter_by(trainer_id=current_user.id)
            .order_by(CommentSnippet.title)
        ).all(),
        pass_mark=submission.content_version.snapshot["pass_mark"],
        min_levels=submission.content_version.snapshot["min_level_by_priority"],
    ), status


def _save(submission: Submission, kind: GradeKind, form, criteria) -> Grade:  # type: ignore[no-untyped-def]
    levels = {
        c.code: (int(v) if (v := form[f"level__{c.code}"].data) not in (None, "", "None") else None)
        for c in criteria
    }
    feedback = {c.code: form[f"feedback__{c.code}"].data or "" for c in criteria}
    return services.save_grade(
        current_user,
        submission,
        kind,
        levels=levels,
        feedback=feedback,
        overall_feedback=form.overall_feedback.data or "",
        expected_version=form.version.data,
        complete=request.form.get("action") == "complete",
    )


def _after_save(submission: Submission, saved: Grade):  # type: ignore[no-untyped-def]
    if saved.completed_at is None:
        flash(_("Draft saved. The trainee does not see it yet."), "success")
        return redirect(url_for("grading.grade", submission_id=submission.id))
    if submission.state in {SubmissionState.PASSED, SubmissionState.FAILED}:
        flash(_("Grade released to the trainee."), "success")
    elif services.awaiting_moderation(submission):
        flash(_("The markers disagree: a moderator will set the agreed grade."), "info")
    else:
        flash(_("Grade finished. A second trainer marks it independently before release."), "info")
    return redirect(url_for("grading.queue"))


def _grades(submission: Submission) -> list[Grade]:
    """Grades this person may see: their own, and all of them for moderators and admins."""
    rows = list(db.session.scalars(sa.select(Grade).filter_by(submission_id=submission.id)))
    if services.can_moderate(current_user, submission) or submission.state in {
        SubmissionState.PASSED,
        SubmissionState.FAILED,
    }:
        return rows
    return [g for g in rows if g.grader_id == current_user.id]


def _blind(submission: Submission) -> bool:
    return submission.cohort.blind_marking and submission.released_at is None


def _reassign_form(submission: Submission) -> ReassignForm | None:
    if not current_user.is_admin:
        return None
    form = ReassignForm()
    trainers = db.session.scalars(
        sa.select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(
            CohortMember.cohort_id == submission.cohort_id,
            CohortMember.role == MemberRole.TRAINER,
            User.id != submission.user_id,
        )
        .order_by(User.name)
    ).all()
    from wtforms import SelectChoice

    form.trainer_id.choices = [SelectChoice(t.id, t.name) for t in trainers]
    return form


@bp.route("/submissions/<int:submission_id>/return", methods=["POST"])
def return_submission(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _gradable(submission_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Say what the trainee should complete or change."), "error")
        return redirect(url_for("grading.grade", submission_id=submission_id))
    try:
        services.return_for_resubmission(current_user, submission, form.reason.data or "")
    except services.GradingError as error:
        flash(error.message, "error")
        return redirect(url_for("grading.grade", submission_id=submission_id))
    except PermissionError:
        abort(403)
    flash(_("Returned to the trainee with your reasons."), "success")
    return redirect(url_for("grading.queue"))


@bp.route("/submissions/<int:submission_id>/reassign", methods=["POST"])
@role_required(Role.ADMIN)
def reassign(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _gradable(submission_id)
    form = _reassign_form(submission)
    if form is None or not form.validate_on_submit():
        abort(400)
    trainer = db.session.get(User, form.trainer_id.data) or abort(404)
    try:
        services.reassign(current_user, submission, trainer)
    except services.GradingError as error:
        flash(error.message, "error")
    else:
        flash(_("Now in review by %(name)s.", name=trainer.name), "success")
    return redirect(url_for("grading.grade", submission_id=submission_id))


@bp.route("/submissions/<int:submission_id>/history")
@role_required(Role.ADMIN)
def history(submission_id: int):  # type: ignore[no-untyped-def]
    submission = _gradable(submission_id)
    grade_ids = [
        str(g.id)
        for g in db.session.scalars(sa.select(Grade).filter_by(submission_id=submission.id))
    ]
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                sa.and_(
                    AuditEvent.subject_type == "submissions",
                    AuditEvent.subject_id == str(submission.id),
                ),
                sa.and_(AuditEvent.subject_type == "grades", AuditEvent.subject_id.in_(grade_ids)),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return render_template("grading/history.html", submission=submission, events=events)


@bp.route("/snippets", methods=["GET", "POST"])
def snippets():  # type: ignore[no-untyped-def]
    form = SnippetForm()
    if form.validate_on_submit():
        db.session.add(
            CommentSnippet(
                trainer_id=current_user.id,
                title=form.title.data.strip(),
                text=form.text.data.strip(),
            )
        )
        flash(_("Comment saved."), "success")
        return redirect(url_for("grading.snippets"))
    rows = db.session.scalars(
        sa.select(CommentSnippet)
        .filter_by(trainer_id=current_user.id)
        .order_by(CommentSnippet.title)
    ).all()
    status = 422 if request.method == "POST" else 200
    return render_template("grading/snippets.html", form=form, rows=rows), status


@bp.route("/snippets/<int:snippet_id>/delete", methods=["POST"])
def delete_snippet(snippet_id: int):  # type: ignore[no-untyped-def]
    snippet = db.session.get(CommentSnippet, snippet_id)
    if snippet is None or snippet.trainer_id != current_user.id:
        abort(404)
    db.session.delete(snippet)
    flash(_("Comment deleted."), "success")
    return redirect(url_for("grading.snippets"))


@bp.route("/agreement")
def agreement():  # type: ignore[no-untyped-def]
    if not current_user.is_admin and not current_app.config.get("SHOW_AGREEMENT_TO_TRAINERS", True):
        abort(403)
    return render_template("grading/agreement.html", rows=queries.agreement_by_marker())
