import json
import subprocess
import sys

import pytest

from lms import create_app
from lms.config import ConfigError


def test_production_refuses_to_start_without_secrets_and_names_them(tmp_path):
    with pytest.raises(ConfigError) as error:
        create_app(
            {
                "ENV": "production",
                "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            }
        )
    message = str(error.value)
    for name in ["LMS_SECRET_KEY", "LMS_SIGNING_KEY_PASSPHRASE", "LMS_BASE_URL"]:
        assert name in message
    assert not (tmp_path / "dev-secrets.json").exists()


def test_production_starts_with_its_secrets(tmp_path):
    app = create_app(
        {
            "ENV": "production",
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "SECRET_KEY": "s" * 40,
            "SIGNING_KEY_PASSPHRASE": "p" * 40,
            "BASE_URL": "https://coach.example",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_generates_secrets_once_with_a_warning(tmp_path, caplog):
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    first = create_app(dict(config))
    assert "Generated development secrets" in caplog.text
    caplog.clear()
    second = create_app(dict(config))
    assert "Generated development secrets" not in caplog.text
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SIGNING_KEY_PASSPHRASE"] == second.config["SIGNING_KEY_PASSPHRASE"]
    stored = tmp_path / "dev-secrets.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(stored.read_text())) == {"SECRET_KEY", "SIGNING_KEY_PASSPHRASE"}


def test_environment_variables_configure_the_app(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_ENV": "production",
        "LMS_SECRET_KEY": "k" * 40,
        "LMS_SIGNING_KEY_PASSPHRASE": "p" * 40,
        "LMS_BASE_URL": "https://coach.example/",
        "LMS_DATABASE_URL": "postgresql://u@h/db",
        "LMS_DOTENV": str(tmp_path / "none.env"),
    }
    code = (
        "from lms import create_app; a = create_app(); "
        "print(a.config['BASE_URL'], a.config['SQLALCHEMY_DATABASE_URI'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["https://coach.example", "postgresql+psycopg://u@h/db"]


def test_dotenv_file_is_honoured(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("LMS_BASE_URL=https://from-dotenv.example\n")
    env = {"PATH": "/usr/bin:/bin", "LMS_INSTANCE_PATH": str(tmp_path), "LMS_DOTENV": str(dotenv)}
    code = "from lms import create_app; print(create_app().config['BASE_URL'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "https://from-dotenv.example"


def test_lms_command_says_what_is_missing_without_a_traceback(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_ENV": "production",
        "LMS_DOTENV": str(tmp_path / "none.env"),
    }
    lms = str(__import__("pathlib").Path(sys.executable).parent / "lms")
    out = subprocess.run([lms, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "LMS_SECRET_KEY" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_processes_starting_together_share_one_set_of_development_secrets(tmp_path):
    # Gunicorn workers starting at once must not each write secrets of their own.
    script = (
        "import json, sys; from pathlib import Path; from lms.config import _development_secrets;"
        "print(json.dumps(_development_secrets(Path(sys.argv[1]), ['SECRET_KEY'])))"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "instance")],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(6)
    ]
    seen = {json.loads(process.communicate(timeout=60)[0])["SECRET_KEY"] for process in starts}
    stored = json.loads((tmp_path / "instance" / "dev-secrets.json").read_text())
    assert seen == {stored["SECRET_KEY"]}
