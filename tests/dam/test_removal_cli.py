"""`dam trash ...` and `dam erase`: the shell's way to the trash and legal erasure, audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from dam.cli import get_cli
from dam.context import Context
from dam.models import Asset, AuditEntry, Erasure
from tests.curation.test_trash import ingest_photos, stored
from web.housekeeping import run_housekeeping


def _dam(ctx: Context, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(get_cli(), list(args), obj={"settings": ctx.settings})


def test_trash_list_restore_and_purge_from_the_shell(ctx: Context, tmp_path: Path) -> None:
    first, second = ingest_photos(ctx, tmp_path)
    moved = _dam(ctx, "trash", str(first), str(second), "999")
    assert moved.exit_code == 0, moved.output
    assert "moved to the trash: 2" in moved.output and "999" in moved.output
    listed = json.loads(_dam(ctx, "trash", "list", "--json").output)
    assert sorted(i["asset_id"] for i in listed) == [first, second]
    assert {i["days_left"] for i in listed} == {30}
    assert all(i["trashed_by"].startswith("shell:") for i in listed)  # who ran `dam`
    assert "2 in the trash" in _dam(ctx, "trash", "list").output
    assert "restored: 1" in _dam(ctx, "trash", "restore", str(second)).output
    assert "purged: 0" in _dam(ctx, "trash", "purge").output  # not yet past trash_days
    with ctx.catalog.read() as session:
        sha = session.get(Asset, first).sha256
        who = set(session.scalars(select(AuditEntry.username).where(
            AuditEntry.action.in_(("trash", "restore")))))
    assert len(who) == 1 and next(iter(who)).startswith("shell:")
    # Housekeeping, 31 days on, purges what is left in the trash.
    report = run_housekeeping(ctx, dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
    assert report.purged == 1
    assert not any(sha in key for key in stored(ctx))
    assert "0 in the trash" in _dam(ctx, "trash", "list").output
    assert "Assets: 1" in _dam(ctx, "status").output


def test_erase_needs_a_reason_and_removes_the_files(ctx: Context, tmp_path: Path) -> None:
    (only,) = ingest_photos(ctx, tmp_path, count=1)
    with ctx.catalog.read() as session:
        sha = session.get(Asset, only).sha256
    assert _dam(ctx, "erase", str(only), "--yes").exit_code == 2  # --reason is required
    short = _dam(ctx, "erase", str(only), "--reason", "x", "--yes")
    assert short.exit_code == 1 and "written reason" in short.output
    asked = CliRunner().invoke(get_cli(), ["erase", str(only), "--reason", "Oficio 12/2026 INFO"],
                               obj={"settings": ctx.settings}, input="n\n")
    assert asked.exit_code == 1 and ctx.store.exists(f"originals/{sha[:2]}/{sha[2:4]}/{sha}")
    done = _dam(ctx, "erase", str(only), "--reason", "Oficio 12/2026 INFO", "--yes")
    assert done.exit_code == 0, done.output
    assert "erased" in done.output and sha in done.output
    assert not any(sha in key for key in stored(ctx))
    with ctx.catalog.read() as session:
        assert session.scalars(select(Erasure.reason)).one() == "Oficio 12/2026 INFO"
