"""The signed-in user's own account: name, password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts import services as accounts
from lms.accounts.services import AccountError
from lms.auth.forms import ChangeEmailForm, ChangePasswordForm, ProfileForm
from lms.permissions import fresh_login_required, mark_fresh
from lms.rendering import render_form

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():  # type: ignore[no-untyped-def]
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        current_user.name = (form.name.data or "").strip()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_form("accounts/profile.html", form=form, password_form=password_form)


@bp.route("/password", methods=["POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        if accounts.authenticate(current_user.email, password_form.current.data or "") is None:
            password_form.current.errors.append(_("The current password is not correct."))
        else:
            try:
                accounts.set_password(
                    current_user,
                    password_form.password.data or "",
                    keep=current_user.current_session,
                )
            except AccountError as error:
                password_form.password.errors.append(error.message)
            else:
                mark_fresh()
                flash(
                    _("Your password is changed. Your other sessions have been ended."), "success"
                )
                return redirect(url_for("accounts.profile"))
    return render_form("accounts/profile.html", form=form, password_form=password_form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@fresh_login_required
def change_email():  # type: ignore[no-untyped-def]
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.password.data or "") is None:
            form.password.errors.append(_("The password is not correct."))
        else:
            try:
                accounts.change_email(current_user, form.email.data or "")
            except AccountError as error:
                form.email.errors.append(error.message)
            else:
                flash(
                    _("Your e-mail address is changed. A notice went to the old address."),
                    "success",
                )
                return redirect(url_for("accounts.profile"))
    return render_form("accounts/change_email.html", form=form)
