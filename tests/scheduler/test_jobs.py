"""Scheduled jobs under a controlled clock: each message at its threshold, exactly once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate, CertificateStatus
from lms.cohorts.models import LatePolicy
from lms.db import db
from lms.notifications import services as notifications
from lms.notifications.models import SentNotification
from lms.scheduler.registry import run_job
from tests.certificates.conftest import issue
from tests.factories import admin
from tests.grading.conftest import set_deadline, submitted

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def run_at(moment: dt.datetime, name: str) -> str | None:
    with time_machine.travel(moment, tick=False):
        return run_job(name)


def subjects(outbox: list, to: str) -> list[str]:  # type: ignore[type-arg]
    return [mail.subject for mail in outbox if mail.to == to]


def test_expiry_reminders_go_out_at_90_30_and_7_days_once_each(app_ctx, mail_outbox):
    with time_machine.travel(T0, tick=False):
        certificate = issue()
        db.session.commit()
    holder, expires = certificate.user.email, certificate.expires_at
    second = dt.timedelta(seconds=1)
    run_at(expires - dt.timedelta(days=90) - second, "expiry-reminders")
    assert subjects(mail_outbox, holder) == []
    for days in (90, 30, 7):
        moment = expires - dt.timedelta(days=days)
        run_at(moment, "expiry-reminders")
        run_at(moment + dt.timedelta(hours=1), "expiry-reminders")  # a rerun sends nothing
        run_at(moment + dt.timedelta(hours=2), "expiry-reminders")
    sent = subjects(mail_outbox, holder)
    assert len(sent) == 3
    assert ["90 days" in sent[0], "30 days" in sent[1], "7 days" in sent[2]] == [True] * 3
    assert "https://lms.example.test/courses/" in mail_outbox[-1].text
    run_at(expires - dt.timedelta(days=1), "expiry-reminders")
    assert len(subjects(mail_outbox, holder)) == 3


def test_a_certificate_first_seen_late_gets_only_the_nearest_reminder(app_ctx, mail_outbox):
    with time_machine.travel(T0, tick=False):
        certificate = issue()
        db.session.commit()
    run_at(certificate.expires_at - dt.timedelta(days=20), "expiry-reminders")
    sent = subjects(mail_outbox, certificate.user.email)
    assert len(sent) == 1
    assert "30 days" in sent[0]


def test_expired_certificates_change_state_once_with_an_audit_entry(app_ctx):
    with time_machine.travel(T0, tick=False):
        certificate = issue()
        db.session.commit()
    assert run_at(certificate.expires_at - dt.timedelta(seconds=1), "expire-certificates") == (
        "0 expired"
    )
    assert run_at(certificate.expires_at, "expire-certificates") == "1 expired"
    assert run_at(certificate.expires_at + dt.timedelta(days=1), "expire-certificates") == (
        "0 expired"
    )
    assert db.session.get(Certificate, certificate.id).status == CertificateStatus.EXPIRED
    entries = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "certificate.expired",
            AuditEvent.subject_id == certificate.public_id,
        )
    ).all()
    assert len(entries) == 1


def test_deadline_reminders_reach_only_trainees_who_have_not_submitted(app, setup, mail_outbox):
    with app.app_context():
        due = T0 + dt.timedelta(days=14)
        with time_machine.travel(T0, tick=False):
            set_deadline(setup, due, LatePolicy.REFUSE)
            db.session.commit()
        with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
            submitted(app, setup, user=setup.other_trainee)
        mail_outbox.clear()  # the receipt of that submission
        run_at(due - dt.timedelta(days=7, seconds=1), "deadline-reminders")
        assert mail_outbox == []
        for days in (7, 1):
            run_at(due - dt.timedelta(days=days), "deadline-reminders")
            run_at(due - dt.timedelta(days=days) + dt.timedelta(minutes=30), "deadline-reminders")
        run_at(due + dt.timedelta(minutes=1), "deadline-reminders")
    assert [mail.to for mail in mail_outbox] == [setup.trainee.email] * 2
    assert "7 days" in mail_outbox[0].subject
    assert "1 day" in mail_outbox[1].subject
    assert "/case-study" in mail_outbox[1].text


def test_backlog_tells_trainers_after_n_days_and_admins_after_twice_as_long(
    app, setup, mail_outbox
):
    days = app.config["BACKLOG_DAYS"]
    with app.app_context():
        with time_machine.travel(T0, tick=False):
            submitted(app, setup)
        mail_outbox.clear()  # the receipt of that submission
        run_at(T0 + dt.timedelta(days=days) - dt.timedelta(minutes=1), "grading-backlog")
        assert mail_outbox == []
        run_at(T0 + dt.timedelta(days=days), "grading-backlog")
        trainers = {setup.trainer.email, setup.second_trainer.email, setup.lead.email}
        assert {mail.to for mail in mail_outbox} == trainers
        run_at(T0 + dt.timedelta(days=days + 1), "grading-backlog")
        assert len(mail_outbox) == 3
        run_at(T0 + dt.timedelta(days=2 * days), "grading-backlog")
        run_at(T0 + dt.timedelta(days=2 * days + 1), "grading-backlog")
    assert len(mail_outbox) == 4
    assert mail_outbox[-1].to == setup.admin.email
    assert setup.outsider_trainer.email not in {mail.to for mail in mail_outbox}


def test_weekly_digest_goes_to_admins_once_a_week(app_ctx, mail_outbox):
    boss = admin(name="Bea Boss")
    quiet = admin(name="Quentin Quiet")
    notifications.set_preferences(quiet, reminders=True, digests=False)
    db.session.commit()
    monday = dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC)
    run_at(monday, "weekly-digest")
    run_at(monday + dt.timedelta(hours=3), "weekly-digest")
    run_at(monday + dt.timedelta(days=7), "weekly-digest")
    sent = subjects(mail_outbox, boss.email)
    assert sent == ["Weekly digest, 2026-W11", "Weekly digest, 2026-W12"]
    assert "Certificates issued" in mail_outbox[0].text
    assert subjects(mail_outbox, quiet.email) == []


def test_reminders_can_be_turned_off(app_ctx, mail_outbox):
    with time_machine.travel(T0, tick=False):
        certificate = issue()
        notifications.set_preferences(certificate.user, reminders=False, digests=True)
        db.session.commit()
    run_at(certificate.expires_at - dt.timedelta(days=7), "expiry-reminders")
    assert mail_outbox == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SentNotification)) == 0


def test_the_statistics_job_gives_the_planner_row_counts_of_our_tables(app_ctx):
    summary = run_job("planner-statistics")
    assert summary is not None
    assert summary.startswith(f"statistics of {len(db.metadata.sorted_tables)} tables")
    if db.engine.dialect.name == "sqlite":
        # SQLite records tables that hold rows: the imported courses do.
        analysed = db.session.scalars(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1")).all()
        assert {"courses", "modules", "lessons", "job_profiles"} <= set(analysed)
    else:  # reltuples is -1 for a table never analysed (PostgreSQL 14+)
        counts = db.session.execute(
            sa.text(
                "SELECT c.relname, c.reltuples FROM pg_class c "
                "WHERE c.oid IN (to_regclass('submissions'), to_regclass('certificates'))"
            )
        ).all()
        assert len(counts) == 2
        assert all(reltuples >= 0 for _name, reltuples in counts)


def test_a_deadline_reminder_gives_the_date_in_the_readers_time_zone_and_language(
    app, setup, mail_outbox
):
    with app.app_context():
        due = dt.datetime(2026, 5, 20, 15, 0, tzinfo=dt.UTC)
        with time_machine.travel(due - dt.timedelta(days=20), tick=False):
            set_deadline(setup, due, LatePolicy.REFUSE)
            reader = db.session.merge(setup.trainee)
            reader.locale, reader.timezone = "fr", "America/New_York"
            db.session.commit()
        mail_outbox.clear()
        run_at(due - dt.timedelta(days=7), "deadline-reminders")
    (mail,) = [mail for mail in mail_outbox if mail.to == setup.trainee.email]
    # 15:00 UTC is 11:00 in New York in May (EDT), written the French way.
    assert "À rendre le 20 mai 2026, 11:00 (heure America/New_York)." in mail.text
