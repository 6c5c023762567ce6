"""Logs: readable lines in development, one JSON object per line in production.

`LMS_LOG_FORMAT` chooses `text` or `json` (default: `json` when `LMS_ENV=production`).
In JSON, every record carries `time`, `level`, `logger`, `message` and `request_id`; the line
written at the end of each request (logger `lms.request`) adds `method`, `path`, `status`,
`duration_ms` and `user_id` when someone is logged in.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

from flask import Flask, g, request

from lms.errors import RequestIdFilter

#: Record attributes copied into the JSON object when a log call passes them as `extra`.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "remote_addr", "endpoint")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
REQUEST_LOGGER = "lms.request"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_format(config: Any) -> str:
    """`json` or `text`, from LMS_LOG_FORMAT or the environment kind."""
    chosen = str(config.get("LOG_FORMAT") or "").strip().lower()
    if chosen in {"json", "text"}:
        return chosen
    return "json" if config.get("ENV") == "production" else "text"


def make_formatter(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)


def configure(app: Flask) -> None:
    """Attach one handler to the `lms` logger, in the configured format, and the request log."""
    kind = log_format(app.config)
    app.config["LOG_FORMAT"] = kind
    package_logger = logging.getLogger("lms")
    handler = next((h for h in package_logger.handlers if getattr(h, "_lms", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._lms = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        package_logger.addHandler(handler)
        package_logger.propagate = False
    handler.setFormatter(make_formatter(kind))
    package_logger.setLevel(logging.INFO)
    if kind == "json":
        app.before_request(_start_timer)
        app.after_request(_log_request)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response):  # type: ignore[no-untyped-def]
    """One line per request (the development server writes its own in text mode)."""
    from flask_login import current_user

    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    # The user's id, never get_id(): that is the session token.
    user_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
    logging.getLogger(REQUEST_LOGGER).info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration, 2) if duration is not None else None,
            "user_id": user_id,
            "remote_addr": request.remote_addr,
            "endpoint": request.endpoint,
        },
    )
    return response
