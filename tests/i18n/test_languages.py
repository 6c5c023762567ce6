"""Which language and time zone people get, and how they change them."""

import datetime as dt
import re
import shutil

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from lms.accounts.models import User
from lms.certificates.pdf import render_certificate_pdf
from lms.db import db
from lms.i18n import COOKIE, datetime_local
from tests.conftest import login
from tests.factories import trainee


def _title(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True))
    assert match
    return match.group(1)


def _html_lang(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("accept", "expected", "title"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de", "Anmelden"),
        ("fr-BE,fr;q=0.9", "fr", "Se connecter"),
        ("es-ES,it;q=0.8", "en", "Log in"),
        ("", "en", "Log in"),
    ],
)
def test_anonymous_visitors_get_their_browser_language_else_english(
    client, accept, expected, title
):
    page = client.get("/auth/login", headers={"Accept-Language": accept})
    assert _html_lang(page) == expected
    assert _title(page).startswith(f"{title} · ")


def test_the_switcher_remembers_an_anonymous_choice_in_a_cookie(client):
    response = client.post("/language", data={"locale": "fr", "next": "/verify?x=1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/verify?x=1"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    assert cookie.value == "fr"
    assert cookie.http_only
    page = client.get("/auth/login", headers={"Accept-Language": "de"})
    assert _html_lang(page) == "fr"  # the explicit choice beats the browser


def test_a_signed_in_choice_is_saved_to_the_profile_and_wins_everywhere(client):
    user = trainee(locale=None)
    login(client, user.email)
    client.post("/language", data={"locale": "de", "next": "/"})
    assert db.session.get(User, user.id).locale == "de"
    client.delete_cookie(COOKIE)
    page = client.get("/account/", headers={"Accept-Language": "fr"})
    assert _html_lang(page) == "de"
    assert "Sprache und Zeitzone" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://localhost.evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost"},
    ],
)
def test_another_site_cannot_switch_an_anonymous_visitors_language(client, headers):
    response = client.post("/language", data={"locale": "de", "next": "/"}, headers=headers)
    assert response.status_code == 400
    assert "this site" in response.get_data(as_text=True)
    assert client.get_cookie(COOKIE) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://localhost/verify/CC-X"},
        {"Origin": "https://localhost"},  # TLS ended by a proxy the app was not told about
        {"Origin": "https://lms.example.test"},  # LMS_BASE_URL's host
        {},
    ],
)
def test_an_anonymous_switch_from_our_own_pages_needs_no_csrf_token(client, csrf_enabled, headers):
    response = client.post("/language", data={"locale": "de", "next": "/"}, headers=headers)
    assert response.status_code == 303
    assert client.get_cookie(COOKIE).value == "de"


def test_a_signed_in_switch_still_needs_the_csrf_token(app, client, monkeypatch):
    user = trainee(locale="fr")
    login(client, user.email)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    headers = {"Origin": "http://localhost"}
    refused = client.post("/language", data={"locale": "de", "next": "/"}, headers=headers)
    assert refused.status_code == 400
    assert db.session.get(User, user.id).locale == "fr"
    page = client.get("/account/").get_data(as_text=True)
    form = re.search(r'<form[^>]*class="language-switch".*?</form>', page, re.S)
    assert form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0))
    assert token
    accepted = client.post(
        "/language",
        data={"locale": "de", "next": "/", "csrf_token": token.group(1)},
        headers=headers,
    )
    assert accepted.status_code == 303
    assert db.session.get(User, user.id).locale == "de"


@pytest.mark.parametrize("locale", ["es", "", "de'><script>", "EN"])
def test_an_unknown_language_is_refused_and_changes_nothing(client, locale):
    user = trainee(locale="fr")
    login(client, user.email)
    response = client.post("/language", data={"locale": locale, "next": "/"})
    assert response.status_code == 303
    assert client.get_cookie(COOKIE) is None
    assert db.session.get(User, user.id).locale == "fr"
    page = client.get("/")
    assert "Choisissez l’une des langues proposées." in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_the_switcher_only_returns_to_pages_of_this_site(client, target):
    response = client.post("/language", data={"locale": "de", "next": target})
    assert response.headers["Location"] == "/"


def test_every_page_has_the_switcher_with_the_current_language_pressed(client):
    page = client.get("/verify", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    form = re.search(r'<form[^>]*class="language-switch".*?</form>', page, re.S)
    assert form
    buttons = re.findall(r'<button[^>]*value="(\w+)"[^>]*aria-pressed="(\w+)"', form.group(0))
    assert buttons == [("en", "false"), ("de", "false"), ("fr", "true")]
    assert 'name="next" value="/verify"' in form.group(0)


def test_the_profile_saves_language_and_time_zone(client):
    user = trainee(locale="de", timezone="Europe/Brussels")
    login(client, user.email)
    profile = client.get("/account/").get_data(as_text=True)
    assert '<option selected value="Europe/Brussels">' in profile
    response = client.post("/account/regional", data={"locale": "", "timezone": "America/New_York"})
    assert response.status_code == 303
    saved = db.session.get(User, user.id)
    assert (saved.locale, saved.timezone) == (None, "America/New_York")
    page = client.get("/account/", headers={"Accept-Language": "fr"})
    assert _html_lang(page) == "fr"  # no preference: the browser's language again


@pytest.mark.parametrize(
    "data",
    [
        {"locale": "de", "timezone": "Mars/Olympus_Mons"},
        {"locale": "xx", "timezone": "Europe/Paris"},
        {"locale": "de"},
    ],
)
def test_a_bad_language_or_time_zone_changes_nothing(client, data):
    user = trainee(locale="fr", timezone="Europe/Brussels")
    login(client, user.email)
    client.post("/account/regional", data=data)
    saved = db.session.get(User, user.id)
    assert (saved.locale, saved.timezone) == ("fr", "Europe/Brussels")


def test_the_regional_settings_need_a_login(client):
    response = client.post("/account/regional", data={"locale": "de", "timezone": "UTC"})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_dates_follow_the_viewers_language_and_time_zone(app):
    moment = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)
    with app.test_request_context("/"):
        assert datetime_local(moment) == "14 Mar 2026, 10:30"  # Brussels, British English
        with force_locale("de"):
            assert datetime_local(moment) == "14.03.2026, 10:30"
        with force_locale("fr"):
            assert datetime_local(moment) == "14 mars 2026, 10:30"
        assert datetime_local(None) == "—"


