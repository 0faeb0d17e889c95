"""The reports' counts stay exact as material changes: edits, batch edits, date moves, trash,
restore, erasure. On PostgreSQL a staff report sums the rollup kept per day (its dirty days
counted again first); it must equal a live GROUP BY and the search facets of the same days. On
SQLite the report counts live, and must give the same figures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text, update

from dam.config import Settings
from dam.context import Context
from dam.enums import AssetState, MediaType, WorkflowState
from dam.models import Asset, Batch, ReportDayCount
from dam.reports import rollup
from dam.reports.figures import build_report, count_material, count_per_chart, dated_material
from dam.reports.material import Counts
from dam.reports.period import Period, day_range, quarter
from dam.search.documents import WORKFLOW_SLUGS
from dam.search.service import SearchService
from tests.changefeed_check import record_fixture_writes

Q1 = quarter(2025, 1)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _fill(ctx: Context) -> dict[str, int]:
    """Q1 2025 and its edges: own dates, two undated photos of a batch, one in April."""
    with ctx.catalog.write() as session:
        feria = Batch(event="Feria", event_date=dt.date(2025, 3, 15), area="Cultura",
                      place="Tezonco", photographer="Luis")
        session.add(feria)
        rows = {  # name: (taken_at, area, event, place, creator, campaign)
            "mercado": (dt.datetime(2025, 3, 1, 0, 0), "Obras", "Mercado", "Centro", "Ana", None),
            "mercado2": (dt.datetime(2025, 3, 31, 23, 59), "Obras", "Mercado", None, "Ana", "X"),
            "recorrido": (dt.datetime(2025, 3, 9, 12), None, "Recorrido", "Centro", "Ana", " "),
            "febrero": (dt.datetime(2025, 2, 9), "Obras", "Febrero", "Centro", "Eva", None),
            "abril": (dt.datetime(2025, 4, 1, 0, 1), "Obras", "Abril", "Centro", "Eva", None),
            "sin_fecha": (None, None, None, None, None, None),
            "sin_fecha2": (None, "Salud", None, "  ", None, None),
        }
        ids = {}
        for n, (name, (taken, area, event, place, who, campaign)) in enumerate(rows.items()):
            asset = Asset(sha256=f"{n:064x}", byte_size=1, original_filename=f"{name}.jpg",
                          original_key=f"k{n}", state=AssetState.READY, taken_at=taken,
                          area=area, event=event, sublocation=place, creator=who,
                          campaign=campaign, batch=feria,
                          media_type=MediaType.VIDEO if n == 2 else MediaType.PHOTO,
                          workflow_state=WorkflowState.PUBLISHED if n % 2 else
                          WorkflowState.DRAFT)
            session.add(asset)
            session.flush()
            ids[name] = asset.id
        ids["feria"] = feria.id
        record_fixture_writes(session)
    return ids


def _counts(ctx: Context, period: Period) -> Counts:
    """The report's counts, checked against a live GROUP BY (and, on PostgreSQL, against the
    live statement the rollup replaced)."""
    with ctx.catalog.read() as session:
        reported = count_material(session, period)
        live = count_per_chart(session, dated_material(period))
        assert reported == live
        report = build_report(session, period, now=NOW)
    assert report.material == sum(n for n, _events in reported.months.values())
    assert report.events == reported.events
    return reported


def _agree_with_search(ctx: Context, settings: Settings, counts: Counts, period: Period) -> None:
    search = SearchService(settings, ctx.catalog, refresh_seconds=0.0)
    try:
        search.sync()
        found = search.search(f"fecha:{period.first}..{period.last}", per_page=1,
                              facets=("area", "event", "photographer", "place", "workflow"))
    finally:
        search.close()
    facets = {name: dict(values) for name, values in found.facets.items()}
    assert found.total == sum(counts.by_column["workflow"].values())
    # Not "place": its facet lists every place a photo names (its own, its city, its batch's),
    # where the colonia chart counts a photo once (its own place, else its batch's).
    for name in ("area", "event", "photographer"):
        named = {k: v for k, v in counts.by_column[name].items() if k is not None}
        assert named == facets[name], name
    assert {WORKFLOW_SLUGS[k]: v for k, v in counts.by_column["workflow"].items()} == \
        facets["workflow"]


def test_counts_stay_exact_through_edits(any_ctx: Context, any_settings: Settings) -> None:
    ids = _fill(any_ctx)
    counts = _counts(any_ctx, Q1)
    # What a photo lacks (or has blank) it takes from its batch, dated or not.
    assert counts.by_column["area"] == {"Obras": 3, "Cultura": 2, "Salud": 1}
    assert counts.by_column["place"] == {"Centro": 3, "Tezonco": 3}
    assert counts.months == {(2025, 2): (1, 1), (2025, 3): (5, 3)}
    _agree_with_search(any_ctx, any_settings, counts, Q1)

    with any_ctx.catalog.write() as session:  # an edit of one photo
        session.get(Asset, ids["mercado"]).area = "Cultura"
        record_fixture_writes(session)
    assert _counts(any_ctx, Q1).by_column["area"] == {"Obras": 2, "Cultura": 3, "Salud": 1}

    with any_ctx.catalog.write() as session:  # a batch edit: what undated photos inherit
        feria = session.get(Batch, ids["feria"])
        feria.area, feria.place, feria.event_date = "Deporte", "Xalpa", dt.date(2025, 2, 20)
        record_fixture_writes(session)
    counts = _counts(any_ctx, Q1)
    assert counts.by_column["area"] == {"Obras": 2, "Cultura": 1, "Deporte": 2, "Salud": 1}
    assert counts.by_column["place"] == {"Centro": 3, "Xalpa": 3}
    assert counts.months == {(2025, 2): (3, 2), (2025, 3): (3, 2)}

    with any_ctx.catalog.write() as session:  # a date moved out of the quarter, one into it
        session.get(Asset, ids["febrero"]).taken_at = dt.datetime(2025, 4, 2, 9)
        session.get(Asset, ids["abril"]).taken_at = dt.datetime(2025, 1, 5, 9)
        record_fixture_writes(session)
    counts = _counts(any_ctx, Q1)
    assert counts.months == {(2025, 1): (1, 1), (2025, 2): (2, 1), (2025, 3): (3, 2)}
    assert counts.by_column["event"] == {"Mercado": 2, "Recorrido": 1, "Abril": 1, "Feria": 2}
    _agree_with_search(any_ctx, any_settings, counts, Q1)

    with any_ctx.catalog.write() as session:  # to the trash, and a batch photo given a date
        session.get(Asset, ids["mercado2"]).trashed_at = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
        session.get(Asset, ids["sin_fecha"]).taken_at = dt.datetime(2025, 3, 20, 10)
        record_fixture_writes(session)
    counts = _counts(any_ctx, Q1)
    assert counts.months == {(2025, 1): (1, 1), (2025, 2): (1, 1), (2025, 3): (3, 3)}
    assert counts.by_column["event"] == {"Mercado": 1, "Recorrido": 1, "Abril": 1, "Feria": 2}

    with any_ctx.catalog.write() as session:  # restored from the trash; one photo erased
        session.get(Asset, ids["mercado2"]).trashed_at = None
        session.delete(session.get(Asset, ids["recorrido"]))
        record_fixture_writes(session)
    counts = _counts(any_ctx, Q1)
    assert counts.by_column["event"] == {"Mercado": 2, "Abril": 1, "Feria": 2}
    assert counts.by_column["media_type"] == {MediaType.PHOTO: 5}

    with any_ctx.catalog.write() as session:  # one statement over many rows
        session.execute(update(Asset).where(Asset.area == "Obras").values(
            workflow_state=WorkflowState.APPROVED, campaign="Limpieza",
            updated_at=dt.datetime.now(dt.UTC)))
        record_fixture_writes(session)
    counts = _counts(any_ctx, Q1)
    assert counts.by_column["workflow"][WorkflowState.APPROVED] == 2
    assert counts.by_column["campaign"] == {"Limpieza": 2, None: 3}
    _agree_with_search(any_ctx, any_settings, counts, Q1)
    for period in (day_range(dt.date(2025, 3, 1), dt.date(2025, 3, 1)),
                   day_range(dt.date(2024, 12, 1), dt.date(2025, 6, 30))):
        _counts(any_ctx, period)


def _postgres(ctx: Context) -> bool:
    return not ctx.catalog.is_sqlite


def test_a_change_committed_during_a_recount_is_not_lost(any_ctx: Context) -> None:
    if not _postgres(any_ctx):
        return  # SQLite counts live: nothing is kept to go stale
    ids = _fill(any_ctx)
    _counts(any_ctx, Q1)
    engine = any_ctx.catalog.engine
    with engine.connect() as writer:
        writer.execute(text("UPDATE assets SET area = 'Tarde' WHERE id = :id"),
                       {"id": ids["mercado"]})
        # A recount while the change is not yet committed: it cannot see it, nor take its mark.
        with any_ctx.catalog.write() as session:
            session.get(Asset, ids["febrero"]).area = "Antes"
            record_fixture_writes(session)
        assert rollup.refresh_days(engine, Q1.first, Q1.last) == 1  # 9 February only
        writer.commit()
    with any_ctx.catalog.read() as session:
        assert rollup.has_dirty_days(session, Q1.first, Q1.last)  # 1 March, marked again
    counts = _counts(any_ctx, Q1)
    assert counts.by_column["area"]["Tarde"] == 1 and counts.by_column["area"]["Antes"] == 1


def test_housekeeping_counts_every_dirty_day_in_steps(any_ctx: Context) -> None:
    from web.housekeeping import count_report_days

    _fill(any_ctx)
    if not _postgres(any_ctx):
        assert count_report_days(any_ctx) == 0  # nothing kept: reports count live
        return
    engine = any_ctx.catalog.engine
    # Six days: 1, 9, 15 (the batch's, for its undated photos) and 31 March, 9 February, 1 April.
    assert rollup.refresh_days(engine, per_transaction=2) == 6
    with any_ctx.catalog.write() as session:
        session.execute(update(Asset).values(area="Otra"))
        record_fixture_writes(session)
    assert count_report_days(any_ctx) == 6
    with any_ctx.catalog.read() as session:
        assert not rollup.has_dirty_days(session)
        rows = session.execute(select(ReportDayCount.day).distinct()).scalars().all()
    assert len(rows) == 6
    assert rollup.refresh_days(engine) == 0
    _counts(any_ctx, day_range(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    with engine.begin() as conn:  # emptying the catalog empties the rollup
        conn.execute(text("TRUNCATE assets, batches CASCADE"))
    with any_ctx.catalog.read() as session:
        assert session.execute(select(ReportDayCount)).first() is None
        assert count_material(session, Q1).months == {}


def test_the_migration_marks_every_day_of_an_existing_archive(postgres_url: str) -> None:
    """Upgraded with material in it, the catalog has every day of it dirty: the first report
    (or housekeeping) counts them, and agrees with a live count."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from dam.db import Catalog, alembic_config, migrate
    from dam.reports.period import year

    config = alembic_config(postgres_url)
    before = ScriptDirectory.from_config(config).get_revision("0026").down_revision
    command.upgrade(config, str(before))
    catalog = Catalog(postgres_url)
    with catalog.engine.connect() as conn:  # before 0026: nothing marks anything
        assert conn.execute(text("SELECT to_regclass('report_dirty_days')")).scalar() is None
    with catalog.write() as session:
        feria = Batch(event="Feria", event_date=dt.date(2025, 3, 15), area="Cultura")
        session.add(feria)
        for n, taken in enumerate((dt.datetime(2025, 3, 1, 9), dt.datetime(2025, 7, 4, 9), None)):
            session.add(Asset(sha256=f"{n:064x}", byte_size=1, original_filename="a.jpg",
                              original_key=f"k{n}", state=AssetState.READY, taken_at=taken,
                              batch=feria, event="Mercado" if n else None))
        record_fixture_writes(session)
    migrate(catalog)
    with catalog.read() as session:
        assert rollup.has_dirty_days(session)
        counts = count_material(session, year(2025))
        assert counts == count_per_chart(session, dated_material(year(2025)))
        assert counts.by_column["event"] == {"Mercado": 2, "Feria": 1}
        assert not rollup.has_dirty_days(session, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    catalog.dispose()


def test_recounts_run_one_at_a_time(any_ctx: Context) -> None:
    """A second recount waits for the first (two could not both replace the same day's rows)."""
    import threading

    from sqlalchemy.orm import Session

    from dam.db import serialize_on

    if not _postgres(any_ctx):
        return
    _fill(any_ctx)
    engine = any_ctx.catalog.engine
    done: list[int] = []
    with Session(engine) as holder, holder.begin():
        serialize_on(holder, rollup.LOCK)  # as a recount in progress holds it
        waiting = threading.Thread(target=lambda: done.append(rollup.refresh_days(engine)))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and done == []
    waiting.join(timeout=30)
    assert done == [6]
    _counts(any_ctx, day_range(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
