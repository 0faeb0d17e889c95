"""Informes at scale: the report page over 1,000,000 assets on PostgreSQL.

Loads a synthetic archive into its own database (default ``bench_reports``, created if missing,
so the tests' database is never touched) with ``INSERT ... SELECT generate_series`` (about two
minutes for a million assets on 2 busy cores; kept for the next run unless ``--reload``), counts
every dirty day of the reports' rollup as housekeeping does (all of them after a load or the
migration; timed), then times the staff report page in the Flask test client, signed in as an
editor, for a month, a quarter and a year, and the public report (counted live) for a month and
a year (each ``--repeat`` times; median and p95). Then the year and the month again, each time
just after 1,000 assets were edited (spread over the year, or all in the month), so the request
first counts the dirty days again (``--repeat`` / 3 times). The reference, timed in the same run,
is the account page (sign-in, one query, the shell): the ratio says what the report costs over a
plain page. Prints a table, then one JSON object on its last line (with the load average).

    python bench/reports.py --assets 1000000 --repeat 15
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from dam.config import load_settings  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402
from dam.enums import Role  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/"
PASSWORD = "contraseña-de-banco-1"
AREAS, COLONIAS, DIVISIONS, PHOTOGRAPHERS, CAMPAIGNS, PROGRAMMES = 30, 220, 13, 40, 25, 15
PAGES = {
    "mes": "/informes?periodo=mes&mes=2025-03",
    "trimestre": "/informes?periodo=trimestre&trimestre=2025-T1",
    "anio": "/informes?periodo=anio&anio=2025",
    "mes_publico": "/informes?periodo=mes&mes=2025-03&publico=1",
    "anio_publico": "/informes?periodo=anio&anio=2025&publico=1",
}
# Reports opened just after 1,000 assets were edited (their days dirty, counted again by the
# request): spread over the year (about every day of it dirty), or one month's.
EDITED = {
    "anio_tras_1000_al_azar": ("/informes?periodo=anio&anio=2025", "2025-01-01", "2026-01-01"),
    "mes_tras_1000_del_mes": ("/informes?periodo=mes&mes=2025-03", "2025-03-01", "2025-04-01"),
}
EDIT = """UPDATE assets SET campaign = CASE WHEN campaign IS NULL THEN 'Campaña banco' END,
                          updated_at = now()
          WHERE id IN (SELECT id FROM assets WHERE taken_at >= :start AND taken_at < :end
                       ORDER BY random() LIMIT 1000)"""


def ensure_database(name: str) -> str:
    with psycopg.connect(SERVER + "postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


LOAD = [
    "TRUNCATE assets, batches, audit_log, vocabulary_terms RESTART IDENTITY CASCADE",
    # One batch per event: 20 events a week for six years, each with its own date; two events
    # in five document a government programme.
    """INSERT INTO batches (source, event, event_date, area, programme, place, photographer,
                           created_at)
       SELECT 'cli', 'Evento ' || b, DATE '2021-01-01' + (b % 2190),
              'Dirección General ' || (b % {areas}),
              CASE WHEN b % 5 < 2 THEN 'Programa ' || (b % {programmes}) END,
              'Colonia ' || (b % {colonias}),
              'Fotógrafo ' || (b % {photographers}), now()
       FROM generate_series(1, {batches}) AS b""",
    # Assets: 2% without a date of their own (dated by their batch, as the search does).
    """INSERT INTO assets (sha256, media_type, mime_type, byte_size, original_filename,
                          original_key, state, keywords, persons_shown, metadata_json,
                          batch_id, taken_at, event, area, programme, sublocation, creator,
                          campaign,
                          workflow_state, internal_only, contains_minors, sensitive,
                          embargo_until, created_at, updated_at)
       SELECT lpad(to_hex(a), 64, '0'),
              CASE WHEN a % 20 = 0 THEN 'video' WHEN a % 50 = 1 THEN 'document' ELSE 'photo' END,
              'image/jpeg', 1000000, 'f' || a || '.jpg', 'originals/' || a, 'ready',
              '[]', '[]', '{{}}', b.id,
              CASE WHEN a % 50 = 7 THEN NULL
                   ELSE b.event_date + make_interval(mins => (a * 7) % 720 + 480) END,
              b.event, b.area, b.programme, b.place, b.photographer,
              CASE WHEN a % 10 = 0 THEN 'Campaña ' || (a % {campaigns}) END,
              (ARRAY['draft','reviewed','approved','published','published','withdrawn'])
                  [1 + a % 6],
              a % 97 = 0, a % 89 = 0, false,
              CASE WHEN a % 101 = 0 THEN TIMESTAMPTZ '2099-01-01' END, now(), now()
       FROM generate_series(1, {assets}) AS a
       JOIN batches b ON b.id = 1 + (a % {batches})""",
    """INSERT INTO audit_log (at, action, username, detail)
       SELECT TIMESTAMPTZ '2021-01-01' + make_interval(mins => (n * 13) % 3153600),
              (ARRAY['presskit','share_create','share_view','share_view','share_download',
                     'edit','edit','state'])[1 + n % 8], 'banco', 'x'
       FROM generate_series(1, {audit}) AS n""",
    """INSERT INTO vocabulary_terms (vocabulary, label, active, created_at)
       SELECT 'territory', 'Dirección Territorial ' || d, true, now()
       FROM generate_series(1, {divisions}) AS d""",
    """INSERT INTO vocabulary_terms (vocabulary, label, parent_id, active, created_at)
       SELECT 'colonia', 'Colonia ' || c, 1 + c % {divisions}, true, now()
       FROM generate_series(0, {colonias} - 2) AS c""",
]


def load(url: str, assets: int) -> float:
    started = time.perf_counter()
    sizes = {"assets": assets, "batches": max(1, assets // 40), "audit": assets // 5,
             "areas": AREAS, "colonias": COLONIAS, "divisions": DIVISIONS,
             "photographers": PHOTOGRAPHERS, "campaigns": CAMPAIGNS,
             "programmes": PROGRAMMES}
    catalog = Catalog(url)
    with catalog.engine.begin() as conn:
        for statement in LOAD:
            conn.execute(text(statement.format(**sizes)))
    with catalog.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    catalog.dispose()
    return time.perf_counter() - started


def asset_count(url: str) -> int:
    catalog = Catalog(url)
    with catalog.engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM assets")).scalar_one()
    catalog.dispose()
    return int(found)


def timed(client, path: str, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
            "first_ms": round(times[0], 1)}


def refresh_all(url: str) -> tuple[float, int]:
    """Count every dirty day, as housekeeping does (after a load or the migration)."""
    from dam.reports.rollup import HOUSEKEEPING_DAYS, refresh_days

    catalog = Catalog(url)
    started = time.perf_counter()
    days = refresh_days(catalog.engine, per_transaction=HOUSEKEEPING_DAYS)
    seconds = time.perf_counter() - started
    with catalog.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE report_day_counts"))
    catalog.dispose()
    return seconds, days


def timed_after_edits(client, url: str, path: str, start: str, end: str,  # type: ignore[no-untyped-def]
                      repeat: int) -> dict[str, float]:
    """The page just after 1,000 assets dated in [start, end) were edited (not timed)."""
    catalog = Catalog(url)
    times, dirty = [], []
    for _ in range(repeat):
        with catalog.engine.begin() as conn:
            conn.execute(text(EDIT), {"start": start, "end": end})
            dirty.append(conn.execute(text(
                "SELECT count(DISTINCT day) FROM report_dirty_days")).scalar_one())
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    catalog.dispose()
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
            "first_ms": round(times[0], 1), "dirty_days": round(statistics.median(dirty))}


def measure(url: str, repeat: int) -> dict[str, dict[str, float]]:
    from web import create_app
    from web.accounts import create_user

    folder = tempfile.mkdtemp(prefix="bench-reports-")
    os.environ["DAM_CATALOG_URL"] = url
    os.environ["DAM_DATA_DIR"] = folder
    settings = load_settings()
    catalog = Catalog(url)
    with catalog.engine.begin() as conn:
        conn.execute(text("DELETE FROM web_sessions"))
        conn.execute(text("DELETE FROM users WHERE username = 'banco'"))
    create_user(catalog, "banco", Role.EDITOR, password=PASSWORD, display_name="Banco")
    catalog.dispose()
    app = create_app(settings)
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "bench-csrf"
    client.post("/entrar", data={"username": "banco", "password": PASSWORD,
                                 "csrf_token": "bench-csrf"})
    results = {"reference_account": timed(client, "/cuenta", repeat)}
    for name, path in PAGES.items():
        client.get(path)  # warm: the first request of a kind loads templates
        results[name] = timed(client, path, repeat)
    for name, (path, start, end) in EDITED.items():
        results[name] = timed_after_edits(client, url, path, start, end, max(3, repeat // 3))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database", default="bench_reports")
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()
    url = ensure_database(args.database)
    catalog = Catalog(url)
    migrate(catalog)
    catalog.dispose()
    load_seconds = None
    if args.reload or asset_count(url) != args.assets:
        load_seconds = round(load(url, args.assets), 1)
    refresh_s, refreshed_days = refresh_all(url)
    print(f"rollup: {refreshed_days} dirty days counted in {refresh_s:.1f} s")
    results = measure(url, args.repeat)
    reference = results["reference_account"]["median_ms"]
    print(f"{'page':<22}{'median ms':>12}{'p95 ms':>10}{'x account':>11}")
    for name, figures in results.items():
        ratio = figures["median_ms"] / reference if reference else 0
        print(f"{name:<22}{figures['median_ms']:>12}{figures['p95_ms']:>10}{ratio:>11.1f}")
    staff = ("mes", "trimestre", "anio")
    worst = max(results[k]["p95_ms"] for k in staff)
    print(json.dumps({"bench": "reports", "assets": args.assets, "load_s": load_seconds,
                      "rollup_refresh_s": round(refresh_s, 1), "rollup_days": refreshed_days,
                      "load_average": [round(x, 2) for x in os.getloadavg()],
                      "pages": results, "ratio_month_to_account": round(
                          results["mes"]["median_ms"] / reference, 1) if reference else None,
                      "worst_staff_p95_ms": worst, "target_ms": 500, "met": worst < 500}))


if __name__ == "__main__":
    main()
