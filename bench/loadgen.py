"""A bounded HTTP load generator: threads, each with its own http.client connection.

Every run stops after `seconds` (or `requests`); it reports requests per second, p50/p99
latency and the status codes. Connections are kept alive when the server allows it (gunicorn's
sync workers close them after each response, so then each request reconnects, as any client
of such a server must). `wrk` is used instead when it is installed and asked for, for routes
without per-request variation; the project never depends on it.
"""

from __future__ import annotations

import http.client
import itertools
import re
import shutil
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: method, path, body, headers
Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass
class Figures:
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    tool: str = "python"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def as_json(self) -> dict[str, Any]:
        p50 = self.percentile(50) if self.latencies_ms else getattr(self, "_p50", 0.0)
        p99 = self.percentile(99) if self.latencies_ms else getattr(self, "_p99", 0.0)
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "median_ms": round(statistics.median(self.latencies_ms), 2)
            if self.latencies_ms
            else round(p50, 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "tool": self.tool,
        }


def run(
    host: str,
    port: int,
    requests: Callable[[int], Request],
    *,
    seconds: float = 5.0,
    connections: int = 4,
    max_requests: int | None = None,
    warmup: float = 0.5,
) -> Figures:
    """Send requests from `connections` threads; `requests(n)` gives the n-th request."""
    if warmup:
        run(host, port, requests, seconds=warmup, connections=connections, warmup=0)
    figures = Figures()
    lock = threading.Lock()
    counter = itertools.count()
    deadline = time.perf_counter() + seconds
    stop = threading.Event()

    def worker() -> None:
        connection: http.client.HTTPConnection | None = None
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors = 0
        while not stop.is_set() and time.perf_counter() < deadline:
            n = next(counter)
            if max_requests is not None and n >= max_requests:
                break
            method, path, body, headers = requests(n)
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(host, port, timeout=30)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status] += 1
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                errors += 1
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()
        with lock:
            figures.latencies_ms.extend(latencies)
            figures.statuses.update(statuses)
            figures.errors += errors

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    stop.set()
    figures.seconds = time.perf_counter() - started
    figures.requests = len(figures.latencies_ms)
    return figures


def merge(runs: list[Figures]) -> Figures:
    """The figures of several windows as one: their requests, time and latencies together
    (from wrk, which gives percentiles only, the median of the windows' percentiles)."""
    merged = Figures(tool=runs[0].tool if runs else "python")
    for figures in runs:
        merged.requests += figures.requests
        merged.seconds += figures.seconds
        merged.latencies_ms.extend(figures.latencies_ms)
        merged.statuses.update(figures.statuses)
        merged.errors += figures.errors
    if runs and not merged.latencies_ms:
        for attribute in ("_p50", "_p99"):
            values = [getattr(figures, attribute, 0.0) for figures in runs]
            setattr(merged, attribute, statistics.median(values))
    return merged


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        return 0.0
    return float(match.group(1)) * _UNITS[match.group(2)]


def _lua(text: str) -> str:
    """`text` as a Lua string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _wrk_script(requests: Callable[[int], Request], count: int) -> str:
    """A wrk Lua script sending the first `count` requests of `requests` in turn."""
    entries = []
    for n in range(count):
        method, path, body, headers = requests(n)
        header_table = ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items())
        body_text = _lua(body.decode("ascii")) if body else "nil"
        entries.append(f"{{{_lua(method)}, {_lua(path)}, {{{header_table}}}, {body_text}}}")
    return (
        "local requests = {\n" + ",\n".join(entries) + "\n}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local r = requests[(n % #requests) + 1]\n"
        "  return wrk.format(r[1], r[2], r[3], r[4])\n"
        "end\n"
    )


def run_wrk(
    host: str,
    port: int,
    requests: Callable[[int], Request],
    *,
    seconds: float,
    connections: int,
    distinct: int = 200,
) -> Figures:
    """The same figures, measured by wrk (C: the client takes far less of the CPU than the
    threads of `run`, which matters on a machine whose cores the servers need). The first
    `distinct` requests of `requests` are sent in turn; wrk reports percentiles, not each
    latency."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(_wrk_script(requests, distinct))
    script = Path(handle.name)
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
        "-s", str(script), f"http://{host}:{port}",
    ]  # fmt: skip
    try:
        output = subprocess.run(  # noqa: S603 (wrk with our own arguments)
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        ).stdout
    finally:
        script.unlink(missing_ok=True)
    figures = Figures(tool="wrk")
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    if total:
        figures.requests = int(total.group(1))
        value, unit = float(total.group(2)), total.group(3)
        figures.seconds = value / 1000 if unit == "ms" else value * 60 if unit == "m" else value
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_ok = int(bad.group(1)) if bad else 0
    figures.statuses[200] = figures.requests - non_ok
    if non_ok:
        figures.statuses[0] = non_ok  # wrk does not say which codes
    if errors:
        figures.errors = sum(int(errors.group(i)) for i in (1, 3, 4))  # reads: sync closes
    for label, attribute in (("50%", "_p50"), ("99%", "_p99")):
        match = re.search(rf"^\s*{re.escape(label)}\s+(\S+)", output, re.MULTILINE)
        setattr(figures, attribute, _ms(match.group(1)) if match else 0.0)
    return figures
