"""The home page each role lands on, and the liveness check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from lms.courses import queries as course_queries
from lms.db import db
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
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status
