"""Security headers on every response: pages, errors, static files and downloads."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

#: Scripts only from our own files or with this request's nonce; nothing may frame us.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """The nonce of this request, for the rare <script> that needs one."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


#: Set on every response that has not set its own.
DEFAULTS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
PRODUCTION_DEFAULTS = (
    *DEFAULTS,
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
)


def add_security_headers(response: Response, *, production: bool) -> Response:
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    # Downloads set a stricter, sandboxing policy of their own; keep it.
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    for name, value in PRODUCTION_DEFAULTS if production else DEFAULTS:
        if name.lower() not in present:
            headers.add(name, value)
    if "server" in present:
        del headers["Server"]
    return response


def init_app(app: Flask) -> None:
    production = app.config["ENV"] == "production"
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response: Response) -> Response:
        return add_security_headers(response, production=production)
