"""Absolute links and safe redirect targets."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for

_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def path_for(endpoint: str, **values: object) -> str:
    """The path of `endpoint`, also outside a request (commands, jobs).

    Outside a request the path is built in a request for LMS_BASE_URL's own host, so that it
    passes TRUSTED_HOSTS like any real request would.
    """
    if has_request_context():
        return url_for(endpoint, **values)
    host = urlsplit(current_app.config["BASE_URL"]).netloc or "localhost"
    with current_app.test_request_context("/", headers={"Host": host}):
        return url_for(endpoint, **values)


def absolute_url(endpoint: str, **values: object) -> str:
    """Build a link for e-mails and credentials from LMS_BASE_URL, never from the Host header."""
    return current_app.config["BASE_URL"] + path_for(endpoint, **values)


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a local path on this site, else `default`.

    Refuses absolute and scheme-relative URLs, backslash tricks browsers read as `//`,
    and anything with control characters or whitespace a browser would strip.
    """
    if not target or _CONTROL.search(target):
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def sent_from_this_site() -> bool:
    """Whether the browser says this request comes from one of our own pages.

    Browsers name the page's origin on every cross-site POST (`Origin`, and `Sec-Fetch-Site`
    where supported); a request naming another site is refused. A request that names none at
    all was not sent by a page in a modern browser, so no other site can have caused it.
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("Origin") or _origin_of(request.headers.get("Referer"))
    if not origin or origin == "null":
        return origin is None
    # The host decides, not the scheme: behind a proxy that terminates TLS the app may see
    # http where the browser says https.
    ours = {request.host, urlsplit(current_app.config.get("BASE_URL", "")).netloc}
    return urlsplit(origin).netloc in ours - {""}


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


#: The largest id the database columns hold; larger numbers in URLs simply do not exist.
MAX_ID = 2**31 - 1


def int_arg(value: str | None) -> int | None:
    """A query-string id: a positive whole number in range, or None."""
    if value is None or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
