"""Public certificate routes (no login): keys, status lists and the issuer.

The JSON API (certificate lookups and verification, rate-limited per caller) lives in
lms.api. Nothing here changes state except re-signing a status list whose signature was
withdrawn.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, jsonify, request

from lms.certificates import credentials, keys, statuslist
from lms.certificates.models import StatusList
from lms.db import db
from lms.errors import TITLES
from lms.extensions import limiter

bp = Blueprint("certificates_public", __name__)

JWT_MIMETYPE = "application/jwt"


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
