"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises.

Used for course content (with links between lessons resolved to site URLs) and for anything
people type (answers, feedback), which must never carry script into a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import escape
from mdit_py_plugins.tasklists import tasklists_plugin

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "input",
    "label",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
#: Task lists ("- [ ] step") are the only use of classes and of <input>: every input that
#: survives sanitising is a disabled checkbox, whatever the source said, so nothing typed
#: into an answer can become a working form control.
ALLOWED_CLASSES = {
    "ul": {"contains-task-list"},
    "ol": {"contains-task-list"},
    "li": {"task-list-item"},
    "input": {"task-list-item-checkbox"},
}
FORCED_ATTRIBUTE_VALUES = {"input": {"type": "checkbox", "disabled": "disabled"}}
ALLOWED_ATTRIBUTE_VALUES = {"input": {"checked": {"checked", ""}}}
_INPUT = re.compile(r"<input\b[^>]*>")
_CHECKBOX = '<input class="task-list-item-checkbox"'
URL_SCHEMES = {"http", "https", "mailto"}

#: Resolves a relative link found in the Markdown (e.g. "02-next.md") to a URL, or None.
LinkResolver = Callable[[str], str | None]


@dataclass
class Rendered:
    html: str
    #: (level, anchor, title) for each h2/h3, for a table of contents.
    toc: list[tuple[int, str, str]] = field(default_factory=list)
    #: The text without markup, for search.
    text: str = ""


def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
        .enable(["table", "strikethrough"])
        .use(tasklists_plugin)
    )


_PARSER = _parser()


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


#: What a screen reader announces for a table's scrollable frame when no label is given.
DEFAULT_TABLE_LABEL = "Table (scrolls sideways)"


def render(
    source: str, resolve_link: LinkResolver | None = None, *, table_label: str | None = None
) -> Rendered:
    """Render Markdown to sanitised HTML, collecting headings and plain text on the way.

    Every table comes inside a frame that scrolls sideways (see `scrollable_tables`), labelled
    `table_label`: in the language of the text, as it is stored with it.
    """
    tokens = _PARSER.parse(source)
    toc: list[tuple[int, str, str]] = []
    used: set[str] = set()
    words: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in {"h2", "h3"}:
            title = tokens[index + 1].content
            anchor = "sec-" + slugify(title)
            while anchor in used:
                anchor += "-1"
            used.add(anchor)
            token.attrSet("id", anchor)
            toc.append((int(token.tag[1]), anchor, title))
        if token.type == "inline" and token.children:
            _rewrite_links(token.children, resolve_link)
            words.append(_label_task(token))
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    html = scrollable_tables(clean(html), table_label or DEFAULT_TABLE_LABEL)
    return Rendered(html=html, toc=toc, text=" ".join(words))


def _rewrite_links(children: list[Token], resolve_link: LinkResolver | None) -> None:
    for child in children:
        if child.type != "link_open":
            continue
        href = str(child.attrGet("href") or "")
        if resolve_link is not None and not re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):
            resolved = resolve_link(href)
            if resolved is not None:
                child.attrSet("href", resolved)


def _label_task(inline: Token) -> str:
    """Wrap a task's checkbox and its text in one <label>, so the checkbox is announced with
    its text; return the text for search (the plugin has taken the "[ ]" out of it)."""
    children = inline.children or []
    if not (children and children[0].type == "html_inline"):
        return inline.content
    if not children[0].content.startswith(_CHECKBOX):
        return inline.content
    children[0].content = "<label>" + children[0].content
    children.append(Token("html_inline", "", 0, content="</label>"))
    return inline.content


def clean(html: str) -> str:
    """Sanitise HTML from any source: only harmless tags, attributes and URL schemes stay."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
        set_tag_attribute_values=FORCED_ATTRIBUTE_VALUES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # The sanitiser writes the attributes it forces in no fixed order: write each checkbox the
    # same way every time, so that the same Markdown always gives the same HTML.
    return _INPUT.sub(_checkbox, cleaned)


def _checkbox(match: re.Match[str]) -> str:
    tag = match.group(0)
    css = ' class="task-list-item-checkbox"' if "task-list-item-checkbox" in tag else ""
    checked = " checked" if re.search(r"\bchecked\b", tag) else ""
    return f'<input type="checkbox"{css} disabled{checked}>'


#: The frame around a table: a region with a name, focusable so that the keyboard can scroll it.
_TABLE_FRAME = '<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'


def scrollable_tables(html: str, label: str) -> str:
    """Put each table of sanitised HTML in a frame that scrolls sideways on a narrow screen.

    Added after `clean`, which allows neither `div` nor these attributes in what it is given;
    the sanitiser's output is well-formed and gives `table` no attributes, so each `<table>`
    has its `</table>` and plain replacement keeps the frames balanced.
    """
    frame = _TABLE_FRAME.format(label=escape(label))
    return html.replace("<table>", frame + "<table>").replace("</table>", "</table></div>")


def table_label(language: str | None = None) -> str:
    """The frames' label in `language` (course content), or in the current one (people's text)."""
    from flask_babel import force_locale, gettext

    if language is None:
        return gettext("Table (scrolls sideways)")
    with force_locale(language):
        return gettext("Table (scrolls sideways)")


def render_user_text(source: str, *, table_label: str | None = None) -> str:
    """Render what a person typed (answers, feedback) to safe HTML."""
    return render(source, table_label=table_label).html
