"""A person downloads their data and asks for erasure; an admin approves; the account is gone."""

import io
import json
import zipfile

import pytest

from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.db import db
from tests.e2e.conftest import log_in, screenshot

ADMIN = ("admin@demo.example", "demo-admin-pass-2026")
PERSON = ("erase.me@demo.example", "Erin Erasable", "a long enough passphrase 2026")


@pytest.fixture(scope="module")
def person(live_app):  # type: ignore[no-untyped-def]
    """Someone of our own to erase (the demo people are shared with the other browser tests)."""
    email, name, password = PERSON
    with live_app.app_context():
        db.create_all()  # tables not yet in the migrations (created only where missing)
        if accounts.find_user_by_email(email) is None:
            accounts.create_user(email, name, [Role.TRAINEE], password=password)
            db.session.commit()
    return PERSON


def test_export_and_erasure_in_the_browser(page, person):
    email, name, password = person
    page.goto("/privacy/")
    assert page.get_by_role("heading", name="Privacy: what we store about you").is_visible()
    screenshot(page, "privacy-policy")

    log_in(page, email, password)
    page.goto("/account/")
    page.get_by_role("link", name="My data: download or erase").click()
    assert page.get_by_role("heading", name="My data", exact=True).is_visible()
    screenshot(page, "privacy-my-data")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert json.loads(archive.read("users.json"))[0]["email"] == email
    assert "manifest.json" in archive.namelist()

    assert page.get_by_text("You hold no certificates").is_visible()  # nothing to choose
    page.get_by_role("button", name="Ask for my account to be erased").click()
    assert page.get_by_role("alert").is_visible()  # not confirmed: a clear message
    screenshot(page, "privacy-erasure-errors")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Ask for my account to be erased").click()
    assert page.get_by_text("Your request is sent.").is_visible()
    assert page.get_by_role("button", name="Withdraw my request").is_visible()
    assert page.get_by_text("Earlier requests").count() == 0
    screenshot(page, "privacy-erasure-requested")
    page.get_by_role("button", name="Log out").click()

    log_in(page, *ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Erasures").click()
    screenshot(page, "privacy-admin-list")
    page.get_by_role("link", name=name).click()
    assert page.get_by_role("heading", name="Open matters").is_visible()
    screenshot(page, "privacy-admin-detail")
    page.get_by_label("I have checked the open matters").check()
    page.get_by_role("button", name="Erase this account now").click()
    assert page.get_by_text("The account is erased").is_visible()
    assert page.get_by_text(name).count() == 0
    screenshot(page, "privacy-admin-erased")
    page.get_by_role("button", name="Log out").click()

    log_in(page, email, password)
    assert page.get_by_text("The e-mail address or the password is not correct.").is_visible()
