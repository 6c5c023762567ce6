"""The employer's verify pages: by id or link, or from a pasted or uploaded credential."""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms.caching import BoundedCache
from lms.certificates import credentials, queries
from lms.certificates.files import NotACredential, credential_from_bytes, credential_from_text
from lms.certificates.ids import normalise_public_id
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.verification import VerificationResult, verify_token
from lms.extensions import CERTIFICATE_LOOKUP_SCOPE, limiter, verify_rate_limit
from lms.headers import csp_nonce

bp = Blueprint("verify", __name__, url_prefix="/verify")


_lookup_limit = limiter.shared_limit(verify_rate_limit, scope=CERTIFICATE_LOOKUP_SCOPE)


@bp.route("/<path:certificate_id>")
@_lookup_limit
def by_id(certificate_id: str):  # type: ignore[no-untyped-def]
    typed = id_in_pasted_text(certificate_id)
    canonical = normalise_public_id(typed)
    if canonical is None:
        return render_template(
            "verify/not_found.html",
            typed=typed[:60],
            mistyped=_looks_like_an_id(typed),
        ), 404
    if canonical != certificate_id:
        return redirect(url_for("verify.by_id", certificate_id=canonical), 301)
    certificate = queries.public_record(canonical)
    if certificate is None or not queries.is_published(certificate):
        return render_template("verify/not_found.html", typed=canonical, mistyped=False), 404
    result = verify_token(certificate.credential, record=certificate)
    return _result_page(result, certificate)


@bp.route("", methods=["GET", "POST"])
@_lookup_limit
def form():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return render_template("verify/form.html")
    typed = id_in_pasted_text(request.form.get("certificate_id", ""))
    if typed:
        canonical = normalise_public_id(typed[:80]) or typed[:80]
        return redirect(url_for("verify.by_id", certificate_id=canonical))
    try:
        token = _submitted_credential()
    except NotACredential as error:
        return render_template("verify/form.html", error=str(error)), 422
    result = verify_token(token)
    certificate = queries.public_record(result.certificate_id) if result.certificate_id else None
    return _result_page(result, certificate if result.valid or certificate else None)


def _submitted_credential() -> str:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return credential_from_bytes(upload.stream.read(6 * 1024 * 1024), upload.filename)
    pasted = request.form.get("credential", "")
    if pasted.strip():
        return credential_from_text(pasted[:200_000])
    raise NotACredential(_("Type a certificate id, paste a credential, or choose a file."))


def id_in_pasted_text(text: str) -> str:
    """The id in what was typed or pasted: the text itself, or the last part of a verify link
    ("https://host/verify/CC-…/", with spaces or line breaks around it, a query or an anchor).
    Ids never hold "/", "?" or "#", so anything up to the last "/" is the link's address."""
    text = text.strip()
    for mark in ("#", "?"):
        text = text.split(mark, 1)[0]
    return text.rstrip("/").rsplit("/", 1)[-1].strip()


def _looks_like_an_id(text: str) -> bool:
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    return letters.startswith("CC") and len(letters) >= 18


def _result_page(result: VerificationResult, certificate: Certificate | None):  # type: ignore[no-untyped-def]
    shown = certificate
    if certificate is not None and result.check("record").passed is False:
        shown = None  # what was uploaded is not what we issued: show only the checks
    successor = queries.successor(certificate) if certificate is not None else None
    context = {
        "result": result,
        "certificate": shown,
        "successor": successor,
        "verdict": _verdict(result, certificate),
        "issuer": credentials.issuer_profile(),
    }
    key = _body_key(**context)
    body = result_body(key=key, **context)
    if key is None or not _same_page_for_everyone():
        return render_template("verify/result.html", body=body)
    # The whole page, for anonymous visitors: the layout around the content is the same for
    # all of them (it holds no CSRF token: see i18n.switch_language), but for a CSP nonce,
    # should a script ever need one, rendered as a marker and put in for each request.
    page = bodies.get_or_compute(
        ("page", key, request.path),
        lambda: Markup(  # noqa: S704 (autoescaped templates)
            render_template("verify/result.html", body=body, csp_nonce=lambda: _NONCE_MARK)
        ),
    )
    html = str(page)
    if _NONCE_MARK in html:
        html = html.replace(_NONCE_MARK, csp_nonce())
    return html


#: Stand-in for the per-request nonce in a kept page (random: no content can contain it).
_NONCE_MARK = f"nonce-{secrets.token_hex(16)}"


def _same_page_for_everyone() -> bool:
    """Whether this request gets the anonymous layout and nothing personal: not signed in,
    no message waiting to be shown (flash), no query string (which the switcher keeps)."""
    return (
        not request.query_string
        and not getattr(current_user, "is_authenticated", False)
        and not session.get("_flashes")
    )


#: Rendered verify page contents, keyed by everything they show.
bodies: BoundedCache[Markup] = BoundedCache(512)


def result_body(*, key: Hashable | None, **context: Any) -> Markup:
    """The page's content (verdict, the record's statements, the checks), rendered once for
    each combination of what it reads and then reused: a page of some 40 translated strings
    and formatted dates costs more than everything else the verify page does.

    Nothing goes stale: the verification runs on every request and its checks (whose details
    name the status, the revocation date and reason, the dates and the record's hash) are in
    the key, with the record's shown fields, the renewal, the issuer, the language, the time
    zone and the path prefix of the links. A revoked certificate gets a new key at once.
    """

    def render() -> Markup:
        template = current_app.jinja_env.get_template("verify/_result_body.html")
        return Markup(template.render(status_enum=CertificateStatus, **context))  # noqa: S704 (autoescaped template)

    return render() if key is None else bodies.get_or_compute(key, render)


def _body_key(
    *,
    result: VerificationResult,
    certificate: Any,
    successor: Any,
    verdict: str,
    issuer: dict[str, Any],
) -> Hashable | None:
    """Everything `verify/_result_body.html` reads, as a hashable value (None: do not keep,
    while templates are being edited)."""
    if current_app.jinja_env.auto_reload:
        return None
    record = None
    if certificate is not None:
        record = (
            certificate.public_id,
            certificate.key_id,
            str(certificate.status),
            certificate.issued_at,
            certificate.expires_at,
            certificate.revoked_at,
            certificate.revocation_reason,
            certificate.suspended_at,
            certificate.credential_sha256,
            certificate.user.name,
            certificate.course.title,
            certificate.course.profile.title,
            repr(certificate.results),
        )
    return (
        str(get_locale()),
        str(get_timezone()),
        request.script_root,
        verdict,
        result.valid,
        result.status,
        tuple(result.checks),
        record,
        successor.public_id if successor is not None else None,
        issuer["name"],
        issuer["url"],
    )


def _verdict(result: VerificationResult, certificate: Certificate | None) -> str:
    """One word for the banner: valid, expired, revoked, suspended, superseded or invalid."""
    if result.valid:
        return "valid"
    if certificate is not None and result.status in {
        "revoked",
        "suspended",
        "superseded",
        "expired",
    }:
        return result.status
    if result.status == "expired":
        return "expired"
    return "invalid"
