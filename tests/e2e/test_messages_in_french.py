"""A French reader sees the verify page's checks and their notifications in French, even for
news written while their language was English."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_accessibility import _ids
from tests.i18n.catalogues import catalogue_paths, read_catalogue


def _french_has_the_verify_details() -> bool:
    entry = read_catalogue(catalogue_paths()["fr"]).get("signed with the issuer's key %(kid)s")
    return bool(entry and entry.string)


pytestmark = pytest.mark.skipif(
    not _french_has_the_verify_details(),
    reason="the verify details' French translations are not in the catalogue yet",
)


@pytest.fixture
def english_afterwards(live_app):  # type: ignore[no-untyped-def]
    yield
    from lms.accounts.models import User
    from lms.db import db

    with live_app.app_context():
        db.session.execute(sa.update(User).values(locale=None))
        db.session.commit()


def _news_for(live_app, email: str) -> None:  # type: ignore[no-untyped-def]
    from lms.accounts.models import User
    from lms.db import db
    from lms.messages import Message
    from lms.notifications.services import notify

    with live_app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == email)).one()
        user.locale = "en"  # written while the reader's language was English
        notify(
            user.id,
            "grade_released",
            Message.of("notification.grade_released", title="Préparer le projet"),
            body=Message.of("notification.grade_released.body", score=Decimal("62.5")),
            email=False,
        )
        notify(
            user.id,
            "certificate_expiring",
            Message.of("notification.certificate_expiring", course="Cooperation Coach", days=1),
            email=False,
        )
        db.session.commit()


def test_a_french_reader_sees_checks_and_notifications_in_french(
    page, live_app, english_afterwards
):
    ids = _ids(live_app)
    _news_for(live_app, "trainee@demo.example")
    log_in(page, "trainee@demo.example", "demo-trainee-pass-2026")
    page.get_by_role("banner").get_by_role("button", name="Français").click()
    page.goto("/notifications/")
    notices = page.locator(".notification-list").inner_text()
    assert "a été évaluée" in notices
    assert "62,5" in notices
    assert "expire dans 1 jour" in notices
    screenshot(page, "i18n-fr-notifications")
    page.get_by_role("banner").get_by_role("button", name="Se déconnecter").click()

    page.goto(f"/verify/{ids['valid']}")
    checks = page.locator(".checks").inner_text()
    assert "signée avec la clé" in checks
    screenshot(page, "i18n-fr-verify")
    page.goto(f"/verify/{ids['revoked']}")
    assert "RÉVOQUÉ le" in page.locator(".checks").inner_text()
    screenshot(page, "i18n-fr-verify-revoked")
