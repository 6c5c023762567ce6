"""Static files: fingerprinted URLs, cached for a year; anything else is revalidated."""

from __future__ import annotations

import re

from lms.static_assets import YEAR, content_hash


def test_pages_link_static_files_by_content_hash(app, client):  # type: ignore[no-untyped-def]
    page = client.get("/auth/login").get_data(as_text=True)
    match = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"', page)
    assert match, "the stylesheet link carries no content hash"
    assert match.group(2) == content_hash(app.static_folder, "css/app.css")
    with client.get(match.group(1)) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == f"public, max-age={YEAR}, immutable"


def test_an_old_or_missing_hash_is_only_revalidated(client):  # type: ignore[no-untyped-def]
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "no-cache"


def test_no_hash_for_files_outside_the_static_folder(app):  # type: ignore[no-untyped-def]
    assert content_hash(app.static_folder, "../../pyproject.toml") is None
    assert content_hash(app.static_folder, "css/missing.css") is None
