"""The template a toolbox item offers to copy: the Markdown under its "## Template" heading.

courses/README.md fixes the shape of a toolbox file: "## Steps", then "## Template" with the
table, checklist or canvas the coach copies into their own notes. The template runs from that
heading to the next heading of the same level (or the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from lms.courses.models import ToolboxItem
from lms.markdown import slugify

TEMPLATE_HEADING = "Template"
_HEADING = re.compile(r"^(#{1,2})\s+(.*?)\s*#*\s*$")
#: Where the rendered body's template section starts (the anchor lms.markdown gives an h2).
_RENDERED_HEADING = re.compile(r'<h2 id="sec-template">.*?</h2>\n?', re.S)


def template_markdown(body_markdown: str) -> str | None:
    """The template's Markdown, without its heading, or None if the item has none."""
    lines = body_markdown.splitlines()
    start = None
    in_fence = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            continue
        if start is not None:
            return _strip_blank_lines(lines[start:number])
        if len(match.group(1)) == 2 and match.group(2).strip() == TEMPLATE_HEADING:
            start = number + 1
    return None if start is None else _strip_blank_lines(lines[start:])


def _strip_blank_lines(lines: list[str]) -> str | None:
    text = "\n".join(lines).strip("\n")
    return text + "\n" if text.strip() else None


def template_filename(item: ToolboxItem) -> str:
    """A file name that says what the file is: `<item-slug>-template.md`."""
    return f"{slugify(item.slug)}-template.md"


@dataclass(frozen=True)
class BodyParts:
    """The rendered body cut where the template starts, so the page can put its Copy and
    Download buttons under the template's own heading."""

    before: Markup
    heading: Markup
    after: Markup


def split_at_template(body_html: str) -> BodyParts | None:
    """The body before the template heading, the heading, and the rest; None without one."""
    match = _RENDERED_HEADING.search(body_html)
    if match is None:
        return None
    return BodyParts(
        before=Markup(body_html[: match.start()]),  # noqa: S704 (sanitised at import)
        heading=Markup(match.group(0)),  # noqa: S704 (sanitised at import)
        after=Markup(body_html[match.end() :]),  # noqa: S704 (sanitised at import)
    )
