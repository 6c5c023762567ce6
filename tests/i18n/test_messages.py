"""Stored reasons, notifications and verification details are written in the reader's
language when read, whoever caused them and in whatever language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from lms.db import db
from lms.grading.models import Grade
from lms.grading.rules import CriterionRule, evaluate
from lms.messages import CATALOGUE, Message, Plural
from lms.notifications import services as notifications
from lms.notifications.models import Notification
from tests.conftest import login
from tests.factories import trainee

CRITERIA = [CriterionRule("a", "Shared vision", "KA1", "III", 2)]


def test_every_message_id_is_extracted_text():
    assert all(isinstance(entry, Plural) or hasattr(entry, "_args") for entry in CATALOGUE.values())
    with pytest.raises(KeyError):
        Message.of("no.such.message")


@pytest.mark.parametrize(("language", "score"), [("en", "25.0"), ("de", "25,0"), ("fr", "25,0")])
def test_a_failed_attempts_reason_follows_the_readers_number_format(app_ctx, language, score):
    outcome = evaluate(CRITERIA, {"a": 1}, pass_mark=70, min_level_by_priority={})
    assert outcome.reasons == ["The score 25.0 is below the pass mark of 70."]  # stored English
    stored = Message.from_json(outcome.messages[0].to_json())
    with force_locale(language):
        assert score in stored.text()


def test_a_grade_written_before_reasons_had_ids_shows_its_text(app_ctx):
    old = Grade(reasons=["The score 40.0 is below the pass mark of 70."], reason_messages=None)
    with force_locale("fr"):
        assert old.reasons_shown() == ["The score 40.0 is below the pass mark of 70."]


def _notification_page(client, user, language):
    user.locale = language
    db.session.commit()
    login(client, user.email)
    return client.get("/notifications/").get_data(as_text=True)


def test_a_notification_is_shown_in_the_language_its_reader_has_now(client):
    person = trainee(locale="en")
    notifications.notify(
        person.id,
        "grade_released",
        Message.of("notification.grade_passed", title="Étude A"),
        body=Message.of("notification.grade_released.body", score=Decimal("81.3")),
        email=False,
    )
    row = db.session.query(Notification).filter_by(user_id=person.id).one()
    assert row.title == "Your case study “Étude A” passed"  # the English kept for old readers
    german = _notification_page(client, person, "de")
    assert "Ihre Fallstudie „Étude A“" in german
    assert "81,3" in german
    client.post("/language", data={"locale": "fr", "next": "/"})  # the reader switches
    french = client.get("/notifications/").get_data(as_text=True)
    assert "Votre étude de cas" in french
    assert "81,3" in french


def test_a_notification_stored_as_text_still_shows(client):
    person = trainee()
    db.session.add(Notification(user_id=person.id, kind="old", title="Old news", body="As is"))
    html = _notification_page(client, person, "fr")
    assert "Old news" in html
    assert "As is" in html


@pytest.mark.parametrize(("language", "word"), [("de", "Aussteller"), ("fr", "Émetteur")])
def test_the_verify_pages_checks_speak_the_readers_language(client, issued, language, word):
    client.set_cookie("lms_locale", language)
    html = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert word in html
    assert 'lang="en"' not in html.split("<main", 1)[-1]


def test_the_verify_api_keeps_its_codes_and_adds_the_readers_words(client, issued):
    body = client.post(
        "/api/v1/verify",
        json={"credential": issued.credential},
        headers={"Accept-Language": "fr"},
    ).get_json()
    assert body["language"] == "fr"
    signature = next(c for c in body["checks"] if c["check"] == "signature")
    assert signature["detail"].startswith("signed with the issuer's key")
    assert signature["message_id"] == "verify.signature.ok"
    assert signature["message"]


def test_french_labels_take_a_no_break_space_before_their_colon(app_ctx):
    from lms.i18n import colon

    with force_locale("fr"):
        assert colon("Titulaire") == "Titulaire\u00a0:"
    with force_locale("de"):
        assert colon("Inhaber") == "Inhaber:"
