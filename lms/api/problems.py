"""RFC 9457 problems with a stable `type` for every error the API gives."""

from __future__ import annotations

from typing import NoReturn

from flask import Response, abort, g, jsonify

from lms.certificates.credentials import base_url
from lms.errors import TITLES

#: Status code -> the stable name in the problem's `type` (documented on the reference page).
TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}
PROBLEM_MIMETYPE = "application/problem+json"


def problem_type(code: int) -> str:
    return f"{base_url()}/api/v1/docs#problem-{TYPES.get(code, 'error')}"


def problem(code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A problem+json response; `detail` says what to do about it."""
    response = jsonify(
        type=problem_type(code),
        title=str(TITLES.get(code, "Error")),
        status=code,
        detail=detail,
        request_id=g.get("request_id", "-"),
    )
    response.status_code = code
    response.mimetype = PROBLEM_MIMETYPE
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def fail(code: int, detail: str, headers: dict[str, str] | None = None) -> NoReturn:
    """Stop the request with a problem."""
    abort(problem(code, detail, headers))
