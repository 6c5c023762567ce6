"""Request ids, error pages and the database-unavailable page: never a stack trace to a user."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
import time
import uuid

from flask import Flask, abort, g, jsonify, make_response, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    SecurityError,
    ServiceUnavailable,
)

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("This changed in the meantime"),
    413: _l("The upload is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is briefly unavailable"),
}
EXPLANATIONS = {
    400: _l("Check what you entered and try again."),
    403: _l("If you think you should have access, ask your administrator."),
    404: _l("The address may be mistyped, or the page may have moved."),
    405: _l("Go back and use the buttons on the page."),
    409: _l("Someone else changed this while you were working. Reload to see the current version."),
    413: _l("Make the file smaller, or split it, and try again."),
    429: _l("Please wait a little before trying again."),
    500: _l("The problem has been logged. Please try again in a moment."),
    503: _l("Please try again in a minute. Nothing you submitted was half-saved."),
}


def assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def refuse_nul_bytes() -> None:
    """NUL never belongs in text a person typed; databases treat it inconsistently."""
    values = list(request.args.values()) if request.args else []
    if request.method in {"POST", "PUT", "PATCH"} and request.form:
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


class RequestIdFilter(logging.Filter):
    """Add the current request id (or '-') to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def render_error(code: int, description: str | None = None):  # type: ignore[no-untyped-def]
    request_id = g.get("request_id", "-")
    title = str(TITLES.get(code, _l("Error")))
    detail = description or str(EXPLANATIONS.get(code, ""))
    if _wants_json():
        body = {
            "type": "about:blank",
            "title": title,
            "status": code,
            "detail": detail,
            "request_id": request_id,
        }
        response = jsonify(body)
        response.status_code = code
        response.mimetype = "application/problem+json"
        return response
    return (
        render_template(
            "errors/error.html", code=code, title=title, detail=detail, request_id=request_id
        ),
        code,
    )


def seconds_until_retry(error: HTTPException) -> int | None:
    """How long the person must wait after a 429: until the breached limit's window lets one
    request through again (Flask-Limiter), else the Retry-After the error carries."""
    from lms.extensions import limiter

    limit = limiter.current_limit
    if limit is not None and limit.breached:
        with contextlib.suppress(Exception):  # storage gone: no wait is known, not a 500
            return max(1, math.ceil(limit.window[0] - time.time()))  # window: (reset, left)
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int | float):
        return max(1, math.ceil(retry_after))
    return None


def wait_message(seconds: int) -> str:
    """'Please wait 2 minutes before trying again.', in the reader's language; rounded up, so
    that trying again after the time said works."""
    if seconds < 60:
        wait = dt.timedelta(seconds=seconds)
    elif seconds < 3600:
        wait = dt.timedelta(minutes=math.ceil(seconds / 60))
    else:
        wait = dt.timedelta(hours=math.ceil(seconds / 3600))
    # threshold=1: "50 seconds" stays seconds (Babel would round it to "1 minute").
    spoken = format_timedelta(wait, threshold=1)
    return _("Please wait %(wait)s before trying again.", wait=spoken)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        # Werkzeug's own descriptions are generic English; ours are friendlier. Views that
        # abort with a specific message pass it as the description.
        custom = error.description if getattr(error, "lms_message", False) else None
        wait = seconds_until_retry(error) if code == 429 else None
        if wait is not None:
            custom = wait_message(wait)
        response = make_response(render_error(code, custom))
        if wait is not None:
            response.headers["Retry-After"] = str(wait)  # RFC 9110 10.2.3
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)  # RFC 9110 15.5.6
        return response

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):  # type: ignore[no-untyped-def]
        # The Host header is not one of TRUSTED_HOSTS: no URL can be built for this request,
        # so the answer is a short text, not a page.
        host = request.environ.get("HTTP_HOST", "")[:100]
        log.warning("Refused a request for an untrusted host %r", host)
        text = _("This server does not answer for that host name.")
        return text, 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        log.warning("CSRF check failed: %s", error.description)
        return render_error(
            400,
            str(_l("The form expired or was sent from elsewhere. Reload the page and try again.")),
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: Exception):  # type: ignore[no-untyped-def]
        log.error("Database error: %s", error.__class__.__name__, exc_info=error)
        _forget_the_database()
        response = make_response(render_error(503))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def value_out_of_range(error: Exception):  # type: ignore[no-untyped-def]
        # A value that passed the form reached the database and did not fit (a page number
        # beyond any integer column, say): the request was bad, not the server.
        log.warning("Value refused by the database: %s", error.__class__.__name__)
        _drop_the_transaction()
        return render_error(400)

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):  # type: ignore[no-untyped-def]
        original = getattr(error, "original_exception", None)
        if isinstance(original, OperationalError | InterfaceError):
            return database_unavailable(original)
        if isinstance(original, DataError | OverflowError):
            return value_out_of_range(original)
        log.error("Unhandled error", exc_info=original or error)
        _drop_the_transaction()  # the page itself may read (who is signed in, their notices)
        return render_error(500)

    @app.errorhandler(ServiceUnavailable)
    def unavailable(error: ServiceUnavailable):  # type: ignore[no-untyped-def]
        return render_error(503)


def _drop_the_transaction() -> None:
    """Roll back whatever the failed request left pending (files it wrote go with it), so that
    rendering the error page starts from a usable session."""
    from lms.db import db

    with contextlib.suppress(Exception):
        db.session.rollback()


def _forget_the_database() -> None:
    """Render the 503 page without asking the database again: drop the failed transaction and
    show the page as to a visitor (the signed-in person would be loaded from the database)."""
    from lms.extensions import login_manager

    _drop_the_transaction()
    g._login_user = login_manager.anonymous_user()
