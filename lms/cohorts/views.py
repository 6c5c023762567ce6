"""Administration of cohorts: their dates and rules, deadlines, trainers and trainees."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from lms.accounts.models import Role, User
from lms.cohorts import queries, services
from lms.cohorts.forms import (
    LATE_POLICY_LABELS,
    MEMBER_ROLE_LABELS,
    CohortForm,
    CsvUploadForm,
    MemberForm,
    NewCohortForm,
    deadline_values,
    deadlines_form,
)
from lms.cohorts.models import Cohort, MemberRole
from lms.cohorts.services import CohortError
from lms.courses.models import Course
from lms.db import db
from lms.extensions import limiter
from lms.permissions import role_required
from lms.rendering import render_form
from lms.urls import int_arg

bp = Blueprint("cohorts", __name__, url_prefix="/admin/cohorts")


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only() -> None:
    return None


def _cohort(cohort_id: int) -> Cohort:
    return db.session.get(Cohort, cohort_id) or abort(404)


def _admin_zone() -> dt.tzinfo:
    """The admin's own time zone: deadlines are typed and shown in it, stored in UTC."""
    try:
        return ZoneInfo(current_user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _apply_error(form: FlaskForm, error: CohortError, default: str) -> None:
    field = form[error.field] if error.field and error.field in form else form[default]
    field.errors = [*field.errors, error.message]


def _detail(cohort: Cohort, **forms: Any) -> Any:
    """Render the cohort page; forms not given start fresh (and are not bound to this POST)."""
    modules = queries.assessed_modules(cohort.course)
    zone = _admin_zone()
    if "edit_form" not in forms:
        forms["edit_form"] = CohortForm(formdata=None, obj=cohort, prefix="cohort")
    if "deadlines_form" not in forms:
        due = {row.module_id: row.due_at for row in cohort.deadlines}
        forms["deadlines_form"] = deadlines_form(
            modules, zone, due, formdata=None, prefix="deadlines"
        )
    forms.setdefault("member_form", MemberForm(formdata=None, prefix="member"))
    forms.setdefault("csv_form", CsvUploadForm(formdata=None, prefix="csv"))
    forms.setdefault("csv_errors", [])
    return render_form(
        "cohorts/detail.html",
        cohort=cohort,
        members=queries.members(cohort),
        modules=modules,
        zone_name=str(zone),
        role_labels=MEMBER_ROLE_LABELS,
        late_policy_labels=LATE_POLICY_LABELS,
        **forms,
    )


@bp.route("")
def index():  # type: ignore[no-untyped-def]
    course_id = int_arg(request.args.get("course"))
    return render_template(
        "cohorts/index.html",
        rows=queries.cohorts_with_counts(course_id),
        courses=queries.courses(),
        course_id=course_id,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    form = NewCohortForm()
    form.set_courses(queries.courses())
    if form.validate_on_submit():
        course = db.session.get(Course, form.course_id.data) or abort(404)
        try:
            cohort = services.create_cohort(course, **form.cohort_values(), actor=current_user)
        except CohortError as error:
            _apply_error(form, error, "name")
        else:
            flash(_("Cohort %(name)s created.", name=cohort.name), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_form("cohorts/new.html", form=form)


@bp.route("/<int:cohort_id>")
def detail(cohort_id: int):  # type: ignore[no-untyped-def]
    return _detail(_cohort(cohort_id))


@bp.route("/<int:cohort_id>/edit", methods=["POST"])
def edit(cohort_id: int):  # type: ignore[no-untyped-def]
    cohort = _cohort(cohort_id)
    form = CohortForm(prefix="cohort")
    if form.validate_on_submit():
        try:
            services.update_cohort(cohort, **form.cohort_values(), actor=current_user)
        except CohortError as error:
            _apply_error(form, error, "name")
        else:
            flash(_("Saved changes to %(name)s.", name=cohort.name), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return _detail(cohort, edit_form=form)


@bp.route("/<int:cohort_id>/deadlines", methods=["POST"])
def deadlines(cohort_id: int):  # type: ignore[no-untyped-def]
    cohort = _cohort(cohort_id)
    modules = queries.assessed_modules(cohort.course)
    form = deadlines_form(modules, _admin_zone(), {}, prefix="deadlines")
    if form.validate_on_submit():
        try:
            services.set_deadlines(cohort, deadline_values(form, modules), actor=current_user)
        except CohortError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Deadlines saved."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id, _anchor="deadlines"))
    return _detail(cohort, deadlines_form=form)


@bp.route("/<int:cohort_id>/members", methods=["POST"])
def add_member(cohort_id: int):  # type: ignore[no-untyped-def]
    cohort = _cohort(cohort_id)
    form = MemberForm(prefix="member")
    if form.validate_on_submit():
        try:
            member = services.enrol_by_email(
                cohort,
                form.email.data or "",
                MemberRole(form.role.data),
                lead=bool(form.lead.data),
                actor=current_user,
            )
        except CohortError as error:
            _apply_error(form, error, "email")
        else:
            flash(_("%(name)s enrolled.", name=member.user.name), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id, _anchor="members"))
    return _detail(cohort, member_form=form)


@bp.route("/<int:cohort_id>/members/<int:user_id>/<role>/remove", methods=["POST"])
def remove_member(cohort_id: int, user_id: int, role: str):  # type: ignore[no-untyped-def]
    cohort = _cohort(cohort_id)
    user = db.session.get(User, user_id) or abort(404)
    if role not in {r.value for r in MemberRole}:
        abort(404)
    try:
        services.unenrol(cohort, user, MemberRole(role), actor=current_user)
    except CohortError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s removed from the cohort.", name=user.name), "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id, _anchor="members"))


@bp.route("/<int:cohort_id>/import", methods=["POST"])
@limiter.limit("60 per hour")
def import_csv(cohort_id: int):  # type: ignore[no-untyped-def]
    cohort = _cohort(cohort_id)
    form = CsvUploadForm(prefix="csv")
    csv_errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        try:
            result = services.enrol_from_csv(cohort, form.text, actor=current_user)
        except CohortError as error:
            form.file.errors = [error.message]
        else:
            if result.ok:
                flash(_import_summary(len(result.enrolled), len(result.invited)), "success")
                return redirect(url_for("cohorts.detail", cohort_id=cohort.id, _anchor="members"))
            csv_errors = result.errors
    return _detail(cohort, csv_form=form, csv_errors=csv_errors)


def _import_summary(enrolled: int, invited: int) -> str:
    summary = ngettext("%(num)d person enrolled.", "%(num)d people enrolled.", enrolled)
    if invited:
        summary += " " + ngettext(
            "%(num)d of them was invited to create an account.",
            "%(num)d of them were invited to create an account.",
            invited,
        )
    return summary
