"""Fingerprinted static files: cached by browsers for a year, fetched again when they change.

Every `url_for('static', filename=...)` gets `?v=<content hash>`; a request carrying the
current hash is answered with `Cache-Control: public, max-age=31536000, immutable`. When a file
changes, its hash (and so its URL) changes, so no browser keeps a stale copy. Without the hash,
or with an old one, the file is served for revalidation only (`no-cache`, with its ETag).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, Response, request

YEAR = 31_536_000
_hashes: dict[tuple[str, int, int], str] = {}
#: Hashes already known, by folder and file name: a page links the same few files every time.
_known: dict[tuple[str, str], str | None] = {}


def content_hash(folder: str, filename: str, *, recheck: bool = True) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (cached per size and modification time).

    With `recheck=False` a hash computed before is returned without looking at the file again
    (files do not change under a running production server).
    """
    if not recheck and (folder, filename) in _known:
        return _known[(folder, filename)]
    digest = _content_hash(folder, filename)
    _known[(folder, filename)] = digest
    return digest


def _content_hash(folder: str, filename: str) -> str | None:
    path = os.path.realpath(os.path.join(folder, filename))
    if not path.startswith(os.path.realpath(folder) + os.sep):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    digest = _hashes.get(key)
    if digest is None:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()[:12]
        _hashes[key] = digest
    return digest


def init_app(app: Flask) -> None:
    folder = app.static_folder
    if folder is None:
        return
    recheck = bool(app.debug or app.testing)  # files may change while developing

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = content_hash(folder, str(values["filename"]), recheck=recheck)
            if digest is not None:
                values["v"] = digest

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        version = request.args.get("v")
        if version and version == content_hash(folder, str(filename), recheck=recheck):
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response
