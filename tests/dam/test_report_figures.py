"""Report figures: the same counts by one GROUP BY per chart, by one pass of GROUPING SETS and
from the rollup, on SQLite and PostgreSQL; periods in Mexico City time."""

from __future__ import annotations

import datetime as dt

import pytest

from dam.context import Context
from dam.enums import AssetState, WorkflowState
from dam.models import Asset, Batch
from dam.reports.figures import (
    build_report,
    count_in_one_pass,
    count_material,
    count_per_chart,
    dated_material,
)
from dam.reports.period import PeriodError, day_range, month, parse_period, quarter, year
from tests.changefeed_check import record_fixture_writes


def _fill(ctx: Context) -> None:
    with ctx.catalog.write() as session:
        batch = Batch(event="Feria", event_date=dt.date(2025, 3, 15), area="Cultura",
                      programme="Utopías", place="Tezonco", photographer="Luis")
        session.add(batch)
        rows = [(dt.datetime(2025, 3, 1, 0, 0), "Obras", "Mercado", "Centro"),
                (dt.datetime(2025, 3, 31, 23, 59), "Obras", "Mercado", None),
                (dt.datetime(2025, 3, 9), None, "Recorrido", "Centro"),
                (dt.datetime(2025, 2, 9), "Obras", "Febrero", "Centro"),
                (None, None, None, None)]
        programmes = ["Mercomuna", "Mercomuna", "", "Mercomuna", None]  # the last: the batch's
        for n, (taken, area, event, place) in enumerate(rows):
            session.add(Asset(sha256=f"{n:064x}", byte_size=1, original_filename="a.jpg",
                              original_key=f"k{n}", state=AssetState.READY, taken_at=taken,
                              area=area, event=event, sublocation=place, batch=batch,
                              workflow_state=WorkflowState.PUBLISHED if n % 2 else
                              WorkflowState.DRAFT, campaign="Limpieza" if n == 0 else " ",
                              programme=programmes[n]))
        record_fixture_writes(session)


def test_one_pass_and_one_query_per_chart_agree(any_ctx: Context) -> None:
    _fill(any_ctx)
    with any_ctx.catalog.read() as session:
        dated = dated_material(quarter(2025, 1))
        per_chart = count_per_chart(session, dated)
        if session.get_bind().dialect.name == "postgresql":
            assert count_in_one_pass(session, dated) == per_chart
        assert count_material(session, quarter(2025, 1)) == per_chart  # rollup on PostgreSQL
        report = build_report(session, quarter(2025, 1), now=dt.datetime.now(dt.UTC))
    # The photo of 9 March has no area: its batch's counts (as in the search's facets).
    assert per_chart.by_column["area"] == {"Obras": 3, "Cultura": 2}
    assert per_chart.by_column["campaign"] == {"Limpieza": 1, None: 4}  # blank is not a value
    # A programme apart from the campaign; material without one (blank or none) takes its
    # batch's programme, as the area.
    assert per_chart.by_column["programme"] == {"Mercomuna": 3, "Utopías": 2}
    programme = report.figure("programme")
    assert [(r.label, r.count) for r in programme.rows] == [("Mercomuna", 3), ("Utopías", 2)]
    assert programme.missing == 0
    assert [f.key for f in report.figures][2:5] == ["area", "programme", "campaign"]
    assert per_chart.months == {(2025, 2): (1, 1), (2025, 3): (4, 3)}
    assert report.material == 5 and report.events == 4
    assert [(r.label, r.count, r.extra) for r in report.figure("month").rows] == [
        ("2025-01", 0, 0), ("2025-02", 1, 1), ("2025-03", 4, 3)]
    assert report.figure("colonia").missing == 0  # the batch's place for the photo without


def test_periods_are_days_of_mexico_city() -> None:
    march = month(2025, 3)
    assert (march.local_start, march.local_end) == (dt.datetime(2025, 3, 1),
                                                    dt.datetime(2025, 4, 1))
    assert march.utc_start == dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC)  # UTC-6
    assert march.label == "marzo de 2025" and march.slug == "2025-03"
    assert quarter(2025, 4).last == dt.date(2025, 12, 31)
    assert year(2024).months()[-1] == (2024, 12)
    assert parse_period("trimestre", trimestre="2025-t2").first == dt.date(2025, 4, 1)
    assert parse_period("rango", desde="2025-01-30", hasta="2025-02-02").months() == [
        (2025, 1), (2025, 2)]
    for kind, kwargs in (("mes", {"mes": "2025-13"}), ("anio", {"anio": "25"}),
                         ("rango", {"desde": "2025-02-02", "hasta": "2025-01-01"}),
                         ("semana", {})):
        with pytest.raises(PeriodError):
            parse_period(kind, **kwargs)
    with pytest.raises(PeriodError):
        day_range(dt.date(1900, 1, 1), dt.date(2025, 1, 1))


