"""The search page and API: partial matches apart and labelled, missing words named."""

from __future__ import annotations

from flask import Flask

from dam.models import Asset
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, ctx_of, login, state_of


def _captions(app: Flask, archive: Archive, captions: list[str]) -> None:
    with ctx_of(app).catalog.write() as session:
        for asset_id, caption in zip(archive.asset_ids, captions, strict=False):
            session.get(Asset, asset_id).caption = caption
        record_fixture_writes(session)
    state_of(app).search.sync()


def test_no_asset_with_every_word_is_said_and_partial_matches_stand_apart(
    app: Flask, archive: Archive,
) -> None:
    # Every asset's event is the market's opening: only the first also has "tianguis".
    _captions(app, archive, ["Mercado y tianguis de Meyehualco", "Mercado de flores",
                             "Desfile cívico"])
    client = app.test_client()
    login(client, "prensa")
    page = client.get("/buscar?q=mercado tianguis ballenas").text
    assert "Ningún material tiene todas las palabras" in page
    assert "Ningún material menciona «ballenas»" in page
    assert "0 resultados" in page
    main, _, partial = page.partition('class="partial-results"')
    assert "/material/" not in main.split('class="hits"')[1]  # nothing in the main grid
    first, *rest = archive.asset_ids
    assert all(partial.index(f"/material/{first}\"") < partial.index(f"/material/{other}\"")
               for other in rest)  # two of the words before one
    api = client.get("/api/v1/search?q=mercado tianguis ballenas").json
    assert api["total"] == 0 and api["hits"] == [] and api["missing_words"] == ["ballenas"]
    assert [h["id"] for h in api["partial"]][0] == first
    assert api["partial_total"] == 3


def test_a_date_in_words_shows_as_a_removable_chip(app: Flask, archive: Archive) -> None:
    client = app.test_client()
    login(client, "prensa")
    page = client.get("/buscar?q=mercado marzo 2025").text
    assert 'aria-label="Quitar la fecha marzo 2025"' in page
    assert 'href="/buscar?q=mercado"' in page  # the chip's link: the query without the date
    assert "3 resultados" in page  # the photos were taken on 14 March 2025
    assert "0 resultados" in client.get("/buscar?q=mercado abril 2025").text
