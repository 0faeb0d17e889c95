"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port), and the queue's mail run."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from dam.context import Context
from dam.enums import JobKind, JobState
from dam.mail import run_send_mail_job
from ingest import worker


class Mailbox:
    """Collects every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server collecting mail, and its port (for a test module's ``smtp`` fixture)."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def send_queued_mail(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> list[JobState | None]:
    """Run the due ``send_mail`` jobs as a worker would (the handler without reinstalling);
    other queued jobs (the fixtures processed their photos already) are marked done first."""
    from sqlalchemy import update

    from dam import queue
    from dam.models import Job

    with ctx.catalog.write() as session:
        session.execute(update(Job).where(Job.kind != JobKind.SEND_MAIL,
                                          Job.state == JobState.QUEUED)
                        .values(state=JobState.DONE))
    monkeypatch.setitem(worker.HANDLERS, JobKind.SEND_MAIL, run_send_mail_job)
    states = []
    while (job := queue.claim(ctx.catalog, "test", 30)) is not None:
        states.append(worker.run_job(ctx, job, "test"))
    return states


def body(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())  # type: ignore[attr-defined]


def link_in(message: EmailMessage) -> str:
    found = re.search(r"https?://\S+/(?:entrar/nueva|bienvenida)/\S+", body(message))
    assert found, body(message)
    return found.group(0)
