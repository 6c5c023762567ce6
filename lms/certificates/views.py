"""Public certificate routes (no login): keys, status lists, the issuer, and the JSON API.

Lookups and verifications are rate-limited per address (SECURITY-TESTS 26), and nothing
here changes state except re-signing a status list whose signature was withdrawn.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from lms.certificates import credentials, keys, queries, statuslist
from lms.certificates.models import StatusList
from lms.certificates.verification import MAX_TOKEN_LENGTH, VerificationResult, verify_token
from lms.db import db
from lms.errors import TITLES
from lms.extensions import csrf, limiter

bp = Blueprint("certificates_public", __name__)

JWT_MIMETYPE = "application/jwt"


def _verify_limit() -> str:
    return str(current_app.config.get("VERIFY_RATE_LIMIT", "60 per minute"))


#: One budget per address for looking up and verifying certificates, so that sweeping ids
#: through either route runs into the same limit.
_lookup_limit = limiter.shared_limit(_verify_limit, scope="certificate-lookups")


def _cached(response: Response, max_age: int) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    return response.make_conditional(request)


def _problem(code: int, detail: str) -> Response:
    """An RFC 9457 problem, in the shape lms.errors uses for the API."""
    response = jsonify(
        type="about:blank",
        title=str(TITLES.get(code, "Error")),
        status=code,
        detail=detail,
        request_id=g.get("request_id", "-"),
    )
    response.status_code = code
    response.mimetype = "application/problem+json"
    return response


@bp.route("/.well-known/jwks.json")
@limiter.exempt
def jwks():  # type: ignore[no-untyped-def]
    body = json.dumps(keys.jwks(), sort_keys=True)
    return _cached(Response(body, mimetype="application/json"), 300)


@bp.route("/keys/<kid>")
@limiter.exempt
def key(kid: str):  # type: ignore[no-untyped-def]
    found = keys.get_key(kid)
    if found is None or found.is_revoked:
        return _problem(404, "No published signing key has this id.")
    body = json.dumps(keys.public_jwk(found), sort_keys=True)
    return _cached(Response(body, mimetype="application/json"), 300)


@bp.route("/status/<int:list_id>")
@limiter.exempt
def status_list(list_id: int):  # type: ignore[no-untyped-def]
    found = db.session.get(StatusList, list_id)
    if found is None:
        return _problem(404, "No status list has this id.")
    # Normally cached; signed again here only after its key was revoked.
    token = statuslist.signed_credential(found)
    return _cached(Response(token, mimetype=JWT_MIMETYPE), 60)


@bp.route("/issuer")
@limiter.exempt
def issuer():  # type: ignore[no-untyped-def]
    profile = {
        "@context": [credentials.VC_CONTEXT, credentials.OB_CONTEXT],
        **credentials.issuer_profile(),
    }
    body = json.dumps(profile, sort_keys=True)
    return _cached(Response(body, mimetype="application/json"), 3600)


@bp.route("/api/v1/certificates/<certificate_id>")
@_lookup_limit
def certificate_json(certificate_id: str):  # type: ignore[no-untyped-def]
    certificate = queries.lookup(certificate_id)
    if certificate is None or not queries.is_published(certificate):
        return _problem(404, "No certificate has this id. Check it for typing mistakes.")
    response = jsonify(queries.public_summary(certificate))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api/v1/verify", methods=["POST"])
@csrf.exempt
@_lookup_limit
def verify_api():  # type: ignore[no-untyped-def]
    token = _token_from_request()
    if token is None:
        return _problem(
            400,
            "Send the compact JWS as the body (Content-Type: application/jwt) or as JSON "
            '{"credential": "..."}.',
        )
    response = jsonify(_verification_json(verify_token(token)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_from_request() -> str | None:
    if (request.content_length or 0) > MAX_TOKEN_LENGTH + 1024:
        abort(413)
    mimetype = request.mimetype
    if mimetype == JWT_MIMETYPE:
        raw = request.get_data(cache=False)
        try:
            text = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            return None
        return text or None
    if mimetype == "application/json":
        body = request.get_json(silent=True)
        value = body.get("credential") if isinstance(body, dict) else None
        return value.strip() if isinstance(value, str) and value.strip() else None
    return None


def _verification_json(result: VerificationResult) -> dict[str, Any]:
    return {
        "valid": result.valid,
        "status": result.status,
        "checks": [
            {"check": check.name, "passed": check.passed, "detail": check.detail}
            for check in result.checks
        ],
        "certificate_id": result.certificate_id,
    }
