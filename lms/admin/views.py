"""Administration of people and organisations."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import queries, services
from lms.accounts.models import Organisation, Role, User
from lms.accounts.services import AccountError
from lms.admin.forms import InviteForm, OrganisationForm, UserEditForm
from lms.db import db
from lms.extensions import limiter
from lms.permissions import fresh_login_required, role_required
from lms.rendering import render_form
from lms.urls import int_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only() -> None:
    return None


def _organisation(organisation_id: int | None) -> Organisation | None:
    return db.session.get(Organisation, organisation_id) if organisation_id else None


@bp.route("/users")
def users():  # type: ignore[no-untyped-def]
    search = request.args.get("q", "")[:200]
    role_value = request.args.get("role", "")
    role = Role(role_value) if role_value in {r.value for r in Role} else None
    organisation_id = int_arg(request.args.get("organisation"))
    page = db.paginate(
        queries.users_query(search, role, organisation_id),
        per_page=int(current_app.config["USERS_PER_PAGE"]),
        max_per_page=100,
        error_out=False,
    )
    return render_template(
        "admin/users.html",
        page=page,
        search=search,
        role=role,
        organisation_id=organisation_id,
        organisations=queries.organisations(),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
def invite_user():  # type: ignore[no-untyped-def]
    form = InviteForm()
    form.set_organisations(queries.organisations())
    if form.validate_on_submit():
        services.invite_user(
            form.email.data or "",
            form.name.data or "",
            [Role(value) for value in form.roles.data or []],
            organisation=_organisation(form.organisation_id.data),
            actor=current_user,
        )
        flash(_("Invitation sent to %(email)s.", email=form.email.data), "success")
        return redirect(url_for("admin.users"))
    return render_form("admin/invite.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@fresh_login_required
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(
        obj=user,
        data=None
        if request.method == "POST"
        else {
            "roles": [role.value for role in user.roles],
            "organisation_id": user.organisation_id or 0,
        },
    )
    form.set_organisations(queries.organisations())
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                name=form.name.data or "",
                roles=[Role(value) for value in form.roles.data or []],
                organisation=_organisation(form.organisation_id.data),
                active=bool(form.active.data),
                actor=current_user,
            )
        except AccountError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(_("Saved changes to %(name)s.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    return render_form("admin/user_edit.html", form=form, user=user)


@bp.route("/users/<int:user_id>/resend-invitation", methods=["POST"])
def resend_invitation(user_id: int):  # type: ignore[no-untyped-def]
    user = db.session.get(User, user_id) or abort(404)
    if user.has_password:
        flash(_("%(name)s has already accepted the invitation.", name=user.name), "info")
    else:
        services.send_invitation(user, actor=current_user)
        flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/organisations")
def organisations():  # type: ignore[no-untyped-def]
    return render_template("admin/organisations.html", rows=queries.organisations_with_counts())


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def edit_organisation(organisation_id: int | None = None):  # type: ignore[no-untyped-def]
    organisation = None
    if organisation_id is not None:
        organisation = db.session.get(Organisation, organisation_id) or abort(404)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.save_organisation(
                organisation,
                name=form.name.data or "",
                country=form.country.data or "",
                region=form.region.data or "",
                actor=current_user,
            )
        except AccountError as error:
            form.name.errors.append(error.message)
        else:
            flash(_("Organisation saved."), "success")
            return redirect(url_for("admin.organisations"))
    return render_form("admin/organisation_form.html", form=form, organisation=organisation)
