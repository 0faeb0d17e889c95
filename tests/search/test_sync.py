"""The index follows the catalog (SQLite and PostgreSQL), rebuilds beside itself, heals itself."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import threading

import pytest
from click.testing import CliRunner

from dam import changes
from dam.cli import get_cli
from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.curation.batch_edits import batch_edit
from dam.curation.edits import edit_asset
from dam.curation.removal import delete_asset_rows
from dam.enums import MediaType
from dam.models import Asset, Batch
from dam.search.service import SearchService
from dam.search.sync import ChangeFollower
from tests.changefeed_check import record_fixture_writes


def _add(ctx: Context, caption: str, **values: object) -> int:
    with ctx.catalog.write() as session:
        asset = Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO, byte_size=1,
                      original_filename="DSC_0001.JPG", original_key="originals/x",
                      caption=caption, creator="Ana Peña", area="Dirección General de Obras",
                      **values)
        session.add(asset)
        session.flush()
        record_fixture_writes(session)
        return asset.id


@pytest.fixture(params=["whoosh", "tantivy"])
def service(request: pytest.FixtureRequest, any_ctx: Context):  # type: ignore[no-untyped-def]
    settings = any_ctx.settings.replace(search_engine=request.param)
    svc = SearchService(settings, any_ctx.catalog, refresh_seconds=0.0)
    yield svc
    svc.close()


def _ids(svc: SearchService, query: str) -> set[int]:
    return {h.asset_id for h in svc.search(query, per_page=200).hits}


def test_new_edited_and_deleted_assets_follow_the_catalog(any_ctx: Context,
                                                          service: SearchService) -> None:
    first = _add(any_ctx, "Inauguración del mercado en Santa Cruz Meyehualco")
    assert _ids(service, "mercado") == {first}  # a missing index is built on first use
    second = _add(any_ctx, "Mercados sobre ruedas")
    assert service.sync() >= 1
    assert _ids(service, "mercado") == {first, second}
    with any_ctx.catalog.write() as session:
        edit_asset(session, SYSTEM, first, {"caption": "Jornada de bacheo"}, 1)
    with any_ctx.catalog.write() as session:
        delete_asset_rows(session, [second])
    service.sync()
    assert _ids(service, "mercado") == set()
    assert _ids(service, "bacheo") == {first}
    assert service.sync() == 0


def test_a_batch_edit_and_a_batch_change_reindex_their_assets(any_ctx: Context,
                                                              service: SearchService) -> None:
    """A batch edit records every asset it changes; a change to an upload batch records every
    asset of the batch, since those without an event of their own are found by the batch's."""
    with any_ctx.catalog.write() as session:
        batch = Batch(event="Jornada vecinal", event_date=dt.date(2025, 3, 14))
        session.add(batch)
        session.flush()
        batch_id = batch.id
    picked = [_add(any_ctx, f"Foto {i}") for i in range(3)]
    inherited = [_add(any_ctx, f"Foto {i}", batch_id=batch_id) for i in range(2)]
    service.sync()
    assert _ids(service, 'evento:"jornada vecinal"') == set(inherited)

    with any_ctx.catalog.write() as session:
        batch_edit(session, SYSTEM, picked[:2],
                   [{"field": "event", "op": "set", "value": "Feria del empleo"}])
    service.sync()
    assert _ids(service, 'evento:"feria del empleo"') == set(picked[:2])

    with any_ctx.catalog.write() as session:
        session.get(Batch, batch_id).event = "Feria de la salud"
        changes.record_batch(session, batch_id)
    assert service.sync() == 2
    assert _ids(service, 'evento:"feria de la salud"') == set(inherited)
    assert _ids(service, 'evento:"jornada vecinal"') == set()


def test_background_thread_makes_changes_searchable_within_seconds(
    any_ctx: Context, service: SearchService
) -> None:
    service.rebuild()
    service.start(interval=0.1)
    asset_id = _add(any_ctx, "Festival de danza folclórica")
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _ids(service, "danza") != {asset_id}:
        time.sleep(0.05)
    assert _ids(service, "danza") == {asset_id}


def test_reindex_swaps_while_searches_go_on(any_ctx: Context, service: SearchService) -> None:
    for i in range(30):
        _add(any_ctx, f"Recorrido de obra número {i}")
    service.rebuild()
    errors: list[str] = []
    stop = threading.Event()

    def search_loop() -> None:
        other = SearchService(service.settings, any_ctx.catalog, refresh_seconds=0.0)
        while not stop.is_set():
            r = other.search("recorrido", per_page=5)
            if r.error or r.total != 30:
                errors.append(r.error or str(r.total))
        other.close()

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        for _ in range(3):
            service.rebuild()
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(list(service.location.root.glob("gen-*"))) <= 2  # old generations removed