def test_the_printed_archive_by_series_medium_and_tone(any_ctx: Context) -> None:
    """Dated by publication date; the trash never counts; a public report counts what the
    public may see."""
    from dam.curation.rights import public_clause
    from dam.enums import PublicationKind, Tone

    _fill(any_ctx)
    with any_ctx.catalog.write() as session:
        pieces = [  # (date, kind, series, medium, tone, published, trashed)
            (dt.date(2025, 3, 3), PublicationKind.BULLETIN, "Gaceta Iztapalapa", None, None,
             True, False),
            (dt.date(2025, 3, 17), PublicationKind.BULLETIN, "Gaceta Iztapalapa", None, None,
             False, False),
            (dt.date(2025, 3, 20), PublicationKind.CLIPPING, None, "Reforma", Tone.NEGATIVE,
             True, False),
            (dt.date(2025, 3, 21), PublicationKind.CLIPPING, None, "La Jornada", Tone.POSITIVE,
             False, False),
            (dt.date(2025, 3, 22), PublicationKind.CLIPPING, None, "Reforma", None, False, False),
            (dt.date(2025, 3, 23), PublicationKind.CLIPPING, None, "Reforma", Tone.NEUTRAL,
             False, True),  # in the trash
            (dt.date(2025, 4, 2), PublicationKind.CLIPPING, None, "Reforma", Tone.POSITIVE,
             False, False),  # another month
        ]
        for n, (day, kind, series, medium, tone, published, trashed) in enumerate(pieces):
            session.add(Asset(
                sha256=f"{100 + n:064x}", byte_size=1, original_filename="p.pdf",
                original_key=f"p{n}", state=AssetState.READY, distribution_date=day,
                publication_kind=kind, series=series, medium=medium, tone=tone,
                workflow_state=WorkflowState.PUBLISHED if published else WorkflowState.DRAFT,
                trashed_at=dt.datetime(2025, 3, 24) if trashed else None))
        record_fixture_writes(session)
    now = dt.datetime.now(dt.UTC)
    with any_ctx.catalog.read() as session:
        staff = build_report(session, month(2025, 3), now=now)
        public = build_report(session, month(2025, 3), now=now, public_clause=public_clause)
    rows = lambda report, key: [(r.label, r.count) for r in report.figure(key).rows]  # noqa: E731
    assert rows(staff, "series") == [("Gaceta Iztapalapa", 2)]
    assert rows(staff, "medium") == [("Reforma", 2), ("La Jornada", 1)]
    assert rows(staff, "tone") == [("positive", 1), ("neutral", 0), ("negative", 1)]
    assert staff.figure("tone").missing == 1
    assert rows(public, "series") == [("Gaceta Iztapalapa", 1)]
    assert rows(public, "medium") == [("Reforma", 1)]


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_programmes_and_campaigns_agree_with_the_search_facets(any_ctx: Context,
                                                                engine: str) -> None:
    """The same days give the same counts per programme and campaign in the report and in the
    search's facets; material not yet processed (no date of its own) takes its batch's."""
    from dam.search.service import SearchService

    with any_ctx.catalog.write() as session:
        utopia = Batch(event="Utopía", event_date=dt.date(2025, 3, 15), programme="Utopías")
        other = Batch(event="Mercado", event_date=dt.date(2025, 3, 2))
        session.add_all([utopia, other])
        rows = [  # (taken, batch, programme, campaign)
            (dt.datetime(2025, 3, 2, 10), other, "Mercomuna", "Iztapalapa limpia"),
            (dt.datetime(2025, 3, 2, 11), other, "Mercomuna", None),
            (dt.datetime(2025, 3, 3, 9), other, None, "Iztapalapa limpia"),
            (dt.datetime(2025, 3, 15, 9), utopia, "Utopías", None),
            (None, utopia, None, None),  # pending: dated and tagged by its batch
            (dt.datetime(2025, 2, 28, 23), other, "Mercomuna", None),  # February
        ]
        for n, (taken, batch, programme, campaign) in enumerate(rows):
            session.add(Asset(sha256=f"{200 + n:064x}", byte_size=1, original_filename="a.jpg",
                              original_key=f"q{n}", state=AssetState.READY, taken_at=taken,
                              batch=batch, programme=programme, campaign=campaign))
        record_fixture_writes(session)
    service = SearchService(any_ctx.settings.replace(search_engine=engine), any_ctx.catalog,
                            refresh_seconds=0.0)
    try:
        found = service.search("fecha:2025-03-01..2025-03-31", per_page=1,
                               facets=("programme", "campaign"))
    finally:
        service.close()
    with any_ctx.catalog.read() as session:
        report = build_report(session, month(2025, 3), now=dt.datetime.now(dt.UTC))
    assert found.total == report.material == 5
    for key in ("programme", "campaign"):
        figure = report.figure(key)
        assert {r.label: r.count for r in figure.rows} == dict(found.facets[key]), key
    assert dict(found.facets["programme"]) == {"Mercomuna": 2, "Utopías": 2}
    assert report.figure("programme").missing == 1
