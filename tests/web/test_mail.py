"""Invitations and password resets by email through a real SMTP server, sent from the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from dam.config import Settings
from dam.enums import JobKind, JobState
from dam.models import Job, MailMessage, User
from tests.changefeed_check import record_fixture_writes
from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, ctx_of, login, post_form, signed_in
from tests.web.mailbox import (
    Mailbox,
    body,
    free_port,
    link_in,
    send_queued_mail,
    smtp_server,
)
from web import accounts

NEW = "contraseña-nueva-segura"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def web_settings(tmp_path: Path, smtp: tuple[Mailbox, int]) -> Settings:
    return make_settings(tmp_path, login_attempts=3, smtp_host="127.0.0.1", smtp_port=smtp[1],
                         smtp_starttls=False, mail_from="Acervo <acervo@example.org>")


def _set_email(app: Flask, username: str, address: str) -> None:
    with ctx_of(app).catalog.write() as session:
        session.scalars(select(User).where(User.username == username)).one().email = address
        record_fixture_writes(session)


def _path(url: str) -> str:
    return urlsplit(url).path


def test_password_reset_by_mail_works_once(app: Flask, smtp: tuple[Mailbox, int],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    _set_email(app, "prensa", "prensa@example.org")
    client = app.test_client()
    assert "entrar/olvido" in client.get("/entrar").get_data(as_text=True)
    other = signed_in(app, "prensa")  # a session elsewhere, ended by the reset
    page = post_form(client, "/entrar/olvido", who="prensa@example.org")
    assert page.status_code == 302
    assert box.messages == []  # the request only queued it
    assert send_queued_mail(ctx_of(app), monkeypatch) == [JobState.DONE]
    [message] = box.to("prensa@example.org")
    assert message["Subject"] == "Restablecer su contraseña de Acervo"
    assert "acervo@example.org" in message["From"]
    text = body(message)
    assert "Hola, Prensa:" in text and "vale 1 hora" in text
    assert "Elegir una contraseña nueva" in body(message, "html")
    link = _path(link_in(message))

    assert client.get(link).status_code == 200
    done = post_form(client, link, new_password=NEW, confirm_password=NEW)
    assert done.status_code == 302
    catalog = ctx_of(app).catalog
    assert accounts.authenticate(catalog, "prensa", NEW) is not None
    assert accounts.authenticate(catalog, "prensa", PASSWORD) is None
    assert other.get("/cuenta").status_code in (302, 401)
    again = post_form(client, link, new_password="y" + NEW, confirm_password="y" + NEW)
    assert again.status_code == 404  # single use
    assert accounts.authenticate(catalog, "prensa", NEW) is not None


def test_same_answer_for_unknown_accounts_and_rate_limited(
        app: Flask, smtp: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    _set_email(app, "prensa", "prensa@example.org")
    client = app.test_client()
    known = post_form(client, "/entrar/olvido", who="prensa")
    unknown = post_form(client, "/entrar/olvido", who="nadie")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    flashes = []
    for who in ("prensa", "nadie"):
        other = app.test_client()
        post_form(other, "/entrar/olvido", who=f"{who}@example.org")
        flashes.append(other.get("/entrar").get_data(as_text=True).split("<main", 1)[-1])
    assert flashes[0] == flashes[1]
    send_queued_mail(ctx_of(app), monkeypatch)
    assert len(box.to("prensa@example.org")) == 2 and len(box.messages) == 2
    for _ in range(3):
        post_form(client, "/entrar/olvido", who="prensa")
    assert post_form(client, "/entrar/olvido", who="prensa").status_code == 429


def test_expired_or_forged_link_is_refused(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/entrar/nueva/not-a-token").status_code == 404
    with app.test_request_context():
        from itsdangerous import URLSafeTimedSerializer

        old = URLSafeTimedSerializer(app.secret_key, salt="acervo-password-reset")
        import time as _time

        monkey = old.dumps({"u": 1, "e": 0})
    real_time = _time.time
    try:
        _time.time = lambda: real_time() + 3700  # type: ignore[assignment]
        assert client.get(f"/entrar/nueva/{monkey}").status_code == 404
    finally:
        _time.time = real_time  # type: ignore[assignment]


def test_invitation_by_mail(app: Flask, smtp: tuple[Mailbox, int],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    admin = signed_in(app, "admin")
    response = post_form(admin, "/admin/usuarios", username="reportera", role="viewer",
                         display_name="Reportera Uno", email="reportera@example.org")
    assert response.status_code == 302
    page = admin.get("/admin/usuarios").get_data(as_text=True)
    assert "reportera@example.org" in page and "/bienvenida/" not in page
    send_queued_mail(ctx_of(app), monkeypatch)
    [message] = box.to("reportera@example.org")
    assert message["Subject"] == "Su cuenta en Acervo"
    assert "«reportera»" in body(message) and "vale 7 días" in body(message)
    link = _path(link_in(message))
    client = app.test_client()
    assert post_form(client, link, new_password=NEW, confirm_password=NEW).status_code == 302
    assert app.test_client().get(link).status_code == 404  # used


def test_mail_waits_while_the_server_is_down(app: Flask, smtp: tuple[Mailbox, int],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    ctx = ctx_of(app)
    down = ctx.settings.replace(smtp_port=free_port())  # nothing listens there
    monkeypatch.setattr(ctx, "settings", down)
    _set_email(app, "prensa", "prensa@example.org")
    post_form(app.test_client(), "/entrar/olvido", who="prensa")
    assert send_queued_mail(ctx, monkeypatch) == [JobState.QUEUED]
    with ctx.catalog.read() as session:
        job = session.scalars(select(Job).where(Job.kind == JobKind.SEND_MAIL)).one()
        assert job.attempts == 0 or job.transient_retries == 1
        assert "mail server unavailable" in (job.transient_error or "")
        assert session.scalars(select(MailMessage)).one().sent_at is None
        session.expunge(job)
    with ctx.catalog.write() as session:  # due now, as after the backoff
        stored = session.get(Job, job.id)
        assert stored is not None
        stored.run_after = stored.created_at
        record_fixture_writes(session)
    monkeypatch.undo()
    send_queued_mail(ctx, monkeypatch)
    assert len(box.to("prensa@example.org")) == 1


def test_without_smtp_the_link_is_sent_by_hand(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                                smtp: tuple[Mailbox, int]) -> None:
    ctx = ctx_of(app)
    monkeypatch.setattr(ctx, "settings", ctx.settings.replace(smtp_host=""))
    client = app.test_client()
    page = client.get("/entrar/olvido").get_data(as_text=True)
    assert "administrador" in page.lower() or "administrator" in page.lower()
    admin = signed_in(app, "admin")
    post_form(admin, "/admin/usuarios", username="reportera", role="viewer",
              email="reportera@example.org")
    assert "/bienvenida/" in admin.get("/admin/usuarios").get_data(as_text=True)
    assert login  # the sign-in helper stays importable for other tests
