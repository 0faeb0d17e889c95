"""A small archive built straight into a catalog and store: photos, a consent scan, an album."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from click.testing import CliRunner

from dam.cli import get_cli
from dam.context import Context
from dam.curation import audit, collections, consent, rights
from dam.enums import AssetState, MediaType, RenditionKind
from dam.models import Asset, Batch, Rendition
from storage.keys import original_key, rendition_key
from tests.changefeed_check import record_fixture_writes
from tests.curation.conftest import make_actors


def cli() -> Any:
    """`dam` with the handover commands (also when the installed entry points predate them)."""
    group = get_cli()
    from dam.catalog_cli import commands as catalog
    from handover.cli import commands

    for command in [*commands, *catalog]:
        if command.name not in group.commands:
            group.add_command(command)
    return group


def add_asset(ctx: Context, content: bytes, filename: str, batch_id: int | None = None,
              thumb: bool = False, **fields: Any) -> int:
    sha = hashlib.sha256(content).hexdigest()
    ctx.store.put_bytes(original_key(sha), content)
    with ctx.catalog.write() as session:
        asset = Asset(sha256=sha, byte_size=len(content), original_filename=filename,
                      original_key=original_key(sha), state=AssetState.READY,
                      mime_type="image/jpeg", media_type=MediaType.PHOTO, batch_id=batch_id,
                      **fields)
        session.add(asset)
        session.flush()
        if thumb:
            key = rendition_key(sha, "thumbnail", "webp")
            ctx.store.put_bytes(key, b"thumb-" + content[:10])
            session.add(Rendition(asset_id=asset.id, kind=RenditionKind.THUMBNAIL, key=key,
                                  mime_type="image/webp", width=10, height=8,
                                  byte_size=len(b"thumb-" + content[:10])))
        record_fixture_writes(session)
        return asset.id


def build_archive(ctx: Context) -> dict[str, int]:
    """Five assets: two files called IMG_0001.JPG at one event, a restricted one, a scan."""
    actors = make_actors(ctx)
    with ctx.catalog.write() as session:
        batch = Batch(event="Jornada de salud", photographer="Ana López", source="web")
        session.add(batch)
        session.flush()
        batch_id = batch.id
    taken = dt.datetime(2025, 3, 14, 10, 30)
    ids = {
        "a": add_asset(ctx, b"first picture" * 100, "IMG_0001.JPG", batch_id, thumb=True,
                       taken_at=taken, event="Jornada de salud", caption="=HYPERLINK(\"x\")",
                       headline="Vacunación en la plaza", keywords=["salud", "vacunas"],
                       creator="Ana López", persons_shown=["María Pérez"], licence="CC-BY-4.0"),
        "b": add_asset(ctx, b"second picture" * 100, "IMG_0001.JPG", batch_id,
                       taken_at=taken, event="Jornada de salud", caption="Fila de espera"),
        "restricted": add_asset(ctx, b"internal" * 100, "interna.jpg", batch_id,
                                taken_at=dt.datetime(2025, 4, 2, 9), internal_only=True,
                                contains_minors=True, event="Reunión"),
        "late": add_asset(ctx, b"later" * 100, "despues.jpg", taken_at=dt.datetime(2026, 1, 5)),
        "scan": add_asset(ctx, b"%PDF scan" * 50, "consentimiento.pdf",
                          taken_at=dt.datetime(2024, 12, 1)),
    }
    editor = actors["editora"]
    with ctx.catalog.write() as session:
        album = collections.create_album(session, editor, "Salud 2025", "Brigadas")
        collections.add_items(session, editor, album.id, [ids["b"], ids["a"]])
        form = consent.create_consent(session, editor, consent.ConsentDraft(
            document_asset_id=ids["scan"], persons=["María Pérez"],
            signed_on=dt.date(2025, 3, 14), scope="Difusión institucional"))
        consent.cover_assets(session, editor, form.id, [ids["a"]])
        rights.set_rights(session, editor, [ids["b"]], {"sensitive": True},
                          licences=ctx.settings.licences.codes)
        audit.record(session, editor, "edit", asset_id=ids["a"], field="caption",
                     old=None, new="=HYPERLINK(\"x\")")
        ids["album"], ids["consent"] = album.id, form.id
    return ids


def listing(ctx: Context) -> list[dict[str, Any]]:
    """`dam list --json` of the context's catalog."""
    out = CliRunner().invoke(cli(), ["list", "--json"], obj={"context": ctx})
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def original_hashes(ctx: Context) -> dict[int, str]:
    hashes = {}
    for row in listing(ctx):
        digest = hashlib.sha256(ctx.store.read_bytes(row["original_key"])).hexdigest()
        hashes[row["id"]] = digest
    return hashes
