"""The publishing page: roles, the button and its runs, held-back reasons, the gallery toggle."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from dam.curation.actor import Actor
from dam.curation.workflow import change_state
from dam.enums import BlackoutException, JobKind, MediaType, PublishStatus, Role, WorkflowState
from dam.models import Asset, AuditEntry, Collection, Job, PublishRun, User, utcnow
from dam.publishing.blackout import add_period, set_exception
from publish.jobs import run_queued_publications
from publish.keys import init_keys
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import add_photos, ctx_of, post_form, signed_in, use_english

ADMIN = Actor(None, "admin", Role.ADMIN)


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)  # these tests read the pages' English text


def _album(client: FlaskClient, title: str = "Jornada de vacunación") -> int:
    response = post_form(client, "/colecciones/nueva", title=title, description="")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _blackout(app: Flask, reason: str = "Proceso electoral local 2027") -> None:
    now = utcnow()
    with ctx_of(app).catalog.write() as session:
        add_period(session, ADMIN, now - dt.timedelta(days=1), now + dt.timedelta(days=30),
                   reason, "La galería vuelve al terminar la veda.")


def _runs(app: Flask) -> list[PublishRun]:
    with ctx_of(app).catalog.read() as session:
        runs = list(session.scalars(select(PublishRun).order_by(PublishRun.id)))
        session.expunge_all()
        return runs


def _jobs(app: Flask) -> list[JobKind]:
    with ctx_of(app).catalog.read() as session:
        return [JobKind(k) for k in session.scalars(select(Job.kind))]


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("who", "status"), [("prensa", 403), ("fotografa", 403),
                                             ("editora", 200), ("admin", 200)])
def test_the_page_is_for_editors(app: Flask, who: str, status: int) -> None:
    client = signed_in(app, who)
    assert client.get("/publicacion").status_code == status
    nav = _text(client, "/colecciones")
    assert ('href="/publicacion"' in nav) == (status == 200)


def test_the_public_is_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/publicacion")
    assert response.status_code == 302 and "/entrar?next=" in response.headers["Location"]


def test_csrf_is_enforced(app: Flask) -> None:
    client = signed_in(app, "editora")
    album = _album(client)
    assert client.post("/publicacion/galeria").status_code == 400
    assert client.post(f"/colecciones/{album}/galeria", data={"on": "1"}).status_code == 400
    assert client.post("/publicacion/galeria",
                       data={"csrf_token": "forged"}).status_code == 400
    assert _runs(app) == [] and _jobs(app) == []


def test_the_button_queues_one_run_and_its_job(app: Flask) -> None:
    client = signed_in(app, "editora")
    assert "Publish gallery" in _text(client, "/publicacion")
    response = post_form(client, "/publicacion/galeria")
    assert response.status_code == 303
    (run,) = _runs(app)
    assert response.headers["Location"] == f"/publicacion/ejecuciones/{run.id}"
    assert run.status == PublishStatus.QUEUED and run.stats == {"notice": False}
    assert _jobs(app) == [JobKind.PUBLISH_GALLERY]
    page = _text(client, f"/publicacion/ejecuciones/{run.id}")
    assert "The gallery will be published in a moment." in page
    assert '<meta http-equiv="refresh"' in page  # it refreshes itself while queued
    assert "Queued" in page and "Editora" in page
    again = post_form(client, "/publicacion/galeria")
    assert again.headers["Location"] == f"/publicacion/ejecuciones/{run.id}"
    assert "already under way" in _text(client, again.headers["Location"])
    assert len(_runs(app)) == 1 and len(_jobs(app)) == 1
    index = _text(client, "/publicacion")
    assert '<meta http-equiv="refresh"' in index
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Publish gallery", index)


def test_a_request_while_a_publication_runs_is_refused_with_who_and_when(app: Flask) -> None:
    editora, admin = signed_in(app, "editora"), signed_in(app, "admin")
    assert post_form(editora, "/publicacion/galeria").status_code == 303
    (run,) = _runs(app)
    with ctx_of(app).catalog.write() as session:  # a worker (on any node) took it
        started = session.get(PublishRun, run.id)
        assert started is not None
        started.status, started.started_at = PublishStatus.RUNNING.value, utcnow()
    refused = post_form(admin, "/publicacion/galeria")
    assert refused.status_code == 409 and refused.headers["Retry-After"] == "5"
    page = refused.get_data(as_text=True)
    assert (f"The gallery is being published already: Editora started publication {run.id} at"
            in page)
    assert "Publish again when it has finished." in page
    assert len(_runs(app)) == 1 and len(_jobs(app)) == 1
    with ctx_of(app).catalog.write() as session:
        finished = session.get(PublishRun, run.id)
        assert finished is not None
        finished.status = PublishStatus.DONE.value
    assert post_form(admin, "/publicacion/galeria").status_code == 303  # then it is queued
    assert len(_runs(app)) == 2


def _asset(app: Flask, headline: str) -> int:
    with ctx_of(app).catalog.write() as session:
        asset = Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO, byte_size=1,
                      original_filename="f.jpg", original_key="originals/x", headline=headline)
        session.add(asset)
        session.flush()
        record_fixture_writes(session)
        return asset.id


def test_a_run_page_lists_what_was_held_back_and_why(app: Flask) -> None:
    client = signed_in(app, "editora")
    album = _album(client, "Recorrido <b>nocturno</b>")
    kid, secret = _asset(app, "Niños en el festival"), _asset(app, "Reunión interna")
    held = [
        {"asset_id": kid, "reasons": ["minors_without_consent", "unapproved"],
         "details": ["it shows minors", "workflow state is draft"], "collection_id": album},
        {"asset_id": secret, "reasons": ["internal_only", "embargoed", "consent_revoked"],
         "details": ["", "", ""], "collection_id": album},
    ]
    with ctx_of(app).catalog.write() as session:
        user_id = session.scalar(select(User.id).where(User.username == "editora"))
        run = PublishRun(kind="gallery", target="/srv/galeria", status=PublishStatus.DONE,
                         requested_by=user_id, finished_at=utcnow(),
                         stats={"notice": False, "collections": 1, "photos": 7, "videos": 1,
                                "written": 30, "unchanged": 4, "removed": 2, "seconds": 1.5,
                                "held": held})
        session.add(run)
        session.flush()
        run_id = run.id
    page = _text(client, f"/publicacion/ejecuciones/{run_id}")
    assert "Finished" in page and '<meta http-equiv="refresh"' not in page
    for words in ("it shows minors and no valid consent covers it",
                  "it is not approved for publication", "it is for internal use only",
                  "it is under embargo", "its consent form was revoked"):
        assert words in page
    assert f'href="/material/{kid}"' in page and "Niños en el festival" in page
    assert f'href="/material/{secret}"' in page
    assert "Recorrido &lt;b&gt;nocturno&lt;/b&gt;" in page  # escaped
    assert "7 photos" in page and "30 files written, 4 unchanged, 2 removed" in page
    index = _text(client, "/publicacion")
    assert "Held back in the last publication" in index and "Niños en el festival" in index
    assert f'href="/publicacion/ejecuciones/{run_id}#held">2<' in index
    assert client.get("/publicacion/ejecuciones/99999").status_code == 404


def test_a_refused_run_shows_its_reason(app: Flask) -> None:
    with ctx_of(app).catalog.write() as session:
        session.add(PublishRun(kind="gallery", target="x", status=PublishStatus.REFUSED,
                               error="electoral blackout in force until 2027-06-07 00:00"))
    page = _text(signed_in(app, "editora"), "/publicacion/ejecuciones/1")
    assert "Refused" in page and "electoral blackout in force until 2027-06-07" in page


def test_an_editor_puts_a_collection_in_the_gallery_and_takes_it_out(app: Flask) -> None:
    client = signed_in(app, "editora")
    album = _album(client, "Mercado sobre ruedas")
    page = _text(client, f"/colecciones/{album}")
    assert "Not in the public gallery." in page and "Add to the public gallery" in page
    assert "Electoral blackout exception" not in page  # for admins only
    response = post_form(client, f"/colecciones/{album}/galeria", on="1")
    assert response.status_code == 303 and response.headers["Location"] == f"/colecciones/{album}"
    page = _text(client, f"/colecciones/{album}")
    assert "Added to the public gallery" in page and "In the public gallery since" in page
    index = _text(client, "/publicacion")
    assert f'href="/colecciones/{album}"' in index and "Mercado sobre ruedas" in index
    post_form(client, f"/colecciones/{album}/galeria", on="0", next="/publicacion")
    assert "Removed from the public gallery" in _text(client, "/publicacion")
    with ctx_of(app).catalog.read() as session:
        assert session.get(Collection, album).published_at is None  # type: ignore[union-attr]
        actions = session.scalars(select(AuditEntry.new_value).where(
            AuditEntry.action == "gallery", AuditEntry.collection_id == album)).all()
    assert len(actions) == 2 and actions[1] is None
    assert post_form(client, f"/colecciones/{album}/galeria", on="x").status_code == 400
    assert post_form(client, "/colecciones/99999/galeria", on="1").status_code == 404


def test_viewers_see_no_gallery_panel_and_cannot_toggle(app: Flask) -> None:
    album = _album(signed_in(app, "editora"))
    viewer = signed_in(app, "prensa")
    page = _text(viewer, f"/colecciones/{album}")
    assert "public gallery" not in page
    assert post_form(viewer, f"/colecciones/{album}/galeria", on="1").status_code == 403


def test_a_blackout_disables_publishing_for_editors(app: Flask) -> None:
    client = signed_in(app, "editora")
    album = _album(client, "Inauguración de un parque")
    _blackout(app)
    index = _text(client, "/publicacion")
    assert "Electoral blackout in force" in index and "Proceso electoral local 2027" in index
    assert "civil protection and health" in index
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Publish gallery", index)
    assert "Replace the gallery with the blackout notice" not in index
    response = post_form(client, "/publicacion/galeria")  # a stale page posts anyway
    assert response.status_code == 303
    assert "Publishing was refused" in _text(client, "/publicacion")
    (run,) = _runs(app)
    assert run.status == PublishStatus.REFUSED and "Proceso electoral" in (run.error or "")
    assert _jobs(app) == []
    assert post_form(client, "/publicacion/galeria", notice="1").status_code == 403
    page = _text(client, f"/colecciones/{album}")
    assert re.search(r"disabled[^>]*>Add to the public gallery", page)
    post_form(client, f"/colecciones/{album}/galeria", on="1")
    assert "was not added to the gallery" in _text(client, f"/colecciones/{album}")
    with ctx_of(app).catalog.read() as session:
        assert session.get(Collection, album).published_at is None  # type: ignore[union-attr]


def test_during_a_blackout_excepted_collections_go_in_and_admins_publish_the_notice(
        app: Flask) -> None:
    editor = signed_in(app, "editora")
    album = _album(editor, "Alerta sísmica: simulacro")
    _blackout(app)
    with ctx_of(app).catalog.write() as session:
        set_exception(session, ADMIN, album, BlackoutException.CIVIL_PROTECTION, "Simulacro")
    post_form(editor, f"/colecciones/{album}/galeria", on="1")
    assert "Added to the public gallery" in _text(editor, f"/colecciones/{album}")
    admin = signed_in(app, "admin")
    index = _text(admin, "/publicacion")
    assert "Replace the gallery with the blackout notice" in index
    assert "Civil protection" in index  # the exception column
    response = post_form(admin, "/publicacion/galeria", notice="1")
    (run,) = _runs(app)
    assert response.headers["Location"] == f"/publicacion/ejecuciones/{run.id}"
    assert run.status == PublishStatus.QUEUED and run.stats == {"notice": True}
    assert _jobs(app) == [JobKind.PUBLISH_GALLERY]
    assert "blackout notice" in _text(admin, f"/publicacion/ejecuciones/{run.id}")


def test_the_notice_needs_a_blackout(app: Flask) -> None:
    admin = signed_in(app, "admin")
    post_form(admin, "/publicacion/galeria", notice="1")
    assert "No electoral blackout is in force" in _text(admin, "/publicacion")
    assert _runs(app) == []


def test_the_worker_runs_what_the_button_queued(app: Flask, tmp_path: Path) -> None:
    ctx = ctx_of(app)
    init_keys(ctx.settings)  # as `dam init` does: the manifest key, a development C2PA pair
    approved, draft = add_photos(app, tmp_path / "tarjeta", count=2).asset_ids
    editor = Actor(None, "editora", Role.EDITOR)
    with ctx.catalog.write() as session:
        for state in (WorkflowState.REVIEWED, WorkflowState.APPROVED):
            assert change_state(session, editor, [approved], state, utcnow()).changed
    client = signed_in(app, "editora")
    album = _album(client, "Recorrido por el mercado")
    post_form(client, "/colecciones/agregar", collection_id=album, asset_id=[approved, draft])
    post_form(client, f"/colecciones/{album}/galeria", on="1")
    location = post_form(client, "/publicacion/galeria").headers["Location"]
    assert len(run_queued_publications(ctx)) == 1
    page = _text(client, location)
    assert "Finished" in page and '<meta http-equiv="refresh"' not in page
    assert "1 collection · 1 photo" in page
    assert f'href="/material/{draft}"' in page and "it is not approved for publication" in page
    assert f'href="/material/{approved}"' not in page
