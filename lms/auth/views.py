"""Log in and out, forgotten passwords, invitations, and re-entering the password."""

from __future__ import annotations

import logging
import time

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
from lms.auth import two_factor
from lms.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    ReauthenticateForm,
    TwoFactorCodeForm,
)
from lms.auth.two_factor_views import bp as two_factor_bp
from lms.db import db
from lms.extensions import email_rate_limit, limiter
from lms.permissions import mark_fresh
from lms.rendering import render_form
from lms.urls import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")
bp.register_blueprint(two_factor_bp)
log = logging.getLogger(__name__)

#: Session key of a login whose password was right and whose second step is still to come.
PENDING_KEY = "two_factor_login"
#: How long the second step may wait after the password.
PENDING_SECONDS = 10 * 60
#: What an admin without two-factor authentication may still open (when it is required).
OPEN_WITHOUT_TWO_FACTOR = {
    "auth.logout",
    "auth.reauthenticate",
    "auth.two_factor.setup",
    "auth.two_factor.recovery_codes",
    "i18n.switch_language",
    "main.healthz",
    "main.readyz",
    "metrics",
    "privacy.policy",
    "static",
}


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
            if user.has_two_factor:
                return _ask_for_code(user, target)
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
@limiter.limit(email_rate_limit, methods=["POST"])
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
            if user.has_two_factor:
                flash(_("Your password is set. Now enter a code to log in."), "success")
                return _ask_for_code(user, url_for("main.home"))
            sign_in(user)
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for("main.home"))
    return render_form(template, form=form, user=row.user)


# --- The second step of a login with two-factor authentication -------------------------------


def _password_fingerprint(user: User) -> str:
    """Changes with the password, so a password reset ends a half-finished login."""
    return accounts.sha256(f"{user.id}:{user.password_hash}")[:16]


def _ask_for_code(user: User, target: str):  # type: ignore[no-untyped-def]
    """Remember that the password was right; nobody is logged in until the code is."""
    session.clear()
    session[PENDING_KEY] = {
        "user": user.id,
        "at": int(time.time()),
        "pw": _password_fingerprint(user),
        "next": target,
    }
    return redirect(url_for("auth.login_code"))


def _pending() -> tuple[User, str] | None:
    """The user (and the page they wanted) of a login waiting for its code, if still valid."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    if not isinstance(data.get("at"), int) or time.time() - data["at"] > PENDING_SECONDS:
        return None
    user = db.session.get(User, data["user"])
    if user is None or not user.active or not user.has_two_factor:
        return None
    if data.get("pw") != _password_fingerprint(user):
        return None
    return user, str(data.get("next") or "")


def _code_account_key() -> str:
    """Throttle code guesses per account, however often the password step is repeated."""
    data = session.get(PENDING_KEY)
    user_id = data.get("user") if isinstance(data, dict) else None
    return f"login-code-account:{user_id}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    key_func=_code_account_key,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_log_throttled,
)
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed, on_breach=_log_throttled)
def login_code():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    pending = _pending()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash(_("Please log in again: the code was not entered in time."), "info")
        return redirect(url_for("auth.login"))
    user, wanted = pending
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        if two_factor.verify(user, form.code.data or ""):
            sign_in(user)
            return redirect(safe_next(wanted, url_for("main.home")))
        form.code.errors.append(_("That code is not right, or it was used already."))
        form.code.data = ""
    return render_form("auth/two_factor_login.html", form=form)


@bp.before_app_request
def _admins_need_two_factor():  # type: ignore[no-untyped-def]
    """Send an admin without two-factor authentication to set it up, before anything else."""
    if request.endpoint is None or request.endpoint in OPEN_WITHOUT_TWO_FACTOR:
        return None
    if request.blueprint == "api" or not current_app.config["ADMIN_REQUIRE_2FA"]:
        return None  # the API authenticates with bearer tokens, not with the session
    if not current_user.is_authenticated or not current_user.is_admin:
        return None
    if current_user.has_two_factor:
        return None
    return redirect(url_for("auth.two_factor.setup"))
