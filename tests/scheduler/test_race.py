"""Two schedulers running the same job at the same moment send each message once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
import time_machine

from lms.db import db
from lms.notifications.models import SentNotification
from lms.scheduler import locking
from lms.scheduler.registry import run_job
from tests.certificates.conftest import issue

pytestmark = pytest.mark.postgres
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _race(app, name: str, moment: dt.datetime, parties: int = 4) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(parties)
    results: list[object] = []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(run_job(name, moment))
            except Exception as error:  # reported by the assertion below
                results.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("with_lock", [True, False])
def test_concurrent_schedulers_send_an_expiry_reminder_once(
    committed, mail_outbox, monkeypatch, with_lock
):
    app = committed
    with app.app_context(), time_machine.travel(T0, tick=False):
        certificate = issue()
        db.session.commit()
        holder, expires = certificate.user.email, certificate.expires_at
        db.session.remove()
    if not with_lock:  # the ledger's unique key alone must still hold
        monkeypatch.setattr(locking, "acquire", lambda name, now: True)
    results = _race(app, "expiry-reminders", expires - dt.timedelta(days=30))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [mail.to for mail in mail_outbox] == [holder]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SentNotification)) == 1
        db.session.remove()
