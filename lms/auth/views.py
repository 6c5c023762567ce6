"""Log in and out, forgotten passwords, invitations, and re-entering the password."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import services as accounts
from lms.accounts.models import TokenPurpose, User
from lms.accounts.services import AccountError
from lms.auth.forms import ForgotPasswordForm, LoginForm, NewPasswordForm, ReauthenticateForm
from lms.extensions import limiter
from lms.permissions import mark_fresh
from lms.rendering import render_form
from lms.urls import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")
log = logging.getLogger(__name__)


def _login_email_key() -> str:
    """Throttle by the account asked for, whichever address the attempts come from."""
    email = accounts.normalise_email(request.form.get("email", ""))
    return f"login-account:{email}"


def _log_throttled(limit: RequestLimit) -> None:
    log.warning("Login throttled (%s) for %s", limit.limit, limit.key)


def _failed(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code != 302


def _login_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def _address_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def _email_limit() -> str:
    return str(current_app.config["EMAIL_LIMIT"])


def sign_in(user: User) -> None:
    """Start a fresh session for `user`: the old cookie's contents are dropped."""
    session.clear()
    accounts.start_session(user, request.user_agent.string)
    login_user(user)
    mark_fresh()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    key_func=_login_email_key,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_log_throttled,
)
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed, on_breach=_log_throttled)
def login():  # type: ignore[no-untyped-def]
    target = safe_next(request.args.get("next"), url_for("main.home"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            sign_in(user)
            return redirect(target)
        form.password.errors.append(_("The e-mail address or the password is not correct."))
    return render_form("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    if current_user.current_session is not None:
        accounts.end_session(current_user.current_session)
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/reauthenticate", methods=["GET", "POST"])
@login_required
def reauthenticate():  # type: ignore[no-untyped-def]
    target = safe_next(request.args.get("next"), url_for("main.home"))
    form = ReauthenticateForm()
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.password.data or "") is not None:
            mark_fresh()
            return redirect(target)
        form.password.errors.append(_("The password is not correct."))
    return render_form("auth/reauthenticate.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
def forgot_password():  # type: ignore[no-untyped-def]
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data or "")
        return render_template("auth/forgot_sent.html")
    return render_form("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # type: ignore[no-untyped-def]
    return _set_password_from_link(token, TokenPurpose.PASSWORD_RESET, "auth/reset.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):  # type: ignore[no-untyped-def]
    return _set_password_from_link(token, TokenPurpose.INVITATION, "auth/invitation.html")


def _set_password_from_link(token: str, purpose: TokenPurpose, template: str):  # type: ignore[no-untyped-def]
    row = accounts.find_valid_token(token, purpose)
    if row is None:
        return render_template("auth/link_invalid.html", purpose=purpose.value), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.redeem_token(row, form.password.data or "")
        except AccountError as error:
            form.password.errors.append(error.message)
        else:
            if current_user.is_authenticated:
                logout_user()
            sign_in(user)
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for("main.home"))
    return render_form(template, form=form, user=row.user)
