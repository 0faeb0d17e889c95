"""Notices by email from housekeeping: batch done, share link used, saved-search digest,
embargo ending; each one off on the account page, none mailed twice."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from dam.config import Settings
from dam.enums import AssetState, WorkflowState
from dam.models import Asset, AuditEntry, Batch, SavedSearch, User
from tests.changefeed_check import record_fixture_writes
from tests.conftest import make_settings
from tests.web.conftest import Archive, csrf, ctx_of, post_form, signed_in
from tests.web.mailbox import Mailbox, body, send_queued_mail, smtp_server
from web.housekeeping import run_housekeeping

LATER = dt.timedelta(minutes=5)  # past the quiet time after a batch's last file


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def web_settings(tmp_path: Path, smtp: tuple[Mailbox, int]) -> Settings:
    return make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp[1],
                         smtp_starttls=False, mail_base_url="https://acervo.example.org")


def _emails(app: Flask) -> dict[str, int]:
    with ctx_of(app).catalog.write() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        for name, user in users.items():
            user.email = f"{name}@example.org"
        record_fixture_writes(session)
        return {name: user.id for name, user in users.items()}


def _pass(app: Flask, monkeypatch: pytest.MonkeyPatch, now: dt.datetime) -> None:
    run_housekeeping(ctx_of(app), now)
    send_queued_mail(ctx_of(app), monkeypatch)


def test_batch_finished_once_with_failures_and_a_link(
        app: Flask, archive: Archive, smtp: tuple[Mailbox, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    ids = _emails(app)
    with ctx_of(app).catalog.write() as session:
        session.get(Batch, archive.batch_id).user_id = ids["fotografa"]  # type: ignore[union-attr]
        session.get(Asset, archive.asset_ids[0]).state = AssetState.FAILED  # type: ignore[union-attr]
        record_fixture_writes(session)
    now = dt.datetime.now(dt.UTC)
    _pass(app, monkeypatch, now)
    assert box.to("fotografa@example.org") == []  # the last file arrived just now: wait
    _pass(app, monkeypatch, now + LATER)
    _pass(app, monkeypatch, now + 2 * LATER)
    [message] = box.to("fotografa@example.org")
    assert message["Subject"] == "Carga lista: Inauguración del mercado (1 con error)"
    text = body(message)
    assert "3 archivo(s)" in text and "1 archivo(s) no se pudieron procesar" in text
    assert f"https://acervo.example.org/cargas/{archive.batch_id}" in text
    assert "https://acervo.example.org/cuenta" in text  # where to turn it off
    assert f'href="https://acervo.example.org/cargas/{archive.batch_id}"' in body(message,
                                                                                 "html")


def test_each_notice_can_be_turned_off(app: Flask, archive: Archive, smtp: tuple[Mailbox, int],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    ids = _emails(app)
    client = signed_in(app, "fotografa")
    page = client.get("/cuenta").get_data(as_text=True)
    assert page.count('name="notice"') == 4 and page.count("checked") == 4
    assert post_form(client, "/cuenta/avisos", notice=["share_used"]).status_code == 302
    assert client.get("/cuenta").get_data(as_text=True).count("checked") == 1
    with ctx_of(app).catalog.write() as session:
        session.get(Batch, archive.batch_id).user_id = ids["fotografa"]  # type: ignore[union-attr]
        record_fixture_writes(session)
    _pass(app, monkeypatch, dt.datetime.now(dt.UTC) + LATER)
    assert box.to("fotografa@example.org") == []


def test_share_link_opened(app: Flask, archive: Archive, smtp: tuple[Mailbox, int],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    _emails(app)
    with ctx_of(app).catalog.write() as session:
        session.execute(update(Asset).values(workflow_state=WorkflowState.APPROVED))
        record_fixture_writes(session)
    editor = signed_in(app, "editora")
    expires = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    made = editor.post("/compartir", data={
        "csrf_token": csrf(editor), "asset_id": [str(archive.asset_ids[0])],
        "title": "Luminarias", "expires": expires, "size": "press"}).get_data(as_text=True)
    found = re.search(r'value="http://[^/]+(/enlace/[^"]+)"', made)
    assert found, made[:300]
    _pass(app, monkeypatch, dt.datetime.now(dt.UTC))
    assert box.to("editora@example.org") == []  # not opened yet
    assert app.test_client().get(found.group(1)).status_code == 200
    _pass(app, monkeypatch, dt.datetime.now(dt.UTC))
    _pass(app, monkeypatch, dt.datetime.now(dt.UTC))
    [message] = box.to("editora@example.org")
    assert message["Subject"] == "Su enlace «Luminarias» se usó"
    assert "Alguien abrió su enlace «Luminarias»" in body(message)


def test_embargo_of_material_i_approved_ends_tomorrow(
        app: Flask, archive: Archive, smtp: tuple[Mailbox, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    ids = _emails(app)
    now = dt.datetime.now(dt.UTC)
    asset_id, later_id = archive.asset_ids[0], archive.asset_ids[1]
    with ctx_of(app).catalog.write() as session:
        for target in (asset_id, later_id):
            session.add(AuditEntry(user_id=ids["editora"], username="editora", action="state",
                                   asset_id=target, field="workflow_state", old_value="draft",
                                   new_value="approved"))
        session.get(Asset, asset_id).embargo_until = now + dt.timedelta(hours=20)  # type: ignore[union-attr]
        session.get(Asset, later_id).embargo_until = now + dt.timedelta(days=3)  # type: ignore[union-attr]
        record_fixture_writes(session)
    _pass(app, monkeypatch, now)
    _pass(app, monkeypatch, now)
    [message] = box.to("editora@example.org")
    assert message["Subject"].startswith("Termina un embargo")
    assert "que usted aprobó, termina el" in body(message)
    assert f"https://acervo.example.org/material/{asset_id}" in body(message)


def test_daily_digest_of_a_saved_search(app: Flask, archive: Archive,
                                        smtp: tuple[Mailbox, int],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    box, _port = smtp
    ids = _emails(app)
    now = dt.datetime.now(dt.UTC)
    with ctx_of(app).catalog.write() as session:
        session.add(SavedSearch(owner_id=ids["prensa"], name="Mercados", query="q=mercado",
                                created_at=now - dt.timedelta(days=2),
                                last_seen_at=now - dt.timedelta(days=2)))
        session.execute(update(Asset).values(created_at=now - dt.timedelta(hours=1)))
        record_fixture_writes(session)
    _pass(app, monkeypatch, now)
    _pass(app, monkeypatch, now + dt.timedelta(hours=2))  # not a day since: no second digest
    [message] = box.to("prensa@example.org")
    assert message["Subject"] == "Material nuevo en sus búsquedas guardadas"
    assert "«Mercados»: 3 material(es) nuevo(s)" in body(message)
