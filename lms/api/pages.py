"""The signed-in user's personal API tokens, under /account/tokens: make, list, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.api import services
from lms.api.forms import TokenForm
from lms.api.models import Scope
from lms.permissions import fresh_login_required
from lms.rendering import render_form

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _form() -> TokenForm:
    form = TokenForm()
    form.set_scopes(services.allowed_scopes(current_user))
    return form


def _page(form: TokenForm, new_token: str | None = None):  # type: ignore[no-untyped-def]
    body, status = render_form(
        "api/tokens.html", form=form, tokens=services.tokens_of(current_user), new_token=new_token
    )
    # The new token appears once: the page must not be kept in any cache.
    return body, status, {"Cache-Control": "no-store"}


@bp.route("/", methods=["GET", "POST"])
@fresh_login_required
def index():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate_on_submit():
        return _page(form)
    try:
        _token, raw = services.create_token(
            current_user, form.name.data or "", Scope(form.scope.data)
        )
    except services.TokenError as error:
        form.name.errors = [*form.name.errors, error.message]
        return _page(form)
    body, _status, headers = _page(_form(), new_token=raw)
    return body, 201, headers


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@fresh_login_required
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    try:
        services.revoke_token(current_user, token_id)
    except services.TokenError:
        abort(404)
    flash(_("The token is revoked. Programs using it can no longer sign in with it."), "success")
    return redirect(url_for("api_tokens.index"))
