"""Turning two-factor authentication on and off, and recovery codes (under /auth/two-factor).

The secret being enrolled and the recovery codes waiting to be shown are kept in the session
cookie encrypted (lms.auth.two_factor.seal), never in the clear.
"""

from __future__ import annotations

import json

import click
from flask import Blueprint, current_app, flash, make_response, redirect, session, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.auth import two_factor
from lms.auth.forms import TwoFactorDisableForm, TwoFactorSetupForm
from lms.auth.two_factor import TwoFactorError
from lms.db import db
from lms.extensions import limiter
from lms.permissions import fresh_login_required
from lms.rendering import render_form

bp = Blueprint("two_factor", __name__, url_prefix="/two-factor", cli_group="two-factor")
bp.cli.help = "Help people with two-factor authentication (lost phones, trying the demo)."

SETUP_KEY = "two_factor_setup"
CODES_KEY = "two_factor_codes"


def _no_store(body: tuple[str, int]):  # type: ignore[no-untyped-def]
    """Pages showing a secret or recovery codes must not stay in any cache."""
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _show_codes_next(codes: list[str]):  # type: ignore[no-untyped-def]
    session[CODES_KEY] = two_factor.seal(json.dumps(codes).encode(), f"codes:{current_user.id}")
    return redirect(url_for("auth.two_factor.recovery_codes"))


@bp.route("/")
@login_required
def manage():  # type: ignore[no-untyped-def]
    return _manage_page(TwoFactorDisableForm())


def _manage_page(form: TwoFactorDisableForm):  # type: ignore[no-untyped-def]
    left = two_factor.recovery_codes_left(current_user) if current_user.has_two_factor else 0
    return render_form("auth/two_factor_manage.html", form=form, codes_left=left)


@bp.route("/setup", methods=["GET", "POST"])
@login_required
@fresh_login_required
def setup():  # type: ignore[no-untyped-def]
    if current_user.has_two_factor:
        return redirect(url_for("auth.two_factor.manage"))
    secret = two_factor.unseal_setup(current_user, session.get(SETUP_KEY))
    if secret is None:
        secret = two_factor.new_secret()
        session[SETUP_KEY] = two_factor.seal_setup(current_user, secret)
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(current_user, secret, form.code.data or "")
        except TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            session.pop(SETUP_KEY, None)
            flash(_("Two-factor authentication is on."), "success")
            return _show_codes_next(codes)
    uri = two_factor.provisioning_uri(current_user, secret)
    return _no_store(
        render_form(
            "auth/two_factor_setup.html",
            form=form,
            qr=two_factor.qr_data_uri(uri),
            secret=two_factor.grouped(two_factor.secret_text(secret)),
            uri=uri,
            forced=current_user.is_admin and current_app.config["ADMIN_REQUIRE_2FA"],
        )
    )


@bp.route("/recovery-codes")
@login_required
def recovery_codes():  # type: ignore[no-untyped-def]
    sealed = session.pop(CODES_KEY, None)
    payload = two_factor.unseal(sealed, f"codes:{current_user.id}") if sealed else None
    if payload is None:
        flash(_("Recovery codes are shown only once. You can make new ones here."), "info")
        return redirect(url_for("auth.two_factor.manage"))
    codes = json.loads(payload)
    download = "\r\n".join([_("Recovery codes for %(email)s", email=current_user.email), *codes])
    return _no_store(render_form("auth/two_factor_codes.html", codes=codes, download_text=download))


@bp.route("/recovery-codes/new", methods=["POST"])
@login_required
@fresh_login_required
def new_recovery_codes():  # type: ignore[no-untyped-def]
    try:
        codes = two_factor.regenerate_recovery_codes(current_user)
    except TwoFactorError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.two_factor.manage"))
    flash(_("New recovery codes are made; the old ones no longer work."), "success")
    return _show_codes_next(codes)


def _disable_key() -> str:
    return f"two-factor-disable:{current_user.id if current_user.is_authenticated else ''}"


def _disable_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


@bp.route("/disable", methods=["POST"])
@limiter.limit(
    _disable_limit, key_func=_disable_key, deduct_when=lambda response: response.status_code != 302
)
@login_required
def disable():  # type: ignore[no-untyped-def]
    form = TwoFactorDisableForm()
    if not current_user.has_two_factor:
        return redirect(url_for("auth.two_factor.manage"))
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.password.data or "") is None:
            form.password.errors.append(_("The password is not correct."))
        elif not two_factor.verify(current_user, form.code.data or ""):
            form.code.errors.append(_("That code is not right, or it was used already."))
        else:
            two_factor.disable(current_user, actor=current_user)
            flash(_("Two-factor authentication is off. A notice went to your e-mail."), "success")
            return redirect(url_for("auth.two_factor.manage"))
    return _manage_page(form)


# --- Command line ---------------------------------------------------------------------------


def _user_or_fail(email: str) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the e-mail address {email}.")
    return user


@bp.cli.command("reset")
@click.argument("email")
@with_appcontext
def reset_command(email: str) -> None:
    """Turn off two-factor authentication for EMAIL (lost phone and recovery codes)."""
    user = _user_or_fail(email)
    if not user.has_two_factor:
        raise click.ClickException(f"{user.email} does not use two-factor authentication.")
    two_factor.disable(user, actor=None)
    db.session.commit()
    click.echo(f"Two-factor authentication is off for {user.email}; they were told by e-mail.")


@bp.cli.command("code")
@click.argument("email")
@with_appcontext
def code_command(email: str) -> None:
    """Print a valid code for EMAIL: for trying out the demo accounts, never in production."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("Codes are shown only outside production.")
    user = _user_or_fail(email)
    secret = two_factor.user_secret(user)
    if secret is None:
        raise click.ClickException(f"{user.email} does not use two-factor authentication.")
    now = two_factor.current_step()
    unused = [s for s in (now, now + 1) if s > (user.two_factor_last_step or -1)]
    if not unused:
        raise click.ClickException("The current codes were used; try again in 30 seconds.")
    click.echo(two_factor.code_at(secret, unused[0]))
