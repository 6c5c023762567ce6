"""The targets table (Markdown) from the newest results in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import settings


def _newest(pattern: str) -> dict[str, Any] | None:
    files = sorted(settings.RESULTS.glob(pattern), key=lambda path: path.stat().st_mtime)
    return json.loads(Path(files[-1]).read_text()) if files else None


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table() -> str:
    lines = [
        _row("Target", "Database", "Measured", "Reference", "Ratio", "Met", "Date"),
        _row(*["---"] * 7),
    ]
    machine = ""
    for database in ("sqlite", "postgresql"):
        report = _newest(f"http-{database}-*.json")
        if report is None:
            continue
        machine = report["machine"]
        date = report["date"][:16].replace("T", " ")
        routes = report["routes"]
        ref = routes["ref_verify"]
        for name, label, need in (
            ("verify_page", "GET /verify/<id> ≥ 0.9× ref, p99 < 2×", 0.9),
            ("api_certificate", "GET /api/v1/certificates/<id> ≥ 0.9× ref, p99 < 2×", 0.9),
            ("api_verify", "POST /api/v1/verify ≥ 0.8× ref", 0.8),
        ):
            route = routes[name]
            # The median of the per-round ratios (interleaved windows), where measured so.
            ratio = (report.get("ratios", {}).get(name) or {}).get("rps_ratio") or (
                route["rps"] / ref["rps"] if ref["rps"] else 0
            )
            p99 = route["p99_ms"] / ref["p99_ms"] if ref["p99_ms"] else 0
            met = ratio >= need and (need < 0.9 or p99 < 2)
            lines.append(
                _row(
                    label,
                    database,
                    f"{route['rps']:.0f} req/s, p99 {route['p99_ms']:.0f} ms",
                    f"{ref['rps']:.0f} req/s, p99 {ref['p99_ms']:.0f} ms",
                    f"{ratio:.2f}× (p99 {p99:.1f}×)",
                    "yes" if met else "**no**",
                    date,
                )
            )
        for name, label in (
            ("trainee_dashboard", "Trainee dashboard: median < 50 ms"),
            ("trainer_dashboard_progress_matrix", "Trainer dashboard + progress matrix < 50 ms"),
            ("grading_queue", "Grading queue: median < 50 ms"),
            ("admin_kpis", "Admin KPIs (reports): median < 50 ms"),
        ):
            route = routes[name]
            lines.append(
                _row(
                    label,
                    database,
                    f"{route['median_ms']:.0f} ms",
                    f"bare route p50 {routes['ref_bare']['p50_ms']:.1f} ms",
                    f"{route['median_ms'] / 50:.1f}× the budget",
                    "yes" if route["median_ms"] < 50 else "**no**",
                    date,
                )
            )
        memory = report.get("memory")
        if memory:
            lines.append(
                _row(
                    f"Worker RSS < 150 MB after {memory['requests']} mixed requests, no growth",
                    database,
                    f"max {memory['max_rss_mb']} MB, +{memory['growth_second_half_mb']} MB "
                    "in the second half",
                    "150 MB, 0 growth",
                    f"{memory['max_rss_mb'] / 150:.2f}×",
                    "yes"
                    if memory["max_rss_mb"] < 150 and memory["growth_second_half_mb"] <= 1
                    else "**no**",
                    date,
                )
            )
    issue = _newest("issue-*.json")
    if issue:
        lines.append(
            _row(
                f"Bulk issue of {issue['n']} certificates ≥ 2,000/s",
                issue["database"],
                f"{issue['per_second']:.0f}/s",
                f"raw PyJWT EdDSA {issue['raw_pyjwt_eddsa_per_second']:.0f}/s",
                f"{issue['ratio_to_raw_signing']:.2f}× raw signing",
                "yes" if issue["per_second"] >= 2000 else "**no**",
                issue["date"][:16].replace("T", " "),
            )
        )
    for database in ("sqlite", "postgresql"):
        seed = _newest(f"seed-{database}.json")
        timed = _newest(f"import-{database}.json")  # `python -m bench import`, if run
        if timed:
            seconds = float(timed["median_seconds"])
            measured = (
                f"{seconds:.2f} s (median of {len(timed['runs'])}, load average "
                f"{timed['load_average']})"
            )
            when = timed["date"][:16].replace("T", " ")
        elif seed:
            seconds, when = float(seed["seconds_course_import"]), ""
            measured = f"{seconds:.2f} s"
        if timed or seed:
            lines.append(
                _row(
                    "Course import (both courses) < 2 s",
                    database,
                    measured,
                    "2 s",
                    f"{seconds / 2:.2f}×",
                    "yes" if seconds < 2 else "**no**",
                    when,
                )
            )
        if seed:
            lines.append(
                _row(
                    "Seeding the large dataset: minutes, not hours",
                    database,
                    f"{seed['seconds_total']:.0f} s",
                    "",
                    "",
                    "yes" if seed["seconds_total"] < 900 else "**no**",
                    "",
                )
            )
    load = _newest("load-*.json")
    if load:
        checks = load["checks"]
        lines.append(
            _row(
                "Load test: no 5xx, no lost grade, burst gets 429",
                "postgresql",
                f"{load['requests']} requests, {load['server_errors']} 5xx, "
                f"{len(load['grades_lost'])} of {load['grades_saved']} grades lost, "
                f"burst {load['burst_statuses']}",
                "",
                "",
                "yes" if all(checks.values()) else "**no**",
                load["date"][:16].replace("T", " "),
            )
        )
    return "\n".join(lines) + (f"\n\nMachine: {machine}.\n" if machine else "\n")


if __name__ == "__main__":
    print(table())
