import fcntl
import json
import subprocess
import sys

import pytest

from lms import config as lms_config
from lms import create_app
from lms.config import ConfigError

#: Apps of their own on their own SQLite files: once is enough, whatever the suite's database.
pytestmark = pytest.mark.database_independent


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


#: Loads lms/config.py alone (not the whole app), so that the processes start quickly.
_START_UP = """
import importlib.util, json, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("config", sys.argv[1])
config = importlib.util.module_from_spec(spec)
spec.loader.exec_module(config)
print(json.dumps(config._development_secrets(Path(sys.argv[2]), ["SECRET_KEY"])))
"""


def test_development_secrets_wait_for_another_process_creating_them(tmp_path):
    # Gunicorn workers starting at once must not each write secrets of their own: while one
    # process holds the lock, another waits, then reads what the first wrote.
    instance = tmp_path / "instance"
    instance.mkdir()
    with open(instance / "dev-secrets.json.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = subprocess.Popen(
            [sys.executable, "-c", _START_UP, lms_config.__file__, str(instance)],
            stdout=subprocess.PIPE,
            text=True,
        )
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=1.5)
        (instance / "dev-secrets.json").write_text('{"SECRET_KEY": "written-by-the-first"}')
    output, _ = waiting.communicate(timeout=30)
    assert json.loads(output) == {"SECRET_KEY": "written-by-the-first"}


def test_only_a_test_configuration_can_make_password_hashing_cheaper(tmp_path):
    from lms.accounts.passwords import hash_password

    settings = {
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }
    with create_app({**settings, "TESTING": True}).app_context():
        assert hash_password("correct horse battery").startswith("scrypt:1024:8:1$")
    with create_app(settings).app_context():
        assert hash_password("correct horse battery").startswith("scrypt:32768:8:1$")
