"""Courses as trainees and trainers see them: catalogue, course, lessons, toolbox, search."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.assessments.pages import render_case_study
from lms.courses import queries, services
from lms.courses.models import Course, ToolboxItem
from lms.courses.toolbox import split_at_template, template_filename, template_markdown
from lms.reports import dashboards
from lms.search import queries as search_queries

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.before_request
@login_required
def _signed_in_only() -> None:
    return None


def _course(slug: str) -> Course:
    return queries.course_for(current_user, slug) or abort(404)


@bp.route("/")
def catalogue():  # type: ignore[no-untyped-def]
    courses = queries.my_courses(current_user)
    progress = queries.course_progress_for_many(current_user, courses)
    return render_template("courses/catalogue.html", courses=courses, progress=progress)


@bp.route("/<course_slug>/")
def course(course_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    modules = queries.course_modules(course)
    done = queries.completed_lesson_ids(current_user, course)
    per_module = queries.module_progress(modules, done)
    resume = queries.continue_lesson(
        modules, done, queries.last_completed_lesson_id(current_user, course)
    )
    is_trainee = queries.is_trainee_of(current_user, course)
    return render_template(
        "courses/course.html",
        course=course,
        modules=modules,
        done=done,
        per_module=per_module,
        overall=queries.course_progress(per_module),
        resume=resume,
        is_trainee=is_trainee,
        card=dashboards.trainee_card(current_user, course) if is_trainee else None,
    )


@bp.route("/<course_slug>/derivation")
def derivation(course_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    return render_template(
        "courses/derivation.html", course=course, modules=queries.course_modules(course)
    )


@bp.route("/<course_slug>/lessons/<lesson_slug>")
def lesson(course_slug: str, lesson_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    lesson = queries.lesson_in(course, lesson_slug) or abort(404)
    modules = queries.course_modules(course)
    ordered = [item for module in modules for item in module.lessons]
    index = next(i for i, item in enumerate(ordered) if item.id == lesson.id)
    done = queries.completed_lesson_ids(current_user, course)
    return render_template(
        "courses/lesson.html",
        course=course,
        lesson=lesson,
        module=lesson.module,
        previous=ordered[index - 1] if index > 0 else None,
        next=ordered[index + 1] if index + 1 < len(ordered) else None,
        completed=lesson.id in done,
        module_progress=queries.module_progress([lesson.module], done)[lesson.module.id],
        is_trainee=queries.is_trainee_of(current_user, course),
    )


@bp.route("/<course_slug>/lessons/<lesson_slug>/complete", methods=["POST"])
def complete_lesson(course_slug: str, lesson_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    lesson = queries.lesson_in(course, lesson_slug) or abort(404)
    if not queries.is_trainee_of(current_user, course):
        abort(403)
    completed = request.form.get("completed", "1") == "1"
    services.set_lesson_completed(current_user.id, lesson, completed)
    if completed:
        flash(_("Lesson marked as complete."), "success")
    else:
        flash(_("Lesson marked as not complete."), "info")
    # Back to the form, not the top of a long lesson: the message and "Next lesson" are there.
    return redirect(
        url_for(
            "courses.lesson",
            course_slug=course.slug,
            lesson_slug=lesson.slug,
            _anchor="completion",
        )
    )


@bp.route("/<course_slug>/toolbox")
def toolbox(course_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    return render_template("courses/toolbox.html", course=course, items=queries.toolbox_in(course))


def _toolbox_item(course: Course, item_slug: str) -> ToolboxItem:
    items = queries.toolbox_in(course, item_slug) or abort(404)
    return items[0]


@bp.route("/<course_slug>/toolbox/<item_slug>")
def toolbox_item(course_slug: str, item_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    item = _toolbox_item(course, item_slug)
    return render_template(
        "courses/toolbox_item.html",
        course=course,
        item=item,
        template=template_markdown(item.body_markdown),
        parts=split_at_template(item.body_html),
    )


@bp.route("/<course_slug>/toolbox/<item_slug>/template.md")
def toolbox_template(course_slug: str, item_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    item = _toolbox_item(course, item_slug)
    template = template_markdown(item.body_markdown) or abort(404)
    return Response(
        f"# {item.title}\n\n{template}",
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{template_filename(item)}"'},
    )


@bp.route("/<course_slug>/modules/<module_slug>/case-study")
def case_study(course_slug: str, module_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    module = next((m for m in queries.course_modules(course) if m.slug == module_slug), None)
    if module is None or module.case_study is None:
        abort(404)
    return render_case_study(module)


@bp.route("/search")
def search():  # type: ignore[no-untyped-def]
    text = request.args.get("q", "")[:200].strip()
    outcome = search_queries.search(current_user, text) if text else None
    return render_template("courses/search.html", text=text, outcome=outcome)


@bp.route("/<course_slug>/progress")
def progress(course_slug: str):  # type: ignore[no-untyped-def]
    course = _course(course_slug)
    cohorts = queries.cohorts_of_course(current_user, course)
    if not cohorts and not current_user.is_admin:
        abort(403)
    modules = queries.course_modules(course)
    rows = queries.trainees_progress(course, [c.id for c in cohorts])
    totals = {m.id: sum(1 for lesson in m.lessons if lesson.required) for m in modules}
    return render_template(
        "courses/progress.html",
        course=course,
        cohorts=cohorts,
        modules=modules,
        rows=rows,
        totals=totals,
        cohort_names={c.id: c.name for c in cohorts},
    )
