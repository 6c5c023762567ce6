"""Certificates issued on the shipped courses, and helpers to forge tokens for attack tests."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from lms.accounts.models import User
from lms.certificates import keys, services
from lms.certificates.models import Certificate
from lms.courses.cli import DEFAULT_PATH
from lms.courses.models import Course
from lms.db import db
from tests.conftest import base_test_config
from tests.factories import UserFactory, trainee

COACH = "accredited-cooperation-coach"
OPEN_INNOVATION = "open-innovation-for-smes"
ISSUER = "https://lms.example.test/issuer"


def import_courses() -> None:
    """Import the shipped courses (inside an app context) and commit (a savepoint release)."""
    from lms.courses.services import import_path

    import_path(DEFAULT_PATH)
    db.session.commit()


def course(slug: str = COACH) -> Course:
    found = db.session.scalar(sa.select(Course).filter_by(slug=slug))
    assert found is not None, f"course {slug} not imported"
    return found


def results_for(found: Course, level: int = 3) -> list[dict[str, Any]]:
    assert found.current_version is not None
    return [
        {"code": activity["code"], "level": level}
        for activity in found.current_version.snapshot["key_activities"]
    ]


def issue(
    user: User | None = None, slug: str = COACH, level: int = 3, **options: Any
) -> Certificate:
    found = course(slug)
    assert found.current_version is not None
    return services.issue_certificate(
        user or trainee(), found, found.current_version, results_for(found, level), **options
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def unb64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return unb64json(header), unb64json(payload), signature


def sign_as_issuer(claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    """Sign arbitrary claims with our real current key: a token only the claims make bad."""
    import jwt

    key = keys.ensure_signing_key()
    return jwt.encode(
        claims,
        keys.load_private_key(key),
        algorithm="EdDSA",
        headers={"kid": keys.kid_url(key.kid), "typ": "JWT", **(headers or {})},
    )


def payload_of(certificate: Certificate) -> dict[str, Any]:
    assert certificate.credential is not None
    return parts(certificate.credential)[1]


@pytest.fixture
def imported(app_ctx: Flask) -> Flask:
    """Service tests: the shipped courses, inside the test's application context."""
    import_courses()
    return app_ctx


@pytest.fixture
def certificate(imported: Flask) -> Certificate:
    return issue()


@dataclass
class Issued:
    """What a request-level test needs to know about a committed certificate."""

    public_id: str
    credential: str
    kid: str
    user_id: int
    course_id: int
    holder_name: str


@pytest.fixture
def issued(app: Flask, db_session: Any) -> Issued:
    """Route tests: a certificate committed (into the rolled-back test transaction), no app
    context kept, so each request gets its own as in production."""
    with app.app_context():
        import_courses()
        made = issue()
        db.session.commit()
        assert made.credential
        assert made.key_id
        return Issued(
            made.public_id,
            made.credential,
            made.key_id,
            made.user_id,
            made.course_id,
            made.user.name,
        )


def isolated_app(directory: Path) -> Flask:
    """An app with its own SQLite database: the shipped courses and one certificate, committed.

    For tests that only read (attacks, a live server): they share one setup per module instead
    of importing the courses again for every test.
    """
    from lms import create_app

    application = create_app(base_test_config(directory, f"sqlite:///{directory / 'own.sqlite3'}"))
    with application.app_context():
        db.create_all()
        import_courses()
        issue(UserFactory(name="Mary Jackson"))
        db.session.commit()
    return application


def only_certificate() -> Certificate:
    """The certificate of an isolated app (inside its app context)."""
    return db.session.scalars(sa.select(Certificate)).one()
