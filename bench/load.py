"""A bounded mixed-load test on loopback: gunicorn with several workers, PostgreSQL, Redis.

Verify pages (from many addresses), trainee dashboards, lesson pages and trainers saving grades
run together for at most a minute against the seeded PostgreSQL database (`python -m bench seed
--db postgresql` first). Afterwards: no response may be a 5xx, every grade a trainer saved must
be in the database with the levels last saved, and a burst of verify lookups from one address
must run into the rate limit (429). The figures are printed and written to
bench/results/load-<time>.json; the exit status is 1 if a check failed.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import re
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from typing import Any

import sqlalchemy as sa

from bench import settings
from bench.http_bench import HOST, _cookies, _sqlalchemy_url, csrf_token, gunicorn

PORT = 5103
REDIS_URL = "redis://127.0.0.1:6379/7"


class Client:
    """One browser: its cookies, its address (X-Forwarded-For), its connection."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.cookies: dict[str, str] = {}
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        headers = {"X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.statuses[response.status] += 1
        self.cookies.update(_cookies(response))
        return response.status, text, dict(response.headers)

    def login(self, email: str) -> None:
        _status, page, _headers = self.request("GET", "/auth/login")
        status, _text, _headers = self.request(
            "POST",
            "/auth/login",
            {"email": email, "password": settings.PASSWORD, "csrf_token": csrf_token(page)},
        )
        if status not in (302, 303):
            raise RuntimeError(f"login as {email} answered {status}")


def _plan(url: str, trainers: int) -> dict[str, Any]:
    engine = sa.create_engine(_sqlalchemy_url(url))
    with engine.connect() as connection:
        ids = list(
            connection.execute(
                sa.text("SELECT public_id FROM certificates WHERE status = 'valid' LIMIT 500")
            ).scalars()
        )
        trainees = connection.execute(
            sa.text(
                "SELECT u.email, c.slug FROM users u "
                "JOIN cohort_members m ON m.user_id = u.id AND m.role = 'trainee' "
                "JOIN cohorts h ON h.id = m.cohort_id JOIN courses c ON c.id = h.course_id "
                "ORDER BY u.id LIMIT 8"
            )
        ).all()
        lessons = {
            slug: [row[0] for row in rows]
            for slug, rows in _group(
                connection.execute(
                    sa.text(
                        "SELECT c.slug, l.slug FROM lessons l JOIN courses c ON c.id = l.course_id "
                        "WHERE l.retired_at IS NULL"
                    )
                ).all()
            ).items()
        }
        work = []
        for cohort_id, email in connection.execute(
            sa.text(
                "SELECT m.cohort_id, u.email FROM cohort_members m "
                "JOIN users u ON u.id = m.user_id "
                "WHERE m.role = 'trainer' ORDER BY m.cohort_id LIMIT :n"
            ),
            {"n": trainers},
        ):
            submissions = list(
                connection.execute(
                    sa.text(
                        "SELECT id FROM submissions WHERE cohort_id = :c AND state = 'submitted' "
                        "ORDER BY id LIMIT 40"
                    ),
                    {"c": cohort_id},
                ).scalars()
            )
            work.append((email, submissions))
    engine.dispose()
    return {"ids": ids, "trainees": trainees, "lessons": lessons, "work": work}


def _group(rows: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for key, value in rows:
        grouped.setdefault(key, []).append((value,))
    return grouped


def _address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def run_load(*, seconds: float = 40.0, workers: int = 4, trainers: int = 6) -> int:
    seconds = min(seconds, 50.0)  # with set-up and checks, a minute at most
    url = settings.DATABASES["postgresql"]
    plan = _plan(url, trainers)
    if not plan["ids"] or not plan["work"]:
        print("The PostgreSQL benchmark database is empty: run `python -m bench seed` first.")
        return 1
    env = settings.app_environment(
        url,
        LMS_RATELIMIT_ENABLED="true",
        LMS_RATELIMIT_STORAGE_URL=REDIS_URL,
        LMS_RATELIMIT_KEY_PREFIX=f"bench-{secrets.token_hex(4)}",
        LMS_PROXY_COUNT="1",
        LMS_VERIFY_RATE_LIMIT="60 per minute",
    )
    clients: list[Client] = []
    lock = threading.Lock()
    saved: dict[int, dict[str, int]] = {}
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    print(f"== load test: {workers} workers, PostgreSQL, rate limits in {REDIS_URL}", flush=True)

    def new_client(address: str | None = None) -> Client:
        client = Client(address or _address())
        with lock:
            clients.append(client)
        return client

    def verifier() -> None:
        while time.perf_counter() < deadline:
            client = new_client()  # a new visitor each time, from its own address
            client.request("GET", f"/verify/{random.choice(plan['ids'])}")

    def trainee(email: str, course: str) -> None:
        client = new_client()
        client.login(email)
        lessons = plan["lessons"].get(course, [])
        while time.perf_counter() < deadline:
            client.request("GET", "/")
            if lessons:
                client.request("GET", f"/courses/{course}/lessons/{random.choice(lessons)}")

    def trainer(email: str, submissions: list[int]) -> None:
        client = new_client()
        client.login(email)
        for submission_id in submissions:
            if time.perf_counter() >= deadline:
                return
            path = f"/grading/submissions/{submission_id}"
            _status, page, _h = client.request("GET", path)
            status, page, _h = client.request(
                "POST", f"{path}/claim", {"csrf_token": csrf_token(page)}
            )
            status, page, _h = client.request("GET", path)
            codes = sorted(set(re.findall(r'name="level__([^"]+)"', page)))
            for _round in range(2):  # save, then change and save again
                if not codes or time.perf_counter() >= deadline:
                    break
                levels = {code: random.randrange(5) for code in codes}
                version = re.search(r'name="version"[^>]*value="(\d*)"', page)
                form = {
                    "csrf_token": csrf_token(page),
                    "overall_feedback": "Load test draft.",
                    "version": version.group(1) if version else "",
                    "action": "draft",
                    **{f"level__{code}": str(level) for code, level in levels.items()},
                }
                status, _text, _h = client.request("POST", path, form)
                if status in (302, 303):
                    with lock:
                        saved[submission_id] = levels
                else:
                    errors.append(f"saving a grade of {submission_id} answered {status}")
                status, page, _h = client.request("GET", path)

    started = time.perf_counter()
    with gunicorn("lms:create_app()", PORT, env, workers=workers):
        threads = [threading.Thread(target=verifier) for _ in range(3)]
        threads += [threading.Thread(target=trainee, args=row) for row in plan["trainees"][:4]]
        threads += [threading.Thread(target=trainer, args=row) for row in plan["work"]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 30)
        # A burst of lookups from one address: the budget runs out, 429 follows.
        burst = new_client("192.0.2.77")
        burst_statuses: Counter[int] = Counter()
        for n in range(90):
            status, _t, _h = burst.request("GET", f"/verify/{plan['ids'][n % len(plan['ids'])]}")
            burst_statuses[status] += 1
    elapsed = time.perf_counter() - started
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    for client in clients:
        statuses.update(client.statuses)
        latencies.extend(client.latencies)
    lost = _lost_grades(url, saved)
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    latencies.sort()
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "workers": workers,
        "requests": sum(statuses.values()),
        "rps": round(sum(statuses.values()) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": server_errors,
        "grades_saved": len(saved),
        "grades_lost": lost,
        "burst_statuses": {str(k): v for k, v in sorted(burst_statuses.items())},
        "errors": errors[:20],
    }
    checks = {
        "no 5xx": server_errors == 0,
        "no lost grade": not lost and bool(saved),
        "burst rate-limited (429)": burst_statuses[429] > 0,
    }
    report["checks"] = checks
    settings.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = settings.RESULTS / f"load-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(
        f"  {report['requests']} requests in {report['seconds']} s ({report['rps']}/s), "
        f"p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms, statuses {report['statuses']}\n"
        f"  grades saved {len(saved)}, lost {len(lost)}; burst from one address: "
        f"{report['burst_statuses']}",
        flush=True,
    )
    for name, passed in checks.items():
        print(f"  {'PASS' if passed else 'FAIL'}  {name}", flush=True)
    print(f"  written to {path}", flush=True)
    return 0 if all(checks.values()) else 1


def _lost_grades(url: str, saved: dict[int, dict[str, int]]) -> list[int]:
    """Submissions whose first grade in the database is not what was last saved."""
    if not saved:
        return []
    engine = sa.create_engine(_sqlalchemy_url(url))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT submission_id, levels FROM grades WHERE kind = 'first' "
                "AND submission_id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": list(saved)},
        ).all()
    engine.dispose()
    stored = {
        sid: levels if isinstance(levels, dict) else json.loads(levels) for sid, levels in rows
    }
    return [sid for sid, levels in saved.items() if stored.get(sid) != levels]
