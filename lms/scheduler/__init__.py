"""Scheduled jobs: the registry, the database lock each job takes, and APScheduler wiring.

Jobs live in their features (`lms/<feature>/jobs.py`); each is a function `job(now) -> str`
that flushes and returns a one-line summary. `run_job()` wraps it in one transaction holding
the job's lock, and commits.
"""
