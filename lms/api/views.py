"""The JSON API under /api/v1 (SPEC §3): thin views over the certificates' and our queries.

No sessions and no CSRF here: callers are anonymous (the public verification routes) or send
a personal API token as `Authorization: Bearer`. Every error is an RFC 9457 problem.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from lms.accounts.models import Role
from lms.api import queries as api_queries
from lms.api import services
from lms.api.models import ApiToken, Scope
from lms.api.openapi import document
from lms.api.problems import TYPES, fail, problem
from lms.certificates import queries
from lms.certificates.models import CertificateStatus
from lms.certificates.verification import MAX_TOKEN_LENGTH, VerificationResult, verify_token
from lms.cohorts.models import Cohort
from lms.db import db
from lms.extensions import CERTIFICATE_LOOKUP_SCOPE, limiter, verify_rate_limit
from lms.i18n import DEFAULT_LOCALE
from lms.urls import MAX_ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")

JWT_MIMETYPE = "application/jwt"
MAX_BATCH = 100
#: What counts as blank around a token (as the OpenAPI patterns say, not str.strip()'s set).
BLANK = " \t\r\n"
#: A JWS sent as application/jwt is printable ASCII (blanks aside).
_PRINTABLE = re.compile(r"[\x20-\x7e\t\r\n]+")
_NO_TOKEN = object()


def _lookup_key() -> str:
    """Callers with a token have a budget of their own; everyone else one per address."""
    token = current_token()
    return f"token:{token.id}" if token is not None else (request.remote_addr or "127.0.0.1")


#: One budget per caller for looking up and verifying certificates, so that sweeping ids
#: through any of these routes runs into the same limit.
_lookup_limit = limiter.shared_limit(
    verify_rate_limit, scope=CERTIFICATE_LOOKUP_SCOPE, key_func=_lookup_key
)


def _reads_budget() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", "300 per minute"))


#: One budget per token (or address) for the authenticated reads.
_reads_limit = limiter.shared_limit(_reads_budget, scope="api-reads", key_func=_lookup_key)
_LOOKUPS = {"api.certificate_json", "api.verify_api", "api.verify_batch"}


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    code = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() not in {"content-type"}}
    detail = {
        404: "Nothing is found at this address.",
        405: "This method is not allowed here.",
        413: "The body is too large.",
        429: "Too many requests: wait for the time in Retry-After, then try again.",
    }.get(code, "The request could not be handled.")
    return problem(code, detail, headers)


@bp.after_request
def _rate_limit_headers(response: Response) -> Response:
    """The IETF `RateLimit` / `RateLimit-Policy` fields, beside Flask-Limiter's own."""
    current = limiter.current_limit
    if current is not None:
        window = current.limit.get_expiry()
        reset = max(0, current.reset_at - int(time.time()))
        name = "lookups" if request.endpoint in _LOOKUPS else "reads"
        response.headers["RateLimit-Policy"] = f'"{name}";q={current.limit.amount};w={window}'
        response.headers["RateLimit"] = f'"{name}";r={max(0, current.remaining)};t={reset}'
    return response


def current_token() -> ApiToken | None:
    """The token the request presents, None when it presents none; 401 when it is not live."""
    cached = g.get("api_token", _NO_TOKEN)
    if cached is not _NO_TOKEN:
        return cached  # type: ignore[return-value]
    header = request.headers.get("Authorization")
    token = None
    if header is not None:
        scheme, _sep, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = services.authenticate(value.strip())
        if token is None:
            g.api_token = None
            fail(401, "The token is unknown or revoked.", {"WWW-Authenticate": _challenge()})
    g.api_token = token
    return token


def _challenge(error: str = "invalid_token") -> str:
    return f'Bearer realm="api", error="{error}"'


def require(*scopes: Scope) -> ApiToken:
    """The request's token, which must have one of `scopes` (401 without one, 403 otherwise)."""
    token = current_token()
    if token is None:
        fail(
            401,
            "Send a personal API token: Authorization: Bearer <token>.",
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    if token.scope not in scopes or (token.scope == Scope.ADMIN_READ and not token.user.is_admin):
        allowed = ", ".join(scope.value for scope in scopes)
        fail(403, f"This token's scope does not allow this; it needs one of: {allowed}.")
    return token


def _page_arguments() -> tuple[int | None, int]:
    limit_text = request.args.get("limit", str(api_queries.DEFAULT_LIMIT))
    digits = limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 3
    if not digits or not 1 <= int(limit_text) <= api_queries.MAX_LIMIT:
        fail(400, f"`limit` is a whole number from 1 to {api_queries.MAX_LIMIT}.")
    cursor = request.args.get("cursor")
    after = None
    if cursor is not None:
        after = api_queries.decode_cursor(cursor)
        if after is None:
            fail(400, "`cursor` is not one this API gave; start again without it.")
    return after, int(limit_text)


def _enum_argument(name: str, enum_cls: Any) -> Any:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_cls)
        fail(400, f"`{name}` is one of: {allowed}.")


