"""The HTTP benchmark: the app and the reference app under gunicorn, measured in one run.

For each database: serve both with 2 sync workers on loopback, measure each route for a
bounded time, log in as a trainee, a trainer and an admin to time their pages one request
at a time (the median is the server time), send 20,000 mixed requests while watching the
workers' resident memory, and write everything to bench/results/http-<db>-<time>.json.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from bench import loadgen, settings

HOST = "127.0.0.1"
APP_PORT = 5102
REFERENCE_PORT = 5101


def _sqlalchemy_url(url: str) -> str:
    return (
        "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url
    )


@contextmanager
def gunicorn(
    target: str, port: int, env: dict[str, str], workers: int = 2
) -> Iterator[subprocess.Popen[bytes]]:
    """Serve `target` (module:app) with sync workers on loopback until the block ends."""
    if _answers(port):
        raise RuntimeError(f"port {port} is already in use: is another benchmark running?")
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"{HOST}:{port}", "--log-level", "warning", "--chdir", str(settings.ROOT),
        target,
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command,
        env={**os.environ, **env},
        cwd=settings.ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_ready(port, process)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(port: int) -> bool:
    try:
        http.client.HTTPConnection(HOST, port, timeout=1).connect()
    except OSError:
        return False
    return True


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn on port {port} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/bare" if port == REFERENCE_PORT else "/healthz")
            connection.getresponse().read()
            connection.close()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn on port {port} did not answer in {timeout:.0f} s")


def worker_pids(master: int) -> list[int]:
    pids: list[int] = []
    task_dir = f"/proc/{master}/task"
    for task in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{task}/children") as handle:
                pids += [int(pid) for pid in handle.read().split()]
        except OSError:
            pass
    return pids


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _eq, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def csrf_token(page: str) -> str:
    """The CSRF token of the form on `page`."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def login(port: int, email: str, password: str = settings.PASSWORD) -> str:
    """The Cookie header of a logged-in session."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", "/auth/login")
    response = connection.getresponse()
    page = response.read().decode()
    jar = _cookies(response)
    body = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": csrf_token(page)}
    ).encode()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request(
        "POST",
        "/auth/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        },
    )
    response = connection.getresponse()
    response.read()
    jar.update(_cookies(response))
    if response.status not in (302, 303):
        raise RuntimeError(f"logging in as {email} answered {response.status}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _sample(url: str) -> tuple[list[str], list[str], dict[str, Any]]:
    """Valid certificate ids and credentials, and people to log in as."""
    engine = sa.create_engine(_sqlalchemy_url(url))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT public_id, credential FROM certificates WHERE status = 'valid' "
                "ORDER BY id LIMIT 2000"
            )
        ).all()
        trainer = connection.execute(
            sa.text(
                "SELECT u.email, m.cohort_id FROM users u "
                "JOIN cohort_members m ON m.user_id = u.id "
                "WHERE m.role = 'trainer' ORDER BY u.id LIMIT 1"
            )
        ).first()
        trainee = connection.execute(
            sa.text(
                "SELECT u.email FROM users u JOIN cohort_members m ON m.user_id = u.id "
                "WHERE m.role = 'trainee' ORDER BY u.id LIMIT 1"
            )
        ).scalar()
        admin = connection.execute(
            sa.text(
                "SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id "
                "WHERE r.role = 'admin' ORDER BY u.id LIMIT 1"
            )
        ).scalar()
        counts = {
            table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            for table in ("users", "cohorts", "submissions", "grades", "certificates")
        }
    engine.dispose()
    ids = [row[0] for row in rows[::10]]
    tokens = [row[1] for row in rows[::10]]
    people = {"trainer": trainer[0], "cohort_id": trainer[1], "trainee": trainee, "admin": admin}
    return ids, tokens, {"people": people, "counts": counts}


def _get(path_of: Any) -> Any:
    return lambda n: ("GET", path_of(n), None, {})


def _load(port: int, requests: Any, *, seconds: float, connections: int) -> loadgen.Figures:
    """Load a route for `seconds`: with wrk when it is installed (its client costs the
    servers less CPU; `LMS_BENCH_CLIENT=python` forces the threaded client), else with
    `loadgen.run`. No warm-up here: callers warm up once."""
    if _client() == "wrk":
        return loadgen.run_wrk(HOST, port, requests, seconds=seconds, connections=connections)
    return loadgen.run(HOST, port, requests, seconds=seconds, connections=connections, warmup=0)


def _client() -> str:
    if loadgen.have_wrk() and os.environ.get("LMS_BENCH_CLIENT", "wrk") == "wrk":
        return "wrk"
    return "python"


def _measure(
    port: int, name: str, requests: Any, seconds: float, connections: int
) -> dict[str, Any]:
    if connections > 1:
        _load(port, requests, seconds=1.0, connections=connections)  # warm-up
        figures = _load(port, requests, seconds=seconds, connections=connections)
    else:  # one at a time, for the server time: every latency is kept
        figures = loadgen.run(HOST, port, requests, seconds=seconds, connections=1)
    result = figures.as_json()
    print(
        f"  {name:34} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.1f} ms  "
        f"p99 {result['p99_ms']:6.1f} ms  {result['statuses']}",
        flush=True,
    )
    return result


#: Rounds of the paired measurement of the public routes against the reference.
ROUNDS = 8
#: Seconds per window (wrk counts whole seconds).
WINDOW = 2.0


def _interleaved(
    routes: dict[str, tuple[int, str, Any]], *, connections: int
) -> dict[str, dict[str, Any]]:
    """Measure each of our public routes in pairs with the reference verify route, not one
    after the other: this machine's speed drifts by half within seconds (other tenants), so
    a figure measured a minute before another compares nothing. In each of ROUNDS rounds,
    each route gets a WINDOW-second window right beside one of the reference's (which goes
    first in every other round); a route's ratio is the median of its pairs' ratios, its
    other figures are over all its windows.

    Every route is first requested for a second over all its ids (on both servers alike),
    so that what is measured is the steady state, not the first sighting of each id.
    """
    for port, _label, request in routes.values():
        _load(port, request, seconds=1.0, connections=connections)
    ours = [name for name in routes if name != "ref_verify"]
    windows: dict[str, list[loadgen.Figures]] = {name: [] for name in routes}
    ratios: dict[str, list[float | None]] = {name: [] for name in ours}
    for round_number in range(ROUNDS):
        for name in ours:
            pair = ["ref_verify", name] if round_number % 2 == 0 else [name, "ref_verify"]
            measured = {}
            for member in pair:
                port, _label, request = routes[member]
                measured[member] = _load(port, request, seconds=WINDOW, connections=connections)
                windows[member].append(measured[member])
            reference = measured["ref_verify"].rps
            ratios[name].append(round(measured[name].rps / reference, 3) if reference else None)
    results: dict[str, dict[str, Any]] = {}
    for name in routes:
        result = loadgen.merge(windows[name]).as_json()
        result["windows_rps"] = [round(figures.rps, 1) for figures in windows[name]]
        if name in ratios:
            result["round_ratios"] = ratios[name]
        results[name] = result
        shown = f"pair ratios {ratios[name]}" if name in ratios else f"{len(windows[name])} windows"
        print(
            f"  {routes[name][1]:34} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.1f} ms"
            f"  p99 {result['p99_ms']:6.1f} ms  {result['statuses']}  {shown}",
            flush=True,
        )
    return results


def bench_database(
    database: str, *, seconds: float, connections: int, memory_requests: int
) -> dict[str, Any]:
    url = settings.DATABASES[database]
    env = settings.app_environment(url)
    ids, tokens, info = _sample(url)
    if not ids:
        raise RuntimeError(
            f"no certificates in the {database} database: run `python -m bench seed`"
        )
    people = info["people"]
    report: dict[str, Any] = {"database": database, "dataset": info["counts"], "routes": {}}
    routes = report["routes"]
    print(f"== HTTP benchmark on {database}: {info['counts']}", flush=True)
    jwt_body = {"Content-Type": "application/jwt"}
    public = {  # name: (port, label, request of the n-th call)
        "ref_verify": (REFERENCE_PORT, "reference GET /verify/<id>", _get(
            lambda n: f"/verify/{ids[n % len(ids)]}"
        )),
        "verify_page": (APP_PORT, "GET /verify/<id>", _get(
            lambda n: f"/verify/{ids[n % len(ids)]}"
        )),
        "api_certificate": (APP_PORT, "GET /api/v1/certificates/<id>", _get(
            lambda n: f"/api/v1/certificates/{ids[n % len(ids)]}"
        )),
        "api_verify": (APP_PORT, "POST /api/v1/verify", lambda n: (
            "POST", "/api/v1/verify", tokens[n % len(tokens)].encode(), jwt_body
        )),
    }  # fmt: skip
    with (
        gunicorn("bench.reference_app:app", REFERENCE_PORT, env),
        gunicorn("lms:create_app()", APP_PORT, env) as process,
    ):
        print("  reference app (bare Flask):", flush=True)
        routes["ref_bare"] = _measure(
            REFERENCE_PORT, "GET /bare", _get(lambda n: "/bare"), seconds, connections
        )
        routes["ref_template"] = _measure(
            REFERENCE_PORT, "GET /template", _get(lambda n: "/template"), seconds, connections
        )
        routes.update(_interleaved(public, connections=connections))
        cookies = {role: login(APP_PORT, people[role]) for role in ("trainee", "trainer", "admin")}
        pages = {
            "trainee_dashboard": ("trainee", "/"),
            "trainer_dashboard_progress_matrix": ("trainer", "/"),
            "grading_queue": ("trainer", "/grading/"),
            "admin_kpis": ("admin", "/reports/"),
        }
        print("  pages, one request at a time (median = server time):", flush=True)
        for name, (role, path) in pages.items():
            header = {"Cookie": cookies[role]}
            routes[name] = _measure(
                APP_PORT,
                f"GET {path} ({role})",
                lambda n, path=path, header=header: ("GET", path, None, header),
                min(seconds, 5),
                1,
            )
        report["memory"] = _memory(process.pid, ids, tokens, cookies, memory_requests)
    return report


def _memory(
    master: int, ids: list[str], tokens: list[str], cookies: dict[str, str], total: int
) -> dict[str, Any]:
    """Worker RSS after half and after all of `total` mixed requests."""
    jwt_type = {"Content-Type": "application/jwt"}
    mix = [  # public lookups most, signed-in pages too (one in five)
        lambda n: ("GET", f"/verify/{ids[n % len(ids)]}", None, {}),
        lambda n: ("GET", f"/api/v1/certificates/{ids[n % len(ids)]}", None, {}),
        lambda n: ("POST", "/api/v1/verify", tokens[n % len(tokens)].encode(), jwt_type),
        lambda n: ("GET", "/.well-known/jwks.json", None, {}),
        lambda n: ("GET", f"/verify/{ids[(n + 7) % len(ids)]}", None, {}),
        lambda n: ("GET", "/issuer", None, {}),
        lambda n: ("GET", f"/api/v1/certificates/{ids[(n + 3) % len(ids)]}", None, {}),
        lambda n: ("GET", "/", None, {"Cookie": cookies["trainee"]}),
        lambda n: ("GET", "/grading/", None, {"Cookie": cookies["trainer"]}),
        lambda n: ("GET", "/verify", None, {}),
    ]

    def request(n: int) -> loadgen.Request:
        return mix[n % len(mix)](n // len(mix))

    before = {pid: rss_mb(pid) for pid in worker_pids(master)}
    half = total // 2
    first = loadgen.run(
        HOST, APP_PORT, request, seconds=300, connections=4, max_requests=half, warmup=0
    )
    middle = {pid: rss_mb(pid) for pid in worker_pids(master)}
    second = loadgen.run(
        HOST, APP_PORT, request, seconds=300, connections=4, max_requests=total - half, warmup=0
    )
    after = {pid: rss_mb(pid) for pid in worker_pids(master)}
    result = {
        "requests": first.requests + second.requests,
        "statuses": {str(k): v for k, v in sorted((first.statuses + second.statuses).items())},
        "rss_mb_start": {str(k): round(v, 1) for k, v in before.items()},
        "rss_mb_at_half": {str(k): round(v, 1) for k, v in middle.items()},
        "rss_mb_at_end": {str(k): round(v, 1) for k, v in after.items()},
        "max_rss_mb": round(max(after.values(), default=0.0), 1),
        "growth_second_half_mb": round(
            max((after[p] - middle.get(p, after[p]) for p in after), default=0.0), 1
        ),
    }
    print(
        f"  memory after {result['requests']} mixed requests: max {result['max_rss_mb']} MB, "
        f"growth in the second half {result['growth_second_half_mb']} MB {result['statuses']}",
        flush=True,
    )
    return result


def ratios(report: dict[str, Any]) -> dict[str, Any]:
    """Each public route against the reference: the median of the per-round throughput
    ratios (see `_interleaved`), and p99 over all windows against the reference's."""
    routes = report["routes"]
    reference = routes["ref_verify"]
    out = {}
    for name in ("verify_page", "api_certificate", "api_verify"):
        route = routes[name]
        per_round = [ratio for ratio in route.get("round_ratios", []) if ratio is not None]
        out[name] = {
            "rps_ratio": round(statistics.median(per_round), 2) if per_round else None,
            "p99_ratio": round(route["p99_ms"] / reference["p99_ms"], 2)
            if reference["p99_ms"]
            else None,
        }
    out["ref_verify_vs_bare"] = round(reference["rps"] / routes["ref_bare"]["rps"], 2)
    return out


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                "",
            )
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpus} cores {model}, {system}, Python {platform.python_version()}"


def run_http(
    databases: list[str],
    *,
    seconds: float = 8.0,
    connections: int = 4,
    memory_requests: int = 20_000,
) -> list[dict[str, Any]]:
    reports = []
    settings.RESULTS.mkdir(parents=True, exist_ok=True)
    for database in databases:
        report = bench_database(
            database, seconds=seconds, connections=connections, memory_requests=memory_requests
        )
        report["ratios"] = ratios(report)
        report["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        report["machine"] = machine()
        report["settings"] = {
            "seconds_per_route": seconds,
            "public_routes": f"{ROUNDS} rounds of {WINDOW:.0f} s windows beside the reference",
            "connections": connections,
            "gunicorn": "2 sync workers",
            "client": "wrk" if _client() == "wrk" else "python threads (bench/loadgen.py)",
        }
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        path = settings.RESULTS / f"http-{database}-{stamp}.json"
        path.write_text(json.dumps(report, indent=2))
        print(f"  ratios: {json.dumps(report['ratios'])}\n  written to {path}", flush=True)
        reports.append(report)
    return reports
