"""dam.mail on SQLite and PostgreSQL: a notice is queued once, sent by the worker's handler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dam.context import Context, open_context
from dam.enums import JobKind, JobState
from dam.mail import queue_mail
from dam.models import Job, MailMessage
from tests.conftest import init_catalog, make_settings
from tests.web.mailbox import Mailbox, body, send_queued_mail, smtp_server


@pytest.fixture(params=["sqlite", "postgresql"])
def mail_ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Context, Mailbox]]:
    with smtp_server() as (box, port):
        extra = {} if request.param == "sqlite" else {
            "catalog_url": request.getfixturevalue("postgres_url")}
        settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=port,
                                 smtp_starttls=False, **extra)
        init_catalog(settings)
        context = open_context(settings)
        try:
            yield context, box
        finally:
            context.close()


def test_a_notice_is_queued_once_and_sent(mail_ctx: tuple[Context, Mailbox],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, box = mail_ctx
    for attempt in range(2):
        with ctx.catalog.write() as session:
            queued = queue_mail(session, to="ana@example.org", subject="Carga lista: ñandú",
                                text="Hola, Ana:\n\nTerminó.", html="<p>Terminó.</p>",
                                kind="batch_done", dedupe_key="batch_done:7")
        if attempt == 1:
            assert queued is None  # the same notice, not twice
    assert send_queued_mail(ctx, monkeypatch) == [JobState.DONE]
    [message] = box.to("ana@example.org")
    assert message["Subject"] == "Carga lista: ñandú"
    assert "Terminó." in body(message) and "Terminó." in body(message, "html")
    with ctx.catalog.read() as session:
        assert session.scalars(select(MailMessage)).one().sent_at is not None
        assert session.scalars(select(Job.state).where(
            Job.kind == JobKind.SEND_MAIL)).all() == [JobState.DONE]
