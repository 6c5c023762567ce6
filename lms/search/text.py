"""Plain text of the sanitised HTML rendered at import, for the index and its snippets."""

from __future__ import annotations

from html.parser import HTMLParser

#: Marks the engines put around matched words in snippets; removed from content beforehand so
#: that only the engine can place them (lms/search/engines.py turns them into <mark>).
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"

#: Tags after which words must not run together ("…end.</p><p>Next…").
_BREAKS = {"p", "li", "td", "th", "br", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "div"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_endtag(tag)


def plain_text(*parts: str, html: str = "") -> str:
    """`parts` (already plain) and the text of `html`, in one line of single spaces."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = " ".join([*parts, "".join(parser.parts)])
    text = text.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
    return " ".join(text.split())
