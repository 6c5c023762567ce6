"""Someone switches the interface to German, then to French, with the switcher in the page
header: the dashboard, a grading form and a verify page read entirely in that language."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_accessibility import _ids
from tests.i18n.catalogues import catalogue_paths, read_catalogue

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
#: Interface messages that are also names in the data: the issuer is called so on verify pages.
ALSO_NAMES = {"Cooperation Coach Accreditation"}


def english_interface_text(language: str) -> list[str]:
    """The English interface messages whose translation differs: none may show on a page."""
    found = []
    for message in read_catalogue(catalogue_paths()[language]):
        if not message.id or not isinstance(message.id, str) or not message.string:
            continue
        if message.string == message.id or message.id in ALSO_NAMES:
            continue
        if PLACEHOLDER.search(message.id):
            continue
        if len(message.id.split()) >= 2:  # single words hide in names and course content
            found.append(message.id)
    return found


def assert_translated(page, language: str) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("html").get_attribute("lang") == language
    # Course content is in English: leave out what the page marks as written in English.
    text = page.evaluate(
        """() => {
            const copy = document.body.cloneNode(true);
            copy.querySelectorAll('[lang="en"], .prose').forEach(e => e.remove());
            return copy.innerText;
        }"""
    )
    leftovers = [m for m in english_interface_text(language) if m in text]
    assert not leftovers, f"English left on {page.url} in {language}: {leftovers}"


@pytest.fixture
def restore_languages(live_app):  # type: ignore[no-untyped-def]
    """Other browser tests expect English: forget the languages chosen here afterwards."""
    yield
    from lms.accounts.models import User
    from lms.db import db

    with live_app.app_context():
        db.session.execute(sa.update(User).values(locale=None))
        db.session.commit()


def test_switching_to_german_and_french(page, live_app, restore_languages):
    ids = _ids(live_app)
    log_in(page, "trainer@demo.example", "demo-trainer-pass-2026")
    header = page.get_by_role("banner")

    header.get_by_role("button", name="Deutsch").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Willkommen")
    assert_translated(page, "de")
    screenshot(page, "language-de-dashboard")
    page.goto(f"/grading/submissions/{ids['submission']}")
    page.locator("fieldset.criterion input[type=radio][value='3']").first.check()
    assert page.get_by_role("heading", name="Ihre Bewertung").is_visible()
    assert_translated(page, "de")
    screenshot(page, "language-de-grading-form")

    header.get_by_role("button", name="Français").click()  # back on the same page, in French
    assert page.get_by_role("heading", name="Votre évaluation").is_visible()
    assert_translated(page, "fr")
    screenshot(page, "language-fr-grading-form")
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Bienvenue")
    assert_translated(page, "fr")
    screenshot(page, "language-fr-dashboard")
    header.get_by_role("button", name="Se déconnecter").click()

    # The choice outlives the session (the language cookie): an employer's view, in French.
    page.goto(f"/verify/{ids['revoked']}")
    assert "RÉVOQUÉ" in page.locator(".verdict-word").inner_text()
    assert_translated(page, "fr")
    screenshot(page, "language-fr-verify-revoked")
    header.get_by_role("button", name="Deutsch").click()
    assert "RÉVOQUÉ" not in page.locator(".verdict-word").inner_text()
    page.goto(f"/verify/{ids['valid']}")  # valid, unless another browser test revoked it
    verdict = page.locator(".verdict-word").inner_text().split()[-1]
    assert verdict in {"GÜLTIG", "WIDERRUFEN"}
    assert_translated(page, "de")
    screenshot(page, "language-de-verify")
