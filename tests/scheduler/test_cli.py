"""`lms scheduler --list` and `--run JOB`."""

from __future__ import annotations

from lms.scheduler.registry import jobs


def test_list_shows_every_job_with_its_next_run(runner, db_session):
    result = runner.invoke(args=["scheduler", "--list"])
    assert result.exit_code == 0, result.output
    for name in jobs():
        assert name in result.output
    assert "UTC" in result.output


def test_run_runs_one_job_now(runner, db_session):
    result = runner.invoke(args=["scheduler", "--run", "expire-certificates"])
    assert result.exit_code == 0, result.output
    assert "expire-certificates: 0 expired" in result.output


def test_an_unknown_job_is_refused_with_the_known_names(runner, db_session):
    result = runner.invoke(args=["scheduler", "--run", "nope"])
    assert result.exit_code != 0
    assert "retry-mail" in result.output
    assert "Traceback" not in result.output


def test_the_in_process_scheduler_runs_every_job(app):
    from lms.scheduler.registry import start_background

    scheduler = start_background(app)
    try:
        assert {job.id for job in scheduler.get_jobs()} == set(jobs())
        assert all(job.next_run_time is not None for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=False)


def test_tests_never_start_the_in_process_scheduler(app):
    assert app.config["TESTING"]
    assert "lms_scheduler" not in app.extensions
