"""The in-app notification list."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.models import Role
from lms.notifications import services
from lms.permissions import role_required
from lms.urls import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    return render_template("notifications/index.html", rows=services.recent(current_user.id))


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():  # type: ignore[no-untyped-def]
    notification_id = request.form.get("id", type=int)
    services.mark_read(current_user.id, notification_id)
    target = request.form.get("next")
    return redirect(safe_next(target, url_for("notifications.index")))


@bp.route("/outbox")
@role_required(Role.ADMIN)
def outbox():  # type: ignore[no-untyped-def]
    """Admins: e-mails not (yet) delivered, with their attempts and last error."""
    return render_template("notifications/outbox.html", rows=services.undelivered())


@bp.app_context_processor
def _preferences_helper() -> dict[str, object]:
    return {"notification_preferences": services.preferences}


@bp.route("/preferences", methods=["POST"])
@login_required
def preferences():  # type: ignore[no-untyped-def]
    """Turn reminders and digests on or off (security e-mails always go out)."""
    services.set_preferences(
        current_user,
        reminders=request.form.get("reminders") == "on",
        digests=request.form.get("digests") == "on",
    )
    flash(_("Your notification preferences are saved."), "success")
    return redirect(url_for("accounts.profile"))
