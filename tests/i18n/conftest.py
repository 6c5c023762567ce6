"""Shares the certificate, course and grading set-ups with the language tests."""

from tests.certificates.conftest import certificate, imported, issued  # noqa: F401  (fixtures)
from tests.courses.conftest import mini_courses  # noqa: F401  (a fixture)
from tests.grading.conftest import setup  # noqa: F401  (a fixture)
