"""Configuration: defaults, then `LMS_*` environment variables (and `.env`), then test overrides.

In development, secrets that are not set are generated once into the instance folder (with a
warning); in production (`LMS_ENV=production`) a missing secret stops start-up and says which.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

try:
    import fcntl
except ImportError:  # not on Windows, where development runs one process anyway
    fcntl = None  # type: ignore[assignment]
from flask import Flask

log = logging.getLogger(__name__)

#: Settings that must be provided in production, by config key and environment variable.
REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "LMS_SECRET_KEY",
    "SIGNING_KEY_PASSPHRASE": "LMS_SIGNING_KEY_PASSPHRASE",
    "BASE_URL": "LMS_BASE_URL",
}
#: Secrets generated for development when absent.
GENERATED_SECRETS = ("SECRET_KEY", "SIGNING_KEY_PASSPHRASE")
SECRETS_FILE = "dev-secrets.json"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "ENV": "development",
        "DATABASE_URL": f"sqlite:///{instance_path / 'lms.sqlite3'}",
        "SECRET_KEY": None,
        "SIGNING_KEY_PASSPHRASE": None,
        "BASE_URL": None,
        "MAIL_URL": "log://",
        "MAIL_FROM": "Cooperation Coach Accreditation <no-reply@localhost>",
        "RATELIMIT_STORAGE_URL": "memory://",
        "UPLOAD_DIR": str(instance_path / "uploads"),
        #: None: on for `lms run` only (SPEC §5); True/False: always/never in web processes.
        "RUN_SCHEDULER": None,
        #: Days a submission may wait for a grade before its trainers are told (admins: twice).
        "BACKLOG_DAYS": 5,
        "PROXY_COUNT": 0,
        "MAX_UPLOAD_MB": 20,
        "UPLOAD_QUOTA_MB": 100,
        "VERIFY_RATE_LIMIT": "60 per minute",
        "ISSUER_NAME": "Cooperation Coach Accreditation",
        "FRESH_LOGIN_MINUTES": 15,
        #: Days after a cohort ends before its attachments and drafts are deleted.
        "RETENTION_DAYS_AFTER_COHORT": 365,
        "INVITATION_TTL_HOURS": 168,
        "RESET_TTL_MINUTES": 60,
        "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
        "EMAIL_LIMIT": "5 per hour",
        "USERS_PER_PAGE": 25,
        "RATELIMIT_ENABLED": True,
        # A moving window: no double burst around the turn of a fixed window.
        "RATELIMIT_STRATEGY": "moving-window",
        #: Admins must use two-factor authentication before any admin page or action.
        "ADMIN_REQUIRE_2FA": True,
        #: `text` or `json`; None: JSON in production, text elsewhere.
        "LOG_FORMAT": None,
        #: Addresses (comma-separated) allowed to read /metrics without the bearer token.
        "METRICS_ALLOW": "127.0.0.1,::1",
        "METRICS_TOKEN": None,
        #: Where uploads are kept; None: the folder LMS_UPLOAD_DIR (see lms/storage.py).
        "STORAGE_URL": None,
    }


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill `app.config` from defaults, the environment and `test_config`, then check it."""
    load_dotenv(os.environ.get("LMS_DOTENV", ".env"), override=False)
    instance_path = Path(app.instance_path)
    app.config.from_mapping(defaults(instance_path))
    if test_config is None:
        app.config.from_prefixed_env("LMS")
    else:
        app.config.from_mapping(test_config)
    _derive(app)
    _ensure_secrets(app, instance_path)


def _derive(app: Flask) -> None:
    config = app.config
    url = str(config["DATABASE_URL"])
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    config["SQLALCHEMY_DATABASE_URI"] = url
    engine_options: dict[str, Any] = {}
    if not url.startswith("sqlite"):
        engine_options = {"pool_pre_ping": True, "pool_recycle": 1800}
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URL"]
    # If the shared storage (Redis) is down, each process keeps counting in memory meanwhile
    # rather than failing every rate-limited request (login among them).
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    from lms.storage import LocalStorage, from_url

    storage = from_url(config.get("STORAGE_URL"), config["UPLOAD_DIR"])  # a wrong URL stops here
    if isinstance(storage, LocalStorage):
        config["UPLOAD_DIR"] = str(storage.root)  # one folder, whichever setting named it
    config["MAX_CONTENT_LENGTH"] = int(config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024
    production = config["ENV"] == "production"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = production
    config["SESSION_COOKIE_NAME"] = "lms_session"
    config["WTF_CSRF_TIME_LIMIT"] = None
    config["PREFERRED_URL_SCHEME"] = "https" if production else "http"
    if config["RUN_SCHEDULER"] is not None:
        config["RUN_SCHEDULER"] = _as_bool(config["RUN_SCHEDULER"])
    config["ADMIN_REQUIRE_2FA"] = _as_bool(config["ADMIN_REQUIRE_2FA"])
    if isinstance(config.get("TRUSTED_HOSTS"), str):
        config["TRUSTED_HOSTS"] = [h.strip() for h in config["TRUSTED_HOSTS"].split(",") if h]


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _ensure_secrets(app: Flask, instance_path: Path) -> None:
    config = app.config
    if config.get("BASE_URL"):
        config["BASE_URL"] = str(config["BASE_URL"]).rstrip("/")
    if config["ENV"] == "production":
        missing = [env for key, env in REQUIRED_IN_PRODUCTION.items() if not config.get(key)]
        if missing:
            raise ConfigError(
                "LMS_ENV=production needs these settings, which are not set: "
                + ", ".join(missing)
                + ". Set them in the environment or in .env, then start again."
            )
        return
    if not config.get("BASE_URL"):
        config["BASE_URL"] = "http://127.0.0.1:5000"
    missing = [key for key in GENERATED_SECRETS if not config.get(key)]
    if missing:
        stored = _development_secrets(instance_path, missing)
        for key in missing:
            config[key] = stored[key]


def _development_secrets(instance_path: Path, wanted: list[str]) -> dict[str, str]:
    """Read, or create once, the development secrets file in the instance folder.

    Several processes may start at once (gunicorn workers, `make run` beside a command), so
    the file is read and written under an exclusive lock: all of them end with one set.
    """
    path = instance_path / SECRETS_FILE
    instance_path.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(instance_path / f"{SECRETS_FILE}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        created = [key for key in wanted if key not in stored]
        if created:
            for key in created:
                stored[key] = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(stored, handle, indent=2)
            log.warning(
                "Generated development secrets (%s) into %s. Never use them in production: "
                "set LMS_SECRET_KEY and LMS_SIGNING_KEY_PASSPHRASE there.",
                ", ".join(created),
                path,
            )
    finally:
        os.close(lock_fd)  # also releases the lock
    return stored
