"""Find text in templates that a reader sees but that is not wrapped for translation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

#: Stands for a Jinja expression or statement inside the template's text.
MARK = "\x00"
#: Attributes whose values are read out or shown.
READABLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}
#: Words that stay as they are in every language: names, formats, standards, units.
UNTRANSLATED_WORDS = {
    "LinkedIn",
    "JSON",
    "JWKS",
    "JWT",
    "PDF",
    "CSV",
    "API",
    "OpenAPI",
    "UTF-8",
    "smE-MPOWER",
    "Markdown",
    "email",  # a CSV column name
    "name",  # a CSV column name
    "role",  # a CSV column name
    "KA",
}
#: A sample certificate id, shown as a placeholder.
_CERTIFICATE_ID = re.compile(r"^CC(-[0-9A-Z]{4})+$")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[\w.-]+", re.UNICODE)


def template_source_without_jinja(env: Environment, source: str) -> str:
    """The template's literal text, with every `{{ … }}` and `{% … %}` replaced by MARK."""
    parts: list[str] = []
    inside = False
    for _line, kind, value in env.lex(source):
        if kind == "data":
            parts.append(value)
            inside = False
        elif not inside:
            parts.append(MARK)
            inside = True
    return "".join(parts)


def readable(text: str) -> bool:
    """Whether the text has words a reader must understand (letters outside the exceptions)."""
    text = text.replace(MARK, " ")
    remaining = [
        word
        for word in _WORD.findall(text)
        if word.strip(".-") not in UNTRANSLATED_WORDS and not _CERTIFICATE_ID.match(word)
    ]
    return any(_LETTERS.search(word) for word in remaining)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in READABLE_ATTRIBUTES and value and readable(value):
                shown = value.replace(MARK, "…")
                self.found.append((self.getpos()[0], f'{name}="{shown}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and readable(data):
            self.found.append((self.getpos()[0], data.strip().replace(MARK, "…")))


def untranslated_literals(env: Environment, path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) for each piece of visible text not produced by a Jinja expression."""
    text = template_source_without_jinja(env, path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        for number, line in enumerate(text.splitlines(), start=1):
            if readable(line):
                yield number, line.strip().replace(MARK, "…")
        return
    collector = _Collector()
    collector.feed(text)
    collector.close()
    yield from collector.found
