"""What /healthz and /readyz check: the database, and Redis when rate limits are kept there."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lms.db import db

#: Seconds a readiness probe waits for Redis.
REDIS_TIMEOUT = 2


def database_reachable() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def redis_reachable(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def readiness(config: Any) -> dict[str, str]:
    """Each dependency this process needs, by name, with "ok" or "unreachable"."""
    checks = {"database": "ok" if database_reachable() else "unreachable"}
    storage = str(config.get("RATELIMIT_STORAGE_URL") or "")
    if storage.startswith(("redis://", "rediss://", "redis+unix://")):
        checks["redis"] = "ok" if redis_reachable(storage) else "unreachable"
    return checks