@bp.route("/openapi.json")
@limiter.exempt
def openapi():  # type: ignore[no-untyped-def]
    response = Response(json.dumps(document(), sort_keys=True), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/docs")
@limiter.exempt
def reference():  # type: ignore[no-untyped-def]
    return render_template(
        "api/reference.html", spec=document(), problem_types=sorted(TYPES.items())
    )


@bp.route("/certificates/<certificate_id>")
@_lookup_limit
def certificate_json(certificate_id: str):  # type: ignore[no-untyped-def]
    certificate = queries.public_record(certificate_id)
    if certificate is None or not queries.is_published(certificate):
        return problem(404, "No certificate has this id. Check it for typing mistakes.")
    response = jsonify(queries.public_summary(certificate))
    # Revalidated on every use (the status can change), cheaply by its ETag.
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/verify", methods=["POST"])
@_lookup_limit
def verify_api():  # type: ignore[no-untyped-def]
    token = _token_from_request()
    if token is None:
        return problem(
            400,
            "Send the compact JWS as the body (Content-Type: application/jwt) or as JSON "
            '{"credential": "..."}.',
        )
    response = jsonify(_verification_json(verify_token(token)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verify/batch", methods=["POST"])
@_lookup_limit
def verify_batch():  # type: ignore[no-untyped-def]
    if (request.content_length or 0) > MAX_BATCH * (MAX_TOKEN_LENGTH + 64):
        fail(413, "The body is too large.")
    body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    items = body.get("items") if isinstance(body, dict) else None
    if (
        not isinstance(items, list)
        or not 1 <= len(items) <= MAX_BATCH
        or not all(isinstance(item, str) and 0 < len(item) <= MAX_TOKEN_LENGTH for item in items)
    ):
        return problem(
            400,
            f'Send JSON {{"items": [...]}} with 1 to {MAX_BATCH} certificate ids or signed '
            "credentials (compact JWS), each a non-empty string.",
        )
    # One transaction (and pooled connection) for every lookup, not one each.
    db.session.connection()
    response = jsonify(results=[_verify_item(index, item) for index, item in enumerate(items)])
    response.headers["Cache-Control"] = "no-store"
    return response


def _verify_item(index: int, item: str) -> dict[str, Any]:
    text = item.strip(BLANK)
    if "." in text:
        return {"index": index, "kind": "credential", **_verification_json(verify_token(text))}
    certificate = queries.public_record(text)
    if certificate is None or not queries.is_published(certificate):
        return {
            "index": index,
            "kind": "id",
            "valid": False,
            "status": "unknown",
            "checks": [],
            "certificate_id": None,
        }
    assert certificate.credential is not None  # noqa: S101 (is_published says so)
    return {
        "index": index,
        "kind": "id",
        **_verification_json(verify_token(certificate.credential, record=certificate)),
    }


@bp.route("/me/certificates")
@_reads_limit
def my_certificates():  # type: ignore[no-untyped-def]
    token = require(Scope.HOLDER)
    return _no_store(jsonify(items=api_queries.my_certificates(token.user)))


@bp.route("/certificates")
@_reads_limit
def certificates():  # type: ignore[no-untyped-def]
    require(Scope.ADMIN_READ)
    status = _enum_argument("status", CertificateStatus)
    course = request.args.get("course")
    if course is not None and not 0 < len(course) <= 200:
        fail(400, "`course` is a course slug.")
    after, limit = _page_arguments()
    page = api_queries.certificates_page(status=status, course=course, after=after, limit=limit)
    return _no_store(jsonify(page.as_json()))


@bp.route("/users")
@_reads_limit
def users():  # type: ignore[no-untyped-def]
    require(Scope.ADMIN_READ)
    role = _enum_argument("role", Role)
    after, limit = _page_arguments()
    return _no_store(jsonify(api_queries.users_page(role=role, after=after, limit=limit).as_json()))


@bp.route("/cohorts/<int:cohort_id>/progress")
@_reads_limit
def cohort_progress(cohort_id: int):  # type: ignore[no-untyped-def]
    token = require(Scope.HOLDER, Scope.ADMIN_READ)
    cohort = db.session.get(Cohort, cohort_id) if cohort_id <= MAX_ID else None
    user = token.user
    allowed = cohort is not None and (
        (token.scope == Scope.ADMIN_READ and user.is_admin) or api_queries.trains(user, cohort)
    )
    if cohort is None or not allowed:
        # The same answer for "no such cohort" and "not yours": ids are not confirmed.
        return problem(404, "No cohort you train has this id.")
    return _no_store(jsonify(api_queries.cohort_progress(cohort)))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_from_request() -> str | None:
    # JSON may escape every character of a token in six.
    factor = 6 if request.mimetype == "application/json" else 1
    if (request.content_length or 0) > factor * MAX_TOKEN_LENGTH + 1024:
        fail(413, "The body is too large.")
    if request.mimetype == JWT_MIMETYPE:
        text = request.get_data(cache=False).decode("latin-1").strip(BLANK)
        token = text if text and _PRINTABLE.fullmatch(text) else None
    elif request.mimetype == "application/json":
        body = request.get_json(silent=True)
        value = body.get("credential") if isinstance(body, dict) else None
        token = value.strip(BLANK) if isinstance(value, str) and value.strip(BLANK) else None
    else:
        token = None
    if token is not None and len(token) > MAX_TOKEN_LENGTH:
        fail(413, f"The credential is longer than {MAX_TOKEN_LENGTH // 1024} KB.")
    return token


def _verification_json(result: VerificationResult) -> dict[str, Any]:
    """The verdict; each check's `detail` stays the stable English, with its `message_id`
    and its `message` in the caller's language (Accept-Language, or the language cookie)."""
    return {
        "valid": result.valid,
        "status": result.status,
        "checks": [
            {
                "check": check.name,
                "passed": check.passed,
                "detail": check.detail,
                "message_id": check.message.id,
                "message": check.message.text(),
            }
            for check in result.checks
        ],
        "certificate_id": result.certificate_id,
        "language": str(get_locale() or DEFAULT_LOCALE),
    }
