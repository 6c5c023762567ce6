"""Every scheduled job, by name, with when it runs."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from lms.db import db, refresh_planner_statistics, utcnow
from lms.scheduler import locking

log = logging.getLogger(__name__)

JobFunction = Callable[[dt.datetime], str]


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    #: The APScheduler trigger (UTC).
    trigger: Any
    function: JobFunction


def jobs() -> dict[str, Job]:
    """The registry, built on demand so that importing this module imports no feature."""
    from lms.certificates import jobs as certificates
    from lms.cohorts import jobs as cohorts
    from lms.grading import jobs as grading
    from lms.notifications import jobs as notifications
    from lms.privacy import jobs as privacy

    rows = [
        Job(
            "expire-certificates",
            "Mark certificates whose validity ended as expired",
            CronTrigger(minute=5, timezone="UTC"),
            certificates.expire_certificates,
        ),
        Job(
            "expiry-reminders",
            "Remind holders 90, 30 and 7 days before their certificate expires",
            CronTrigger(hour=6, minute=15, timezone="UTC"),
            certificates.expiry_reminders,
        ),
        Job(
            "grading-backlog",
            "Tell trainers (and admins) about submissions waiting too long",
            CronTrigger(hour=6, minute=30, timezone="UTC"),
            grading.grading_backlog,
        ),
        Job(
            "deadline-reminders",
            "Remind trainees 7 days and 1 day before a deadline",
            CronTrigger(minute=20, timezone="UTC"),
            cohorts.deadline_reminders,
        ),
        Job(
            "weekly-digest",
            "Send admins the weekly digest",
            CronTrigger(day_of_week="mon", hour=7, minute=0, timezone="UTC"),
            notifications.weekly_digest,
        ),
        Job(
            "retry-mail",
            "Send again the e-mails the mail server refused",
            IntervalTrigger(minutes=1, timezone="UTC"),
            notifications.retry_outbox,
        ),
        Job(
            "privacy-retention",
            "Delete old attachments and drafts, expired links and sent goodbye e-mails",
            CronTrigger(minute=40, timezone="UTC"),
            privacy.retention,
        ),
        Job(
            "planner-statistics",
            "Refresh the database's table statistics, by which it chooses its indexes",
            CronTrigger(hour=3, minute=50, timezone="UTC"),
            refresh_planner_statistics,
        ),
    ]
    return {job.name: job for job in rows}


def run_job(name: str, now: dt.datetime | None = None) -> str | None:
    """Run one job now in its own transaction under its lock and commit; None if another
    process holds the lock. Needs an application context."""
    job = jobs()[name]
    moment = now or utcnow()
    try:
        if not locking.acquire(name, moment):
            db.session.rollback()
            log.info("Job %s is running elsewhere; skipped", name)
            return None
        summary = job.function(moment)
        locking.release(name, utcnow(), summary)
        db.session.commit()
    except Exception:
        db.session.rollback()  # nothing of a failed run stays, and the lock is free again
        raise
    log.info("Job %s: %s", name, summary)
    return summary


def run_in_app(app: Flask, name: str) -> None:
    """The APScheduler entry point: run a job in a fresh application context, never raise."""
    with app.app_context():
        try:
            run_job(name)
        except Exception:  # any failure: log it, the scheduler must keep running
            log.exception("Job %s failed", name)
        finally:
            db.session.remove()


def add_all(scheduler: Any, app: Flask) -> None:
    """Add every job to an APScheduler scheduler (one instance each, late runs merged)."""
    for job in jobs().values():
        scheduler.add_job(
            run_in_app,
            trigger=job.trigger,
            args=(app, job.name),
            id=job.name,
            name=job.description,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
            replace_existing=True,
        )


def next_runs(now: dt.datetime) -> list[tuple[Job, dt.datetime | None]]:
    """Each job with the next time its trigger fires after `now`."""
    return [(job, job.trigger.get_next_fire_time(None, now)) for job in jobs().values()]


def start_background(app: Flask) -> Any:
    """Run the jobs inside this process (the development server with LMS_RUN_SCHEDULER)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    add_all(scheduler, app)
    scheduler.start()
    log.info("In-process scheduler started with %d jobs", len(scheduler.get_jobs()))
    return scheduler
