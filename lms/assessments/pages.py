"""The case-study page, drawn from the course's view and again from a refused save.

A save that cannot be kept (a stale page, an expired form) shows the same page with the text
the trainee typed still in the answer box, so nothing typed is lost on the way back.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from lms.assessments import queries
from lms.assessments.forms import AnswerForm
from lms.assessments.models import Submission
from lms.courses import queries as course_queries
from lms.courses.models import Module


def answer_form_for(workspace: queries.Workspace) -> AnswerForm:
    """The form as the page opens: the open attempt's text and version, or empty."""
    open_attempt = workspace.open
    return AnswerForm(
        formdata=None,
        data={
            "answer": open_attempt.answer if open_attempt else "",
            "submission_id": open_attempt.id if open_attempt else None,
            "version": open_attempt.version if open_attempt else None,
        },
    )


def render_case_study(
    module: Module,
    *,
    form: AnswerForm | None = None,
    saved: Submission | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The page; `form` carries typed text to show back, `saved` the attempt it clashed with."""
    course = module.course
    workspace = queries.workspace(current_user, module)
    if form is None:
        form = answer_form_for(workspace)
    elif saved is not None:
        # Saving again after merging writes over what the other window saved.
        form = AnswerForm(
            formdata=None,
            data={
                "answer": form.answer.data or "",
                "submission_id": saved.id if saved.editable else None,
                "version": saved.version if saved.editable else None,
            },
        )
    show_notes = current_user.is_admin or course_queries.is_trainer_of(current_user, course)
    page = render_template(
        "courses/case_study.html",
        course=course,
        module=module,
        case=module.case_study,
        show_notes=show_notes,
        workspace=workspace if workspace.cohort else None,
        answer_form=form,
        saved=saved,
    )
    return page, status
