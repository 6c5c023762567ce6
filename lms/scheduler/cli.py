"""`lms scheduler`: run the scheduled jobs in the foreground, list them, or run one now."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.db import utcnow
from lms.scheduler import registry


@click.command("scheduler")
@click.option("--list", "show_list", is_flag=True, help="Show the jobs and their next run times.")
@click.option("--run", "run_name", metavar="JOB", help="Run one job now and exit.")
@with_appcontext
def scheduler(show_list: bool, run_name: str | None) -> None:
    """Run the scheduled jobs in the foreground (one such process is enough)."""
    jobs = registry.jobs()
    if show_list:
        for job, next_run in registry.next_runs(utcnow()):
            when = next_run.strftime("%Y-%m-%d %H:%M UTC") if next_run else "-"
            click.echo(f"{job.name:<22} {when:<22} {job.description}")
        return
    if run_name is not None:
        if run_name not in jobs:
            raise click.ClickException(
                f"No job named {run_name!r}. Known jobs: {', '.join(sorted(jobs))}."
            )
        try:
            summary = registry.run_job(run_name)
        except Exception as error:  # the message says what failed; details are in the log
            raise click.ClickException(f"Job {run_name} failed: {error}") from None
        if summary is None:
            click.echo(f"{run_name}: running in another process; skipped.")
        else:
            click.echo(f"{run_name}: {summary}")
        return
    from apscheduler.schedulers.blocking import BlockingScheduler

    blocking = BlockingScheduler(timezone="UTC")
    registry.add_all(blocking, current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Scheduler running {len(jobs)} jobs; press Ctrl+C to stop.")
    try:
        blocking.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")
