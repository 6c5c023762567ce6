"""The translation catalogues: compile them for a fresh checkout, extract what needs translating.

`make install` compiles the catalogues; the test session compiles any that are missing or older
than their .po, so `make test` in a fresh clone sees the translations too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from lms import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "lms" / "translations"
#: The same extraction as `make translations` (see the Makefile's PYBABEL_EXTRACT).
EXTRACT_ARGS = [
    "-F",
    str(PROJECT_ROOT / "babel.cfg"),
    "-k",
    "_l",
    "-k",
    "lazy_gettext",
    "-k",
    "_ln:1,2",
    "--ignore-dirs=.* __pycache__ node_modules",
    "--no-location",
]


def catalogue_paths() -> dict[str, Path]:
    """Each translated language's .po file, by language code."""
    return {
        path.parent.parent.name: path
        for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    }


def compile_catalogues() -> list[Path]:
    """Compile every .po whose .mo is missing or older; return the files written.

    Written to a temporary file and renamed, so parallel test workers never read half a file.
    """
    written = []
    for po_path in catalogue_paths().values():
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalogue = read_po(source)
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalogue)
        Path(temporary).replace(mo_path)
        written.append(mo_path)
    return written


def extract_messages(directory: Path) -> Catalog:
    """Extract every translatable message of the code and templates, as `make translations`."""
    pot = directory / "messages.pot"
    cwd = Path.cwd()
    os.chdir(PROJECT_ROOT)  # babel.cfg's patterns are relative to the project root
    try:
        CommandLineInterface().run(["pybabel", "extract", *EXTRACT_ARGS, "-o", str(pot), "."])
    finally:
        os.chdir(cwd)
    with pot.open("rb") as source:
        return read_po(source)


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)
