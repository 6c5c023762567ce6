"""The grading set-up (a course, a cohort, trainers, trainees, an admin) for job tests."""

from tests.grading.conftest import setup  # noqa: F401 (a fixture, used by name)
