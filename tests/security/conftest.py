"""Shares the grading set-up: a course, a cohort, its trainers and trainees."""

from tests.grading.conftest import setup  # noqa: F401  (a fixture)
