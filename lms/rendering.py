"""Small helpers shared by views."""

from __future__ import annotations

from typing import Any

from flask import render_template, request


def render_form(template: str, **context: Any) -> tuple[str, int]:
    """Render a form page; a POST that gets here failed validation, so answer 422.

    The status also makes the request roll back anything a service flushed before refusing.
    """
    status = 422 if request.method == "POST" else 200
    return render_template(template, **context), status
