import pytest
import sqlalchemy as sa

from lms.accounts.models import Role, User
from lms.db import db


def test_users_create_reads_the_password_from_stdin(runner, db_session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "New@Example.org",
            "--name",
            "New Person",
            "--role",
            "trainer",
            "--role",
            "admin",
        ],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).filter_by(email="new@example.org"))
    assert user.roles == {Role.TRAINER, Role.ADMIN}


def test_users_create_refuses_a_weak_password_and_a_duplicate(runner, db_session):
    weak = runner.invoke(
        args=["users", "create", "--email", "a@example.org", "--name", "A", "--role", "trainee"],
        input="short\n",
    )
    assert weak.exit_code != 0
    assert "at least 12" in weak.output
    assert db.session.scalar(sa.select(User).filter_by(email="a@example.org")) is None
    runner.invoke(
        args=["users", "create", "--email", "b@example.org", "--name", "B", "--role", "trainee"],
        input="a long enough passphrase\n",
    )
    duplicate = runner.invoke(
        args=["users", "create", "--email", "B@example.org", "--name", "B", "--role", "trainee"],
        input="a long enough passphrase\n",
    )
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output


def test_demo_is_idempotent_and_prints_logins(runner, db_session):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count
    for email in ["admin@demo.example", "trainer@demo.example", "trainee@demo.example"]:
        assert email in second.output


@pytest.mark.database_independent
def test_demo_with_migrate_prepares_an_empty_database_in_one_command(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    env = {
        "PATH": "/usr/bin:/bin",
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_DOTENV": str(tmp_path / "none.env"),
        "LMS_RUN_SCHEDULER": "0",
    }
    lms = str(Path(sys.executable).parent / "lms")
    out = subprocess.run([lms, "demo", "--migrate"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Demo data ready" in out.stdout
    current = subprocess.run([lms, "db", "current"], env=env, capture_output=True, text=True)
    assert "(head)" in current.stdout + current.stderr
