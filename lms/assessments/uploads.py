"""Attachment files: type checked by content, stored under generated names, never orphaned.

The files themselves live in the configured storage (`lms.storage`), addressed by their key
(the attachment's `stored_name`).

Files are written before the database row; if the transaction then rolls back, the files it
wrote are removed, so a failure leaves neither an orphan file nor a dangling row.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, orm

from lms.db import db
from lms.storage import get_storage, new_key

_PENDING_KEY = "lms_written_files"
_DELETE_KEY = "lms_files_to_delete"

#: Office Open XML documents: the part that must exist, and the type it makes the file.
_OOXML = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xl/workbook.xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
}
#: Limits against archive bombs in Office files.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 5000


class UploadRefused(ValueError):
    """The file is not acceptable; the message says why."""


class UploadTooLarge(UploadRefused):
    """The file is over the size the caller allowed."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    extension: str
    size: int
    sha256: str


def detect_type(path: Path) -> tuple[str, str]:
    """Return (MIME type, extension) from the file's content, or raise UploadRefused."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"PK\x03\x04"):
        return _office_type(path)
    raise UploadRefused(_("Only PDF, Word, Excel, PowerPoint, PNG and JPEG files are accepted."))


def _office_type(path: Path) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise UploadRefused(_("The document has too many parts."))
            unpacked = sum(member.file_size for member in members)
            packed = max(sum(member.compress_size for member in members), 1)
            if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
                raise UploadRefused(_("The document expands to an implausible size."))
            names = {member.filename for member in members}
    except zipfile.BadZipFile as error:
        raise UploadRefused(_("The file is damaged or not an Office document.")) from error
    if "[Content_Types].xml" not in names:
        raise UploadRefused(
            _("Only Word, Excel and PowerPoint documents are accepted as archives.")
        )
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadRefused(_("Documents with macros are not accepted."))
    for part, found in _OOXML.items():
        if part in names:
            return found
    raise UploadRefused(_("Only Word, Excel and PowerPoint documents are accepted as archives."))


def display_name(name: str) -> str:
    """A safe name to show and to offer on download: no paths, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "attachment"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:8]) if dot else name[:120]
    return name


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_of(stored_name: str) -> Path:
    """Where a stored file lives in the upload folder (local storage only)."""
    path = get_storage().local_path(stored_name)
    if path is None:
        raise RuntimeError("The configured storage keeps no files on this machine.")
    return path


def store(stream: IO[bytes], max_bytes: int) -> StoredFile:
    """Copy an upload to the storage under a random key; refuse wrong types and sizes."""
    storage = get_storage()
    stored_name = new_key()
    temporary = storage.staging_path(stored_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with temporary.open("wb") as out:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(_("The file is larger than the limit."))
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UploadRefused(_("The file is empty."))
        content_type, extension = detect_type(temporary)
        storage.save(stored_name, temporary)
    finally:
        temporary.unlink(missing_ok=True)
    db.session.info.setdefault(_PENDING_KEY, []).append((storage, stored_name))
    return StoredFile(stored_name, content_type, extension, size, digest.hexdigest())


def discard(stored_name: str) -> None:
    """Remove a file stored in this transaction that will get no row after all."""
    pending = db.session.info.get(_PENDING_KEY, [])
    for entry in [e for e in pending if e[1] == stored_name]:
        pending.remove(entry)
        entry[0].delete(stored_name)


def open_stored(stored_name: str) -> IO[bytes]:
    """The stored file for reading; FileNotFoundError if it is gone."""
    return get_storage().open(stored_name)


def delete_after_commit(stored_name: str) -> None:
    """Remove a file once the transaction that dropped its row has committed."""
    db.session.info.setdefault(_DELETE_KEY, []).append((get_storage(), stored_name))


@event.listens_for(orm.Session, "after_commit")
def _after_commit(session: orm.Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the real commit is still to come
    session.info.pop(_PENDING_KEY, None)
    for storage, key in session.info.pop(_DELETE_KEY, []):
        storage.delete(key)


@event.listens_for(orm.Session, "after_soft_rollback")
def _after_rollback(session: orm.Session, previous_transaction: orm.SessionTransaction) -> None:
    if previous_transaction.nested:
        return
    for storage, key in session.info.pop(_PENDING_KEY, []):
        storage.delete(key)
    session.info.pop(_DELETE_KEY, None)
