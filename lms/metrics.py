"""Prometheus metrics at `/metrics`: requests by endpoint and status, their latency,
certificates issued, and queue sizes counted when scraped.

Under gunicorn the workers write their counts to `PROMETHEUS_MULTIPROC_DIR` (gunicorn.conf.py
sets it), and a scrape adds them up over all workers. The page is served only to addresses in
`LMS_METRICS_ALLOW` (default 127.0.0.1 and ::1) or to requests that carry
`Authorization: Bearer <LMS_METRICS_TOKEN>`; anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event, orm

REQUESTS = Counter(
    "lms_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "lms_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CERTIFICATES_ISSUED = Counter("lms_certificates_issued_total", "Certificates issued (committed)")
_NEW_CERTIFICATES = "lms_metrics_new_certificates"


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_count_request)
    app.add_url_rule("/metrics", "metrics", metrics_page)
    from lms.extensions import limiter

    limiter.exempt(app.view_functions["metrics"])  # scrapers come every few seconds


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.get("metrics_started")
    # The route, never the raw path: ids in URLs would make one series per object.
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def allowed(remote_addr: str | None, authorization: str | None, config: Any) -> bool:
    """Whether a scrape from this address, with this Authorization header, may see metrics."""
    token = str(config.get("METRICS_TOKEN") or "")
    if token and authorization:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
            return True
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    for entry in str(config.get("METRICS_ALLOW") or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a mistyped entry allows nobody
    return False


def metrics_page() -> Response:
    if not allowed(request.remote_addr, request.headers.get("Authorization"), current_app.config):
        abort(404)
    headers = {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    return Response(render(), headers=headers)


def render() -> bytes:
    """The exposition text: counters of every worker (or this process), then the queues."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    queues = CollectorRegistry(auto_describe=False)
    queues.register(QueueCollector())
    return counted + generate_latest(queues)


class QueueCollector:
    """Queue sizes, counted in the database at scrape time (two COUNT queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from lms.assessments.models import Submission
        from lms.db import db
        from lms.grading.queries import WAITING
        from lms.notifications.models import OutboxMessage, OutboxState

        try:
            grading = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Submission)
                .where(Submission.state.in_(WAITING))
            )
            outbox = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.PENDING)
            )
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            return  # the database is down: /readyz says so; the counters are still served
        yield GaugeMetricFamily(
            "lms_grading_queue_length", "Submissions waiting for a grade", value=grading or 0
        )
        yield GaugeMetricFamily(
            "lms_mail_outbox_pending", "E-mails not yet delivered", value=outbox or 0
        )


@event.listens_for(orm.Session, "after_flush")
def _remember_new_certificates(session: orm.Session, flush_context: Any) -> None:
    from lms.certificates.models import Certificate

    new = sum(isinstance(item, Certificate) for item in session.new)
    if new:
        session.info[_NEW_CERTIFICATES] = session.info.get(_NEW_CERTIFICATES, 0) + new


@event.listens_for(orm.Session, "after_commit")
def _count_certificates(session: orm.Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the real commit is still to come
    issued = session.info.pop(_NEW_CERTIFICATES, 0)
    if issued:
        CERTIFICATES_ISSUED.inc(issued)


@event.listens_for(orm.Session, "after_soft_rollback")
def _forget_certificates(session: orm.Session, previous: orm.SessionTransaction) -> None:
    if not previous.nested:
        session.info.pop(_NEW_CERTIFICATES, None)
