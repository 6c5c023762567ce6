"""Changing one's e-mail address in the browser: the request on My account, the link from
the mail sent to the new address (opened in another browser, as on a phone), the button."""

import re

import sqlalchemy as sa

from lms.accounts.models import Role
from lms.accounts.services import create_user
from lms.db import db
from lms.notifications.models import OutboxMessage
from tests.e2e.conftest import LIVE_APPS, log_in, screenshot

EMAIL, PASSWORD = "noor@demo.example", "a long enough demo passphrase"
NEW_EMAIL = "noor.haddad@agency.example"


def _newest_mail_to(address: str) -> OutboxMessage:
    with LIVE_APPS[0].app_context():
        return db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
        ).first()


def test_the_new_address_is_confirmed_from_the_link_sent_to_it(page, browser, live_server):
    with LIVE_APPS[0].app_context():
        create_user(EMAIL, "Noor Haddad", [Role.TRAINEE], password=PASSWORD)
        db.session.commit()
    log_in(page, EMAIL, PASSWORD)
    page.goto("/account/")
    page.get_by_role("link", name="change", exact=True).click()
    page.get_by_label("New e-mail address").fill(NEW_EMAIL)
    page.get_by_label("Your password").fill(PASSWORD)
    screenshot(page, "account-change-email")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()
    assert f"We sent a link to {NEW_EMAIL}" in page.inner_text("body")

    mail = _newest_mail_to(NEW_EMAIL)
    assert mail is not None
    link = re.search(r"http://\S+/account/email/confirm/\S+", mail.text).group(0)

    phone = browser.new_context(viewport={"width": 390, "height": 780})
    try:
        tab = phone.new_page()
        tab.goto(link)
        assert tab.get_by_role("heading", name="Confirm your new e-mail address").is_visible()
        assert NEW_EMAIL in tab.inner_text("body")
        screenshot(tab, "account-confirm-email-phone")
        tab.get_by_role("button", name="Use this address").click()
        tab.wait_for_load_state()
        assert f"Your e-mail address is now {NEW_EMAIL}" in tab.inner_text("body")
        tab.goto(link)
        assert tab.get_by_role("heading", name="This link does not work").is_visible()
    finally:
        phone.close()

    old = _newest_mail_to(EMAIL)
    assert NEW_EMAIL in old.text  # the notice to the old address
    page.goto("/account/")
    assert NEW_EMAIL in page.inner_text("body")
