"""Accessible SVG bar charts rendered on the server.

Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>`; every
bar carries its value as text, and a second series is hatched, so colour never carries meaning
alone. The page shows the same numbers as a table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Fill per series, with a pattern id suffix for hatched ones (None: solid).
SERIES_STYLES = (
    ("#1d4e89", None),
    ("#f2b134", "hatch"),
    ("#1e6b3a", "dots"),
    ("#a11d2b", "cross"),
)
ROW_HEIGHT = 22
LABEL_WIDTH = 330
BAR_WIDTH = 360
VALUE_WIDTH = 170


@dataclass
class Series:
    name: str
    values: Sequence[float | int | None]


def _fmt(value: float | int | None, unit: str) -> str:
    """A value as the reader writes numbers ("3.2" in English, "3,2" in German and French)."""
    from flask import has_request_context
    from flask_babel import format_decimal

    if value is None:
        return "–"
    fraction = isinstance(value, float) and not value.is_integer()
    if not has_request_context():
        return f"{value:.1f}{unit}" if fraction else f"{int(value)}{unit}"
    shown = format_decimal(value, "#,##0.0") if fraction else format_decimal(int(value))
    return f"{shown}{unit}"


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    maximum: float | None = None,
) -> Markup:
    """Horizontal bars, one group per label and one bar per series."""
    per_group = len(series)
    group_height = ROW_HEIGHT * per_group + 10
    legend_height = 24 if per_group > 1 else 0
    height = legend_height + group_height * max(len(labels), 1) + 10
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    values = [v for s in series for v in s.values if v is not None]
    top = maximum if maximum is not None else max(values, default=0) or 1
    ids = {"title": f"{chart_id}-title", "desc": f"{chart_id}-desc"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{ids["title"]} {ids["desc"]}">',
        f'<title id="{ids["title"]}">{escape(title)}</title>',
        f'<desc id="{ids["desc"]}">{escape(description)}</desc>',
        "<defs>",
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2b134"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#7a4d00" stroke-width="2"/></pattern>',
        f'<pattern id="{chart_id}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="#1e6b3a"/>'
        f'<circle cx="3" cy="3" r="1.3" fill="#ffffff"/></pattern>',
        f'<pattern id="{chart_id}-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="#a11d2b"/>'
        f'<path d="M0 0L6 6M6 0L0 6" stroke="#ffffff" stroke-width="1"/></pattern>',
        "</defs>",
    ]
    if per_group > 1:
        x = LABEL_WIDTH
        for index, item in enumerate(series):
            parts.append(
                f'<rect x="{x}" y="4" width="14" height="14" fill="{_fill(chart_id, index)}" '
                f'stroke="#1b2430" stroke-width="0.5"/>'
                f'<text x="{x + 20}" y="16" font-size="12" fill="#1b2430">'
                f"{escape(item.name)}</text>"
            )
            x += 30 + 7 * len(item.name)
    for row, label in enumerate(labels):
        y0 = legend_height + row * group_height + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y0 + group_height / 2}" font-size="13" '
            f'text-anchor="end" dominant-baseline="middle" fill="#1b2430">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        for index, item in enumerate(series):
            value = item.values[row]
            y = y0 + index * ROW_HEIGHT
            length = 0 if value is None else max(BAR_WIDTH * float(value) / top, 0)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{ROW_HEIGHT - 4}" '
                f'fill="{_fill(chart_id, index)}" stroke="#1b2430" stroke-width="0.5"/>'
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + ROW_HEIGHT / 2}" font-size="12" '
                f'dominant-baseline="middle" fill="#1b2430">'
                f"{escape(_fmt(value, unit))}"
                f"{'' if per_group == 1 else ' · ' + str(escape(item.name))}</text>"
            )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="{legend_height}" x2="{LABEL_WIDTH}" y2="{height - 5}" '
        f'stroke="#4a5565" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def _fill(chart_id: str, index: int) -> str:
    colour, pattern = SERIES_STYLES[index % len(SERIES_STYLES)]
    return f"url(#{chart_id}-{pattern})" if pattern else colour
