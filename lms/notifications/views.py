"""The in-app notification list."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.notifications import services
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
