"""Who may do what: role checks for views, and the fresh-login rule for sensitive actions."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, redirect, request, session, url_for
from flask_login import current_user

from lms.accounts.models import Role

F = TypeVar("F", bound=Callable[..., Any])

#: Session key holding the time of the last password entry.
AUTH_TIME_KEY = "auth_at"


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let through logged-in users holding any of `roles`; others get 403 (or the login page)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def mark_fresh() -> None:
    session[AUTH_TIME_KEY] = int(time.time())


def is_fresh(max_age_minutes: int) -> bool:
    stamp = session.get(AUTH_TIME_KEY)
    return isinstance(stamp, int) and time.time() - stamp <= max_age_minutes * 60


def fresh_login_required(view: F) -> F:
    """Ask for the password again when the last one was typed too long ago."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from flask import current_app

        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not is_fresh(int(current_app.config["FRESH_LOGIN_MINUTES"])):
            target = request.full_path.rstrip("?") if request.method == "GET" else request.referrer
            return redirect(url_for("auth.reauthenticate", next=target or "/"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
