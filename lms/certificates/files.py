"""Finding the signed credential in what people give us: text, a .jwt, JSON or a PDF.

Used by the verify page (uploads) and by `lms certificates verify` (files)."""

from __future__ import annotations

import json
import re
import zlib

#: A compact JWS whose header and payload are JSON objects ("eyJ" is base64url for '{"').
JWS = re.compile(rb"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
#: A stream object's data: after the dictionary's `>>` (so "octet-stream" in a name is not
#: taken for the keyword), up to `endstream`; zlib ignores the end-of-line left at the end.
_STREAM = re.compile(rb">>\s*stream\r?\n(.*?)endstream", re.DOTALL)
#: No certificate file is anywhere near this; larger input is refused unread.
MAX_BYTES = 50 * 1024 * 1024


class NotACredential(ValueError):
    """Nothing that looks like a signed credential was found."""


def credential_from_text(text: str) -> str:
    """A pasted credential: the compact JWS itself, or JSON with a "credential" member."""
    text = text.strip()
    if text.startswith("{"):
        return credential_from_bytes(text.encode(), "pasted.json")
    match = JWS.fullmatch(text.encode("ascii", "replace"))
    if match is None:
        raise NotACredential("This is not a signed credential (a compact JWS).")
    return text


def credential_from_bytes(data: bytes, filename: str) -> str:
    """The credential in an uploaded file: .jwt text, JSON, or a PDF that embeds it."""
    if len(data) > MAX_BYTES:
        raise NotACredential("The file is too large to be a certificate.")
    if data.startswith(b"%PDF-"):
        return _from_pdf(data)
    stripped = data.strip()
    if stripped.startswith(b"{"):
        try:
            document = json.loads(stripped)
        except (ValueError, UnicodeDecodeError) as error:
            raise NotACredential("The JSON file could not be read.") from error
        token = document.get("credential") if isinstance(document, dict) else None
        if not isinstance(token, str):
            raise NotACredential('The JSON file has no "credential" member.')
        return credential_from_text(token)
    match = JWS.fullmatch(stripped)
    if match is None:
        raise NotACredential(f"{filename} holds no signed credential.")
    return match.group(0).decode()


def _from_pdf(data: bytes) -> str:
    match = JWS.search(data)
    if match is None:
        for stream in _STREAM.findall(data)[:200]:
            try:
                content = zlib.decompressobj().decompress(stream, MAX_BYTES)
            except zlib.error:
                continue
            match = JWS.search(content)
            if match:
                break
    if match is None:
        raise NotACredential("This PDF does not carry a signed credential.")
    return match.group(0).decode()
