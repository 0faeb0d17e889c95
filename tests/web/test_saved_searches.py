"""Saved searches: kept from the search page, personal or shared, with what is new since."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from dam.models import Asset, SavedSearch
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, add_photos, ctx_of, post_form, signed_in


def _age_everything(app: Flask, days: int = 2) -> None:
    """Material and visits so far happened ``days`` ago (timestamps are set at insert)."""
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with ctx_of(app).catalog.write() as session:
        for asset in session.scalars(select(Asset)):
            asset.created_at = then
        for saved in session.scalars(select(SavedSearch)):
            saved.last_seen_at = then + dt.timedelta(hours=1)
        record_fixture_writes(session)


def _item(page: str, search_id: int) -> str:
    found = re.search(rf'data-saved-search="{search_id}">(.*?)</li>', page, re.S)
    assert found, page
    return found.group(1)


def test_a_saved_search_counts_new_material_since_the_last_visit(
        app: Flask, archive: Archive, tmp_path: Path) -> None:
    press = signed_in(app, "prensa")
    page = press.get("/buscar?q=mercado&pagina=2").get_data(as_text=True)
    assert "Guardar búsqueda" in page
    saved = post_form(press, "/busquedas-guardadas", name="Mercado", query="q=mercado&pagina=2",
                      shared="1")
    assert saved.status_code == 302
    post_form(press, "/busquedas-guardadas", name="Solo mía", query="q=obras")
    _age_everything(app)
    # Two more photos of the market, added now (the first three are the archive's, deduplicated).
    add_photos(app, tmp_path / "nuevas", count=5)

    listing = press.get("/busquedas-guardadas").get_data(as_text=True)
    assert "Mercado" in listing and "2 nuevos" in listing
    with ctx_of(app).catalog.read() as session:
        mine = session.scalars(select(SavedSearch).where(SavedSearch.name == "Mercado")).one()
        assert mine.query == "q=mercado"  # paging is not part of the search
        mine_id = mine.id
    opened = press.get(f"/busquedas-guardadas/{mine_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/buscar?q=mercado")
    again = press.get("/busquedas-guardadas").get_data(as_text=True)
    assert "nuevos" not in _item(again, mine_id)  # seen: nothing new since
    assert "2 nuevos" in _item(again, mine_id + 1)  # the other one was not opened

    editor = signed_in(app, "editora")  # the team sees the shared one, not the private one
    team = editor.get("/busquedas-guardadas").get_data(as_text=True)
    assert "Mercado" in team and "Solo mía" not in team
    assert post_form(editor, f"/busquedas-guardadas/{mine_id}/borrar").status_code == 403
    assert post_form(press, f"/busquedas-guardadas/{mine_id}/borrar").status_code == 302
    assert "Mercado" not in press.get("/busquedas-guardadas").get_data(as_text=True)

