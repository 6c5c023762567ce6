"""Interface language and time zone: which one a request gets, and where people change them.

The language comes from the signed-in user's saved choice, else the language cookie (set by the
switcher in every page header, for anonymous visitors too), else the browser's Accept-Language,
else English. The cookie is essential: it only remembers a choice the visitor made.
The time zone is the signed-in user's, else the default (Europe/Brussels).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField

from lms.errors import render_error
from lms.extensions import csrf
from lms.urls import safe_next, sent_from_this_site

#: Interface languages, by their own names (a language is never translated into another).
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français"}
SUPPORTED_LOCALES = tuple(LANGUAGES)
DEFAULT_LOCALE = "en"
DEFAULT_TIMEZONE = "Europe/Brussels"
#: The cookie that remembers the switcher's choice (one year).
COOKIE = "lms_locale"
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def select_locale() -> str | None:
    """The language for this request (Flask-Babel's locale selector)."""
    if not has_request_context():
        return None
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    if request.cookies.get(COOKIE) in LANGUAGES:
        return str(request.cookies[COOKIE])
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def select_timezone() -> str:
    """The time zone dates are shown in (Flask-Babel's timezone selector)."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        zone = current_user.timezone
        if zone in timezones():
            return str(zone)
    return DEFAULT_TIMEZONE


@cache
def timezones() -> frozenset[str]:
    """Every IANA time zone name this system knows."""
    return frozenset(zoneinfo.available_timezones())


@cache
def _timezone_choices() -> tuple[tuple[str, str], ...]:
    return tuple((zone, zone.replace("_", " ")) for zone in sorted(timezones()))


#: The rubric's level names (lms.courses.models.LEVEL_NAMES), marked for translation.
LEVEL_LABELS = (
    _l("not evident"),
    _l("emerging"),
    _l("competent"),
    _l("proficient"),
    _l("exemplary"),
)


def level_label(level: int | str) -> str:
    """A rubric level's name (0 = not evident … 4 = exemplary) in the interface language."""
    return str(LEVEL_LABELS[int(level)])


@contextmanager
def speaking_to(user: Any) -> Iterator[None]:
    """Write what goes to `user` (notifications, e-mails) in their saved language; someone who
    never chose one gets the current language (the request's, or English in jobs)."""
    locale = getattr(user, "locale", None)
    if locale not in LANGUAGES:
        yield
        return
    with force_locale(locale):
        yield


def formatting_locale(language: str) -> str:
    """The locale dates and numbers are written in: British conventions for English."""
    return "en_GB" if language == "en" else language


def datetime_local(value: Any, zone: str | None = None) -> str:
    """A date and time in the viewer's time zone (or `zone`, for someone else: a reminder's
    reader) and language: "14 Mar 2025, 09:30"."""
    from babel import Locale
    from babel.dates import format_date, format_time
    from flask_babel import get_locale, to_user_timezone

    if value is None:
        return "—"
    locale = formatting_locale(str(get_locale() or DEFAULT_LOCALE))
    if zone in timezones():
        local = value.astimezone(zoneinfo.ZoneInfo(zone))
    else:
        local = to_user_timezone(value)
    pattern = Locale.parse(locale).datetime_formats["medium"]
    return str(pattern).format(
        format_time(local, "short", locale=locale), format_date(local, "medium", locale=locale)
    )


def time_local(value: Any) -> str:
    """A time of day in the viewer's time zone and language: "09:30"."""
    from babel.dates import format_time
    from flask_babel import get_locale, to_user_timezone

    locale = formatting_locale(str(get_locale() or DEFAULT_LOCALE))
    return str(format_time(to_user_timezone(value), "short", locale=locale))


def colon(label: Any) -> str:
    """A label followed by a colon as the language writes it: French puts a no-break space
    before it ("Titulaire :"), English and German none."""
    from flask_babel import get_locale

    space = "\u00a0" if str(get_locale() or DEFAULT_LOCALE) == "fr" else ""
    return f"{label}{space}:"


def language_name(code: str | None) -> str:
    """A content language (BCP 47 code) named in the current interface language."""
    from babel import Locale, UnknownLocaleError
    from flask_babel import get_locale

    if not code:
        return ""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(get_locale())
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


class RegionalSettingsForm(FlaskForm):
    locale = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = [(code, name, {"lang": code}) for code, name in LANGUAGES.items()]
        self.locale.choices = [("", _("The language of my browser"), {}), *languages]
        self.timezone.choices = list(_timezone_choices())


@bp.route("/language", methods=["POST"])
@csrf.exempt
def switch_language():  # type: ignore[no-untyped-def]
    """The header switcher: remember the language (in the profile when signed in).

    Signed in, the form carries the session's CSRF token like every other. Anonymous, it
    carries none, so that public pages (the verify page above all) set no cookie and keep no
    session for a visitor who only reads them: all such a switch can change is the visitor's
    own language cookie, and a request another site sent is still refused by its origin.
    """
    if current_user.is_authenticated:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
    elif not sent_from_this_site():
        return render_error(400, _("The language can only be changed from this site's pages."))
    locale = request.form.get("locale", "")
    target = safe_next(request.form.get("next"), url_for("main.home"))
    response = redirect(target, code=303)
    if locale not in LANGUAGES:
        flash(_("Choose one of the languages offered."), "error")
        return response
    if current_user.is_authenticated:
        current_user.locale = locale
    _remember(response, locale)
    return response


@bp.route("/account/regional", methods=["POST"])
@login_required
def regional_settings():  # type: ignore[no-untyped-def]
    """The profile's language and time zone."""
    form = RegionalSettingsForm()
    response = redirect(url_for("accounts.profile"), code=303)
    if not form.validate_on_submit():
        flash(_("Choose a language and a time zone from the lists."), "error")
        return response
    current_user.locale = form.locale.data or None
    current_user.timezone = form.timezone.data
    if form.locale.data:
        _remember(response, form.locale.data)
    else:
        response.delete_cookie(COOKIE)
    flash(_("Your language and time zone are saved."), "success")
    return response


def _remember(response: Any, locale: str) -> None:
    response.set_cookie(
        COOKIE,
        locale,
        max_age=COOKIE_MAX_AGE,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def init_app(app: Flask) -> None:
    """Bind Flask-Babel to the selectors and give templates the switcher's data."""
    from lms.extensions import babel

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["datetime_local"] = datetime_local
    app.jinja_env.filters["colon"] = colon
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        language_name=language_name,
        level_label=level_label,
        regional_settings_form=_regional_settings_form,
    )

    @app.after_request
    def _language_headers(response):  # type: ignore[no-untyped-def]
        """Pages differ by language: say which one, and tell caches what it depends on."""
        if response.mimetype == "text/html":
            response.headers["Content-Language"] = str(get_locale() or DEFAULT_LOCALE)
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    @app.context_processor
    def _switcher() -> dict[str, Any]:
        if not has_request_context():  # e-mails rendered by jobs and commands
            return {}
        here = request.full_path.rstrip("?") if request.method == "GET" else None
        return {"switcher_next": here or url_for("main.home")}


def _translations() -> Any:
    """The catalogue of the current language, for templates: looked up once per request and
    language instead of once per string (Flask-Babel finds the domain, the locale and the
    catalogue again for every `_()`, a tenth of a page's time on the verify page). Keyed by
    the locale object itself, so `force_locale` (e-mails in the reader's language) still
    switches catalogues."""
    from flask import g
    from flask_babel import get_translations

    try:
        context = g._flask_babel
    except (AttributeError, RuntimeError):
        return get_translations()
    cached = getattr(context, "lms_translations", None)
    locale = getattr(context, "babel_locale", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    context.lms_translations = (getattr(context, "babel_locale", None), translations)
    return translations


def _regional_settings_form() -> RegionalSettingsForm:
    form = RegionalSettingsForm(formdata=None)
    form.locale.data = current_user.locale or ""
    form.timezone.data = select_timezone()
    return form