def test_a_signed_in_viewer_sees_dates_in_their_own_time_zone(app, db_session):
    from flask import g

    user = trainee(timezone="Asia/Tokyo")
    moment = dt.datetime(2026, 3, 14, 23, 30, tzinfo=dt.UTC)
    with app.test_request_context("/"):
        g._login_user = user  # what Flask-Login's current_user reads for this request
        assert datetime_local(moment) == "15 Mar 2026, 08:30"


def test_the_verify_page_follows_the_viewers_language(client, issued):
    url = f"/verify/{issued.public_id}"
    german = client.get(url, headers={"Accept-Language": "de"}).get_data(as_text=True)
    french = client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "GÜLTIG" in german
    assert "Gültig bis" in german
    assert "VALIDE" in french
    assert "Contrôles effectués" in french


def test_the_catalogue_names_the_language_each_course_is_in(client, setup):
    setup.trainee.locale = "de"
    login(client, setup.trainee.email)
    page = client.get("/courses/").get_data(as_text=True)
    assert "Sprache: Englisch" in page
    assert '<h2 lang="en">' in page  # the course's own words are marked as English


@pytest.mark.parametrize(
    ("holder_locale", "language", "words"),
    [("fr", b"fr", "Certificat d’accréditation"), (None, b"en", "Accreditation certificate")],
)
def test_the_pdf_certificate_speaks_its_holders_language(
    app, tmp_path, holder_locale, language, words
):
    from types import SimpleNamespace

    from tests.certificates import test_pdf

    made = test_pdf.certificate(user=SimpleNamespace(name="Ada Lovelace", locale=holder_locale))
    # Downloaded by a German-speaking viewer: the certificate still speaks its holder's language.
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        body = render_certificate_pdf(
            made, issuer_name=test_pdf.ISSUER, verify_url=test_pdf.VERIFY_URL
        )
    assert b"/Lang (" + language + b")" in body
    if shutil.which("pdftotext"):
        assert words in test_pdf.text_of(body, tmp_path)


@pytest.mark.parametrize(
    ("declared", "accepted"), [("de", True), ("fr-CH", True), ("german", False)]
)
def test_a_course_must_declare_a_real_language(mini_courses, declared, accepted):
    from lms.courses.content import load_content

    course = mini_courses / "mini-course" / "course.yaml"
    course.write_text(course.read_text().replace("language: en", f"language: {declared}"))
    problems = [str(p) for p in load_content(mini_courses)[1]]
    refused = [p for p in problems if "is not a language code" in p]
    assert (not refused) is accepted, problems


def test_news_reaches_people_in_their_own_language_whoever_causes_it(app, certificate, mail_outbox):
    from lms.certificates import services
    from lms.notifications.models import Notification

    certificate.user.locale = "fr"
    # An English-speaking admin revokes a French speaker's certificate.
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        services.revoke(certificate, "Issued in error.", None)
        db.session.commit()
    note = db.session.scalars(
        sa.select(Notification).filter_by(user_id=certificate.user_id, kind="certificate_revoked")
    ).one()
    with force_locale("fr"):  # kept by message id, shown in the reader's language
        shown = note.title_shown()
    assert shown == f"Votre certificat {certificate.public_id} a été révoqué"
    assert mail_outbox[-1].subject == shown
    assert "Bonjour" in mail_outbox[-1].text


def test_scheduled_reminders_speak_the_holders_language(app, certificate, mail_outbox):
    from lms.certificates.jobs import expiry_reminders

    certificate.user.locale = "de"
    soon = certificate.expires_at - dt.timedelta(days=29)
    expiry_reminders(soon)  # a job: no request, no browser language
    db.session.commit()
    mail = mail_outbox[-1]
    assert mail.subject.startswith("Ihr Zertifikat für „")
    assert "Guten Tag" in mail.text


def test_a_password_reset_mail_speaks_the_accounts_language(client, mail_outbox):
    user = trainee(locale="fr")
    client.post("/auth/forgot", data={"email": user.email}, headers={"Accept-Language": "de-DE"})
    assert mail_outbox[-1].subject == "Réinitialiser votre mot de passe"


def test_account_mails_speak_the_accounts_language_whoever_acts(app, app_ctx, mail_outbox):
    from lms.accounts.services import change_email
    from lms.auth import two_factor
    from tests.factories import admin

    person = trainee(locale="de")
    # An English-speaking admin turns the German speaker's second factor off.
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        two_factor.disable(person, actor=admin())
        change_email(person, "neue-adresse@example.org")
        db.session.commit()
    subjects = [mail.subject for mail in mail_outbox]
    assert "Die Zwei-Faktor-Authentifizierung wurde ausgeschaltet" in subjects
    assert "Ihre E-Mail-Adresse wurde geändert" in subjects


def test_pages_name_their_language_and_tell_caches_what_it_depends_on(client):
    page = client.get("/auth/login", headers={"Accept-Language": "fr"})
    assert page.headers["Content-Language"] == "fr"
    assert {"Accept-Language", "Cookie"} <= set(page.vary)
    assert "Content-Language" not in client.get("/healthz").headers