def test_missing_or_damaged_index_is_rebuilt(any_ctx: Context, service: SearchService) -> None:
    asset_id = _add(any_ctx, "Reforestación en el Cerro de la Estrella")
    service.rebuild()
    current = service.location.current()
    assert current is not None
    service.close()
    for f in (current / "data").iterdir():
        if f.is_file() and f.suffix not in {".lock"}:
            f.write_bytes(b"\0garbage")
    fresh = SearchService(service.settings, any_ctx.catalog)
    assert _ids(fresh, "arboles OR reforestacion") == {asset_id}
    fresh.close()
    shutil.rmtree(service.location.root)
    again = SearchService(service.settings, any_ctx.catalog)
    assert _ids(again, "reforestación") == {asset_id}
    again.close()


def test_follower_rereads_sequences_committed_out_of_order(ctx: Context) -> None:
    follower = ChangeFollower(ctx.catalog, 0, gap_seconds=60)
    follower._replay_since = None
    follower._advance([1, 2, 5], now=0.0)
    assert follower.last_seq == 5 and set(follower.gaps) == {3, 4}
    follower._advance([3], now=1.0)
    assert set(follower.gaps) == {4} and follower.last_seq == 5


def test_cli_search_reindex_and_sync(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    _add(ctx, "Entrega de becas a estudiantes")
    monkeypatch.setenv("DAM_DATA_DIR", str(ctx.settings.data_dir))
    runner = CliRunner()
    cli = get_cli()
    out = runner.invoke(cli, ["reindex"], obj={})
    assert out.exit_code == 0 and "1 asset(s)" in out.output
    out = runner.invoke(cli, ["search", "becas", "fotografo:peña"], obj={})
    assert out.exit_code == 0 and "1 resultado(s)" in out.output, out.output
    out = runner.invoke(cli, ["search", "fecha:2025-13"], obj={})
    assert out.exit_code == 1 and "fecha no válida" in out.output
    out = runner.invoke(cli, ["search", "becas", "ballenas", "marzo", "2025", "--json"], obj={})
    assert out.exit_code == 0 and '"missing_words": [\n    "ballenas"' in out.output, out.output
    assert '"first": "2025-03-01"' in out.output
    out = runner.invoke(cli, ["search", "becas", "ballenas"], obj={})
    assert "Ningún material menciona «ballenas»" in out.output
    assert "Ningún material tiene todas las palabras" in out.output
    out = runner.invoke(cli, ["search-sync", "--once"], obj={})
    assert out.exit_code == 0 and "change(s) applied" in out.output


def test_cli_search_syncs_first_or_says_how_far_behind(ctx: Context,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _add(ctx, "Entrega de becas a estudiantes")
    monkeypatch.setenv("DAM_DATA_DIR", str(ctx.settings.data_dir))
    runner = CliRunner()  # click 8.2: stdout and stderr apart, output both
    cli = get_cli()
    assert runner.invoke(cli, ["reindex"], obj={}).exit_code == 0
    _add(ctx, "Becas deportivas")  # no sync is running
    _add(ctx, "Becas para artistas")

    out = runner.invoke(cli, ["search", "becas", "--no-sync"], obj={})
    assert out.exit_code == 0 and "1 resultado(s)" in out.stdout
    assert "va 2 cambio(s) atrás del catálogo" in out.stderr

    out = runner.invoke(cli, ["search", "becas"], obj={})
    assert out.exit_code == 0 and "3 resultado(s)" in out.stdout
    assert "atrás" not in out.stderr
    out = runner.invoke(cli, ["search", "becas", "--json", "--no-sync"], obj={})
    assert json.loads(out.stdout)["index_behind"] == 0


def test_processes_finding_no_index_at_once_rebuild_it_once(
    any_ctx: Context, service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dam serve` starts several processes: one rebuilds a missing index, the others use it."""
    import dam.search.service as service_module

    asset_id = _add(any_ctx, "Jornada de vacunación en San Lorenzo Tezonco")
    rebuilds: list[int] = []
    real = service_module.rebuild_holding_lock

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        rebuilds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "rebuild_holding_lock", counted)
    services = [SearchService(service.settings, any_ctx.catalog) for _ in range(3)]
    found: list[set[int]] = []
    barrier = threading.Barrier(len(services))

    def first_search(svc: SearchService) -> None:
        barrier.wait()
        found.append(_ids(svc, "vacunacion"))

    threads = [threading.Thread(target=first_search, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for svc in services:
        svc.close()
    assert found == [{asset_id}] * 3 and rebuilds == [1]


def test_a_search_during_another_process_rebuild_says_so(
    any_ctx: Context, service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dam.search.service as service_module

    _add(any_ctx, "Feria del empleo")
    monkeypatch.setattr(service_module, "REBUILD_WAIT_SECONDS", 0.2)
    with service.location.rebuild_lock() as mine:  # another process is rebuilding
        assert mine
        result = service.search("feria")
    assert result.error and "being rebuilt" in result.error
    assert _ids(service, "feria") != set()  # once it is done, searches go on


def test_culling_marks_are_searchable_and_follow_the_loupe(any_ctx: Context,
                                                            service: SearchService) -> None:
    """An editor finds the picks of an event: seleccion:, estrellas: (at least), color:."""
    ids = [_add(any_ctx, f"Feria del empleo, toma {i}") for i in range(4)]
    marks = [(4, 1, "red"), (2, 1, None), (5, -1, "blue"), (0, 0, None)]
    with any_ctx.catalog.write() as session:
        for asset_id, (rating, pick, color) in zip(ids, marks, strict=True):
            asset = session.get(Asset, asset_id)
            asset.rating, asset.cull_mark, asset.color_label = rating, pick, color
        record_fixture_writes(session)
    service.rebuild()  # built from the catalog's columns
    assert _ids(service, "feria seleccion:elegida") == {ids[0], ids[1]}
    assert _ids(service, "feria -seleccion:descartada") == {ids[0], ids[1], ids[3]}
    assert _ids(service, "feria estrellas:4") == {ids[0], ids[2]}  # four stars or more
    assert _ids(service, "feria estrellas:0") == {ids[3]}
    assert _ids(service, "feria color:rojo") == {ids[0]}
    assert _ids(service, "feria colour:blue") == {ids[2]}  # English works too
    assert _ids(service, "feria picks:picked estrellas:3") == {ids[0]}
    facets = service.search("feria", facets=("pick", "stars")).facets
    assert dict(facets["pick"]) == {"elegida": 2, "descartada": 1, "sin-marcar": 1}
    assert dict(facets["stars"])["2"] == 3  # two stars or more
    bad = service.search("feria seleccion:quizas")
    assert bad.error and "elegida" in bad.error and not bad.unavailable
    with any_ctx.catalog.write() as session:  # marked again in the loupe
        session.get(Asset, ids[3]).cull_mark = 1
        session.get(Asset, ids[0]).rating = 1
        record_fixture_writes(session)
    service.sync()  # followed through the change feed
    assert _ids(service, "feria seleccion:elegida") == {ids[0], ids[1], ids[3]}
    assert _ids(service, "feria estrellas:4") == {ids[2]}


def test_an_embargo_that_ends_is_reflected_without_any_edit(
    any_ctx: Context, service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editors filtering out embargoed material see it again once its embargo is over."""
    import datetime as dt

    from dam.search import documents
    from dam.search.sync import reindex_lapsed_embargoes

    asset_id = _add(any_ctx, "Conferencia de prensa sobre el presupuesto")
    ends = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with any_ctx.catalog.write() as session:
        session.get(Asset, asset_id).embargo_until = ends
        record_fixture_writes(session)
    service.rebuild()
    assert _ids(service, "conferencia estado:embargado") == {asset_id}
    service.sync()  # following the feed does not end it before its time
    assert _ids(service, "conferencia estado:embargado") == {asset_id}
    later = ends + dt.timedelta(minutes=1)
    monkeypatch.setattr(documents, "utc_now", lambda: later)  # an hour and a minute go by
    # The embargo is over, and nobody edited the asset: the node's sync notices on its own.
    follower = SearchService(service.settings, any_ctx.catalog, refresh_seconds=0.0)
    follower.sync()
    assert _ids(follower, "conferencia estado:embargado") == set()
    assert _ids(follower, "conferencia -estado:embargado") == {asset_id}
    follower.close()
    engine, generation = service.engine(), service.location.current()
    assert reindex_lapsed_embargoes(any_ctx.catalog, engine, generation) == 0  # only once
