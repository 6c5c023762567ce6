"""The home page each role lands on, and the liveness and readiness checks."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user

from lms import health
from lms.courses import queries as course_queries
from lms.extensions import limiter
from lms.reports import dashboards

bp = Blueprint("main", __name__)


@bp.route("/")
def home():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    trainee = dashboards.trainee_dashboard(current_user) if current_user.is_trainee else None
    trainer = dashboards.trainer_dashboard(current_user) if current_user.is_trainer else None
    courses = [] if trainee or trainer else course_queries.my_courses(current_user)
    return render_template("main/home.html", courses=courses, trainee=trainee, trainer=trainer)


@bp.route("/healthz")
@limiter.exempt
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: the process answers (200 even when the database is down, so that a process
    manager does not restart healthy web processes for it); the database state is reported."""
    database = "ok" if health.database_reachable() else "unreachable"
    return jsonify(status="ok", database=database)


@bp.route("/readyz")
@limiter.exempt
def readyz():  # type: ignore[no-untyped-def]
    """Readiness: 200 when the database (and Redis, if rate limits are kept there) answers;
    503 naming what failed otherwise, so a load balancer sends traffic elsewhere."""
    checks = health.readiness(current_app.config)
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
