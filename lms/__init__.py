"""Training and accreditation for cooperation coaches.

`create_app()` is the WSGI application factory: `gunicorn 'lms:create_app()'`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import db as database  # not `db`: that name is the lms.db module
from lms import headers, i18n
from lms.config import load_config
from lms.extensions import csrf, limiter, login_manager
from lms.sessions import CookieSessionInterface

#: The repository root: templates/, courses/ and migrations/ live beside the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LOCALES = i18n.SUPPORTED_LOCALES


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; `test_config` replaces the environment for tests."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=_instance_path(test_config),
        instance_relative_config=True,
    )
    load_config(app, test_config)
    _configure_logging(app)
    app.session_interface = CookieSessionInterface()

    import lms.models  # noqa: F401  (registers every table)

    database.db.init_app(app)
    app.extensions["migrate"] = database.LazyMigrations(app, PROJECT_ROOT / "migrations")
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    i18n.init_app(app)
    _init_login(app)
    _register_database_hooks(app)

    from lms.errors import assign_request_id, refuse_nul_bytes, register_error_handlers

    # First of all hooks: a request refused early (CSRF) still has its id in logs and headers.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)
    app.before_request(refuse_nul_bytes)
    register_error_handlers(app)
    headers.init_app(app)
    register_blueprints(app)
    from lms import metrics

    metrics.init_app(app)
    from lms import static_assets

    static_assets.init_app(app)
    _register_template_helpers(app)

    from lms.certificates import receivers
    from lms.cli import register_commands
    from lms.grading import eligibility

    register_commands(app)
    eligibility.connect(app)
    receivers.connect(app)
    if app.config["RUN_SCHEDULER"] is not False and not app.config.get("TESTING"):
        _start_scheduler(app, explicit=app.config["RUN_SCHEDULER"] is True)

    @app.after_request
    def _add_request_id(response):  # type: ignore[no-untyped-def]
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    if int(app.config["PROXY_COUNT"]) > 0:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )
    return app


def register_blueprints(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    from lms.urls import MAX_ID

    class BoundedInt(IntegerConverter):
        """Ids in URLs stay within what the database can hold (larger ones are 404)."""

        def __init__(self, url_map, *args, **kwargs):  # type: ignore[no-untyped-def]
            kwargs.setdefault("max", MAX_ID)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = BoundedInt
    from lms.accounts.views import bp as accounts_bp
    from lms.admin.views import bp as admin_bp
    from lms.api.pages import bp as api_tokens_bp
    from lms.api.views import bp as api_bp
    from lms.assessments.views import bp as assessments_bp
    from lms.auth.views import bp as auth_bp
    from lms.certificates.pages import bp as certificate_pages_bp
    from lms.certificates.views import bp as certificates_public_bp
    from lms.cohorts.views import bp as cohorts_bp
    from lms.courses.views import bp as courses_bp
    from lms.grading.views import bp as grading_bp
    from lms.main.views import bp as main_bp
    from lms.notifications.views import bp as notifications_bp
    from lms.privacy.views import bp as privacy_bp
    from lms.reports.views import bp as reports_bp
    from lms.verify.views import bp as verify_bp

    for blueprint in (
        main_bp,
        auth_bp,
        accounts_bp,
        admin_bp,
        courses_bp,
        cohorts_bp,
        assessments_bp,
        grading_bp,
        notifications_bp,
        certificates_public_bp,
        verify_bp,
        certificate_pages_bp,
        reports_bp,
        api_bp,
        api_tokens_bp,
        i18n.bp,
        privacy_bp,
    ):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # bearer tokens, never cookies: nothing for CSRF to protect


def _start_scheduler(app: Flask, *, explicit: bool) -> None:
    """Run the jobs in this process: by default only under `lms run`; when LMS_RUN_SCHEDULER
    is on, also in servers (never in other CLI commands), and never in the reloader's watching
    parent (only in the child that serves)."""
    import os

    import click

    from lms.scheduler.registry import start_background

    context = click.get_current_context(silent=True)
    if context is not None and context.info_name != "run":
        return
    if context is None and not explicit:
        return
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return
    app.extensions["lms_scheduler"] = start_background(app)


def _instance_path(test_config: dict[str, Any] | None) -> str:
    import os

    if test_config and test_config.get("INSTANCE_PATH"):
        return str(test_config["INSTANCE_PATH"])
    return os.environ.get("LMS_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")


def _configure_logging(app: Flask) -> None:
    from lms import logs

    logs.configure(app)  # text, or JSON lines (LMS_LOG_FORMAT; JSON in production)


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.accounts.services import load_session_user

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # Sessions are revoked on the server; Flask-Login's "strong" mode would log users out
    # whenever their address changes (mobile networks), so the basic check is kept.
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)


def _register_database_hooks(app: Flask) -> None:
    """One commit per request: commit when the response is a success, roll back otherwise."""

    @app.after_request
    def _commit(response):  # type: ignore[no-untyped-def]
        session = database.db.session()
        if not database.has_work(session):
            return response  # nothing read or written in the session (the public lookups)
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        return response

    with app.app_context():
        database.configure_sqlite(database.db.engine)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale
    from markupsafe import Markup

    from lms.accounts.models import Role
    from lms.markdown import render_user_text, table_label

    app.jinja_env.globals.update(Role=Role, get_locale=get_locale)
    app.jinja_env.filters["markdown"] = lambda text: Markup(  # noqa: S704 (sanitised by nh3)
        render_user_text(text or "", table_label=table_label())
    )
    app.jinja_env.filters["age"] = _age

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        from flask_login import current_user

        from lms.notifications.services import unread_count

        signed_in = bool(getattr(current_user, "is_authenticated", False))
        unread = unread_count(current_user.id) if signed_in else 0
        return {"request_id": g.get("request_id", ""), "unread_notifications": unread}


def _age(value: Any) -> str:
    """How long ago, in words ("3 days ago")."""
    import datetime as dt

    from flask_babel import format_timedelta

    return str(format_timedelta(value - dt.datetime.now(dt.UTC), add_direction=True))
