"""The blackout admin page: roles, periods typed in Mexico City time, deletion, exceptions."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from dam.curation.actor import Actor
from dam.curation.rights import as_utc
from dam.enums import Role
from dam.models import AuditEntry, BlackoutPeriod, Collection, utcnow
from dam.publishing.blackout import add_period
from tests.web.conftest import ctx_of, post_form, signed_in, use_english

ADMIN = Actor(None, "admin", Role.ADMIN)


@pytest.fixture(autouse=True)
def _english_pages(app: Flask) -> None:
    use_english(app)  # these tests read the pages' English text


def _periods(app: Flask) -> list[BlackoutPeriod]:
    with ctx_of(app).catalog.read() as session:
        periods = list(session.scalars(select(BlackoutPeriod).order_by(BlackoutPeriod.id)))
        session.expunge_all()
        return periods


def _album(client: FlaskClient, title: str = "Campaña de vacunación") -> int:
    response = post_form(client, "/colecciones/nueva", title=title, description="")
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.mark.parametrize(("who", "status"), [("prensa", 403), ("fotografa", 403),
                                             ("editora", 403), ("admin", 200)])
def test_the_page_is_for_admins(app: Flask, who: str, status: int) -> None:
    client = signed_in(app, who)
    assert client.get("/admin/veda").status_code == status
    assert post_form(client, "/admin/veda", starts_at="2027-04-01T00:00",
                     ends_at="2027-06-07T00:00", reason="x").status_code in (status, 303)
    nav = client.get("/colecciones").get_data(as_text=True)
    assert ('href="/admin/veda"' in nav) == (status == 200)
    if status == 403:
        assert _periods(app) == []


def test_a_period_typed_in_mexico_city_time_is_stored_in_utc(app: Flask) -> None:
    client = signed_in(app, "admin")
    response = post_form(client, "/admin/veda", starts_at="2027-04-01T00:00",
                         ends_at="2027-06-06T23:59", reason="Proceso electoral local 2027",
                         notice="Por veda electoral, la galería está suspendida.")
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/veda")
    (period,) = _periods(app)
    assert as_utc(period.starts_at) == dt.datetime(2027, 4, 1, 6, 0, tzinfo=dt.UTC)  # UTC-6
    assert as_utc(period.ends_at) == dt.datetime(2027, 6, 7, 5, 59, tzinfo=dt.UTC)
    assert period.notice == "Por veda electoral, la galería está suspendida."
    page = client.get("/admin/veda").get_data(as_text=True)
    assert "Blackout period added." in page and "Proceso electoral local 2027" in page
    assert "Upcoming" in page
    assert "civil protection and health" in page  # the exception rule is explained
    with ctx_of(app).catalog.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "blackout")).one()
        assert entry.username == "admin" and entry.new_value["reason"].startswith("Proceso")


@pytest.mark.parametrize(("fields", "message"), [
    ({"starts_at": "2027-06-01T00:00", "ends_at": "2027-04-01T00:00", "reason": "x"},
     "must end after it starts"),
    ({"starts_at": "2027-04-01T00:00", "ends_at": "2027-06-01T00:00", "reason": " "},
     "Write the reason"),
    ({"starts_at": "ayer", "ends_at": "2027-06-01T00:00", "reason": "x"},
     "Give the start and the end"),
    ({"starts_at": "2027-04-01T00:00", "ends_at": "", "reason": "x"},
     "Give the start and the end"),
])
def test_invalid_periods_are_refused_and_the_form_kept(app: Flask, fields: dict[str, str],
                                                       message: str) -> None:
    client = signed_in(app, "admin")
    response = post_form(client, "/admin/veda", **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert f'value="{fields["starts_at"]}"' in page
    assert _periods(app) == []


def test_periods_are_shown_past_current_and_future(app: Flask) -> None:
    now = utcnow()
    day = dt.timedelta(days=1)
    with ctx_of(app).catalog.write() as session:
        add_period(session, ADMIN, now - 10 * day, now - 5 * day, "Elección pasada")
        add_period(session, ADMIN, now - day, now + day, "Consulta popular")
        add_period(session, ADMIN, now + 5 * day, now + 10 * day, "Elección próxima")
    page = signed_in(app, "admin").get("/admin/veda").get_data(as_text=True)
    assert page.index("Elección próxima") < page.index("Consulta popular") < page.index(
        "Elección pasada")
    assert 'class="period-current"' in page and 'class="period-past"' in page
    assert "In force" in page and "Past" in page and "Upcoming" in page


def test_deleting_a_period_needs_confirmation(app: Flask) -> None:
    now = utcnow()
    with ctx_of(app).catalog.write() as session:
        period_id = add_period(session, ADMIN, now, now + dt.timedelta(days=1), "Error").id
    client = signed_in(app, "admin")
    post_form(client, f"/admin/veda/{period_id}/borrar")
    assert "Tick the box" in client.get("/admin/veda").get_data(as_text=True)
    assert len(_periods(app)) == 1
    response = post_form(client, f"/admin/veda/{period_id}/borrar", confirm="1")
    assert response.status_code == 303
    assert _periods(app) == []
    assert "Blackout period deleted." in client.get("/admin/veda").get_data(as_text=True)
    assert post_form(client, f"/admin/veda/{period_id}/borrar", confirm="1").status_code == 404
    with ctx_of(app).catalog.read() as session:
        removed = session.scalars(select(AuditEntry).where(AuditEntry.action == "blackout")
                                  .order_by(AuditEntry.id.desc())).first()
        assert removed is not None and removed.old_value["reason"] == "Error"
    assert client.post(f"/admin/veda/{period_id}/borrar", data={"confirm": "1"}
                       ).status_code == 400  # no CSRF token


def test_admins_set_an_exception_with_a_reason(app: Flask) -> None:
    admin = signed_in(app, "admin")
    album = _album(admin)
    page = admin.get(f"/colecciones/{album}").get_data(as_text=True)
    assert "Electoral blackout exception" in page
    path = f"/colecciones/{album}/excepcion-veda"
    post_form(admin, path, kind="salud", reason="")
    assert "Write why this collection" in admin.get(f"/colecciones/{album}").get_data(
        as_text=True)
    response = post_form(admin, path, kind="salud", reason="Campaña de vacunación contra "
                         "la influenza")
    assert (response.status_code, response.headers["Location"]) == (303, f"/colecciones/{album}")
    with ctx_of(app).catalog.read() as session:
        collection = session.get(Collection, album)
        assert collection is not None and collection.blackout_exception == "salud"
    page = admin.get(f"/colecciones/{album}").get_data(as_text=True)
    assert "Blackout exception recorded." in page and "Blackout exception: Health" in page
    listing = admin.get("/admin/veda").get_data(as_text=True)
    assert "Campaña de vacunación" in listing and "Health" in listing
    post_form(admin, path, kind="", reason="")
    with ctx_of(app).catalog.read() as session:
        assert session.get(Collection, album).blackout_exception is None  # type: ignore[union-attr]
        kinds = session.scalars(select(AuditEntry.action).where(
            AuditEntry.collection_id == album, AuditEntry.action == "blackout_exception")).all()
    assert len(kinds) == 2
    assert post_form(admin, path, kind="elecciones", reason="x").status_code == 400
    assert post_form(admin, "/colecciones/99999/excepcion-veda", kind="").status_code == 404


def test_editors_cannot_set_exceptions(app: Flask) -> None:
    editor = signed_in(app, "editora")
    album = _album(editor)
    assert post_form(editor, f"/colecciones/{album}/excepcion-veda", kind="salud",
                     reason="x").status_code == 403
    with ctx_of(app).catalog.read() as session:
        assert session.get(Collection, album).blackout_exception is None  # type: ignore[union-attr]
