"""E-mail through the outbox: sent after the commit, kept and retried when the server is down."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller

from lms.db import db
from lms.notifications import services as notifications
from lms.notifications.mail import MAX_ATTEMPTS, queue_mail
from lms.notifications.models import OutboxMessage, OutboxState
from lms.scheduler.registry import run_job
from tests.conftest import links_in
from tests.factories import trainee

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_port(app) -> Iterator[int]:  # type: ignore[no-untyped-def]
    port = free_port()
    previous = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        yield port
    finally:
        app.config["MAIL_URL"] = previous


def outbox_rows() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_an_event_mail_reaches_a_real_smtp_server_after_the_commit(app_ctx, smtp_port):
    controller, inbox = start_server(smtp_port)
    try:
        person = trainee(name="Tom Trainee")
        notifications.notify(
            person.id, "grade_released", "Your case study passed", link="/notifications/"
        )
        assert inbox.messages == []  # nothing before the commit
        db.session.commit()
    finally:
        controller.stop()
    [message] = inbox.messages
    assert message["To"] == person.email
    assert message["Subject"] == "Your case study passed"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "https://lms.example.test/notifications/" in links_in(text)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'href="https://lms.example.test/notifications/"' in html
    [row] = outbox_rows()
    db.session.refresh(row)
    assert row.state == OutboxState.SENT
    assert row.attempts == 1


def test_a_rolled_back_event_sends_nothing(app_ctx, mail_outbox):
    queue_mail(
        "someone@example.org", "Never", "notification", user=trainee(), title="t", body="", url=""
    )
    db.session.rollback()
    assert mail_outbox == []
    assert outbox_rows() == []


def test_a_message_refused_while_the_server_is_down_is_retried_and_delivered_once(
    app_ctx, smtp_port
):
    with time_machine.travel(T0, tick=False):
        queue_mail(
            "holder@example.org",
            "Your certificate",
            "notification",
            user=trainee(name="Hana Holder"),
            title="Your certificate",
            body="",
            url="https://lms.example.test/certificates/",
        )
        db.session.commit()  # the server is down: the first try fails
    [row] = outbox_rows()
    db.session.refresh(row)
    assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
    assert "Connection" in row.last_error or "Errno" in row.last_error
    first_retry = row.next_attempt_at
    assert first_retry > T0

    with time_machine.travel(first_retry - dt.timedelta(seconds=1), tick=False):
        assert run_job("retry-mail") == "0 of 0 sent"  # not yet due
    with time_machine.travel(first_retry, tick=False):
        assert run_job("retry-mail") == "0 of 1 sent"  # still down
    db.session.refresh(row)
    assert (row.state, row.attempts) == (OutboxState.PENDING, 2)
    assert row.next_attempt_at - first_retry > first_retry - T0  # the delay grows

    controller, inbox = start_server(smtp_port)
    try:
        with time_machine.travel(row.next_attempt_at, tick=False):
            assert run_job("retry-mail") == "1 of 1 sent"
        with time_machine.travel(row.next_attempt_at + dt.timedelta(hours=5), tick=False):
            assert run_job("retry-mail") == "0 of 0 sent"
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Your certificate"]
    db.session.refresh(row)
    assert (row.state, row.attempts) == (OutboxState.SENT, 3)


def test_after_the_last_attempt_a_message_is_marked_failed(app_ctx, smtp_port):
    with time_machine.travel(T0, tick=False):
        queue_mail(
            "x@example.org", "Hello", "notification", user=trainee(), title="Hello", body="", url=""
        )
        db.session.commit()
    [row] = outbox_rows()
    moment = T0
    for _ in range(MAX_ATTEMPTS + 2):
        moment += dt.timedelta(days=1)
        with time_machine.travel(moment, tick=False):
            run_job("retry-mail")
    db.session.refresh(row)
    assert (row.state, row.attempts) == (OutboxState.FAILED, MAX_ATTEMPTS)
