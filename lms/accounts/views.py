"""The signed-in user's own account: name, password, e-mail address."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.accounts import services as accounts
from lms.accounts.models import TokenPurpose
from lms.accounts.services import AccountError
from lms.auth.forms import ChangeEmailForm, ChangePasswordForm, ProfileForm
from lms.extensions import email_rate_limit, limiter
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
@limiter.limit(email_rate_limit, methods=["POST"])
def change_email():  # type: ignore[no-untyped-def]
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.password.data or "") is None:
            form.password.errors.append(_("The password is not correct."))
        else:
            try:
                new_email = accounts.request_email_change(current_user, form.email.data or "")
            except AccountError as error:
                form.email.errors.append(error.message)
            else:
                flash(
                    _(
                        "We sent a link to %(email)s. Your address changes when you open it "
                        "(within %(hours)d hours).",
                        email=new_email,
                        hours=accounts.EMAIL_CHANGE_LINK_HOURS,
                    ),
                    "success",
                )
                return redirect(url_for("accounts.profile"))
    return render_form("accounts/change_email.html", form=form)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):  # type: ignore[no-untyped-def]
    """The link sent to a new address. Opening it shows a button: a mail scanner that follows
    links must not change anybody's address."""
    row = accounts.find_valid_token(token, TokenPurpose.EMAIL_CHANGE)
    if row is None:
        return render_template(
            "auth/link_invalid.html", purpose=TokenPurpose.EMAIL_CHANGE.value
        ), 404
    form = FlaskForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.confirm_email_change(row)
        except AccountError as refused:
            error = refused.message
        else:
            flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
            signed_in_here = current_user.is_authenticated and current_user.id == user.id
            return redirect(url_for("accounts.profile" if signed_in_here else "auth.login"))
    status = 409 if error else 200
    return render_template(
        "accounts/confirm_email.html", form=form, new_email=row.new_email, error=error
    ), status
