"""The `dam` command: catalog commands here, plus commands other packages register.

Packages that build on dam (ingest, web) add their commands through the ``dam.commands``
entry-point group, so dam never imports them. Errors are caught once here: a DamError becomes
its message on stderr and exit status 1.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from dam import catalog as catalog_service
from dam.config import Settings, load_settings
from dam.context import Context, open_context, signing_key
from dam.curation import vocabulary
from dam.curation.actor import SYSTEM
from dam.curation.audit import LogFilter, search_log
from dam.db import Catalog, migrate
from dam.enums import AssetState, VocabularyKind
from dam.errors import DamError
from dam.fixity import run_fixity
from dam.node_check import check_node
from dam.removal_cli import COMMANDS as removal_commands
from dam.shared_keys import local_keys, record_missing


class DamGroup(click.Group):
    """Turns DamError into a clear message and exit 1, wherever a command raises it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DamError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(1)


def get_settings(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = load_settings(obj.get("config_file"))
    return obj["settings"]


def get_context(ctx: click.Context) -> Context:
    obj = ctx.ensure_object(dict)
    if "context" not in obj:
        obj["context"] = open_context(get_settings(ctx))
        ctx.call_on_close(obj["context"].close)
    return obj["context"]


@click.group(cls=DamGroup)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Settings file (TOML). Default: $DAM_CONFIG, else ./dam.toml if present.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: int) -> None:
    """Acervo: the press office's photo, video and publications archive."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)["config_file"] = config_file


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the data folders and create or migrate the catalog."""
    settings = get_settings(ctx)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    Path(settings.index_path).mkdir(parents=True, exist_ok=True)
    signing_key(settings, create=True)
    catalog = Catalog(settings.catalog_url)
    try:
        before, after = migrate(catalog)
    finally:
        catalog.dispose()
    context = open_context(settings)
    store = context.store
    context.close()
    if before == after:
        click.echo(f"catalog is current (schema {after})")
    else:
        click.echo(f"catalog migrated from {before or 'empty'} to schema {after}")
    click.echo(
        f"catalog: {settings.catalog_url}\nstore:   {store.url}\nindex:   {settings.index_path}"
    )
    # Packages that build on dam prepare what they need (publish: development signing keys).
    for entry in entry_points(group="dam.init"):
        for line in entry.load()(settings):
            click.echo(line)
    _record_shared_keys(settings)


def _record_shared_keys(settings: Settings) -> None:
    """Record the shared secrets' fingerprints (the first node's win); say what to share."""
    keys = local_keys(settings)
    catalog = Catalog(settings.catalog_url)
    try:
        differing = record_missing(catalog, keys)
    finally:
        catalog.dispose()
    click.echo("to add a node, give it the same settings (catalog_url, store_url, "
               "s3_endpoint_url, replica_store_url, search_engine) and copies of:")
    for key in keys:
        click.echo(f"  {key.name}: {key.source}")
    click.echo("  then run `dam check` on it")
    for key in differing:
        click.secho(f"WARNING: {key.source} ({key.name}) differs from the copy the other nodes "
                    "use: copy theirs here (`dam check` says which)", fg="yellow", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """Check this node's settings against the catalog and the store; exit 1 with the reasons.

    Catalog reachable and migrated, store writable (and the replica reachable), shared keys the
    same as the other nodes', clock in step with the catalog server's, search index present.
    """
    findings = check_node(get_settings(ctx))
    failed = [f for f in findings if not f.ok]
    if as_json:
        click.echo(json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            mark = (click.style("FAIL", fg="red") if not finding.ok
                    else click.style("note", fg="yellow") if finding.note
                    else click.style("ok  ", fg="green"))
            click.echo(f"{mark} {finding.name}: {finding.detail}")
        click.echo(f"dam check: {len(failed)} problem(s)" if failed else "dam check: all good")
    if failed:
        ctx.exit(1)


def _print_summary(data: dict[str, Any]) -> None:
    size_mb = data["bytes"] / 1e6
    click.echo(f"Assets: {data['assets']} ({size_mb:.1f} MB of originals)"
               + (f", {data['in_trash']} in the trash" if data.get("in_trash") else ""))
    for title, key in (
        ("by state", "by_state"),
        ("by type", "by_type"),
        ("jobs", "jobs"),
        ("intake", "intake"),
    ):
        parts = ", ".join(f"{k} {v}" for k, v in sorted(data[key].items()))
        click.echo(f"  {title}: {parts or '-'}")
    waiting = data.get("waiting") or {}
    if waiting.get("jobs"):
        click.echo(f"Waiting for the store, catalog or disk to answer: {waiting['jobs']} job(s)")
        for row in waiting["latest"]:
            click.echo(f"  job {row['job']} ({row['kind']}, asset {row['asset_id']}): "
                       f"{row['retries']} retries, next at {row['next_try']}: {row['reason']}")
    if data["failed_assets"]:
        click.echo("Failed assets:")
        for row in data["failed_assets"]:
            click.echo(f"  #{row['id']} {row['file']}: {row['error']}")
    if data["failed_intake"]:
        click.echo("Files not taken in:")
        for row in data["failed_intake"]:
            click.echo(f"  {row['path']}: {row['error']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts by state and type, the queue, and failures with their reasons."""
    data = catalog_service.summary(get_context(ctx).catalog)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _print_summary(data)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of every catalog field.")
@click.option("--state", type=click.Choice([s.value for s in AssetState]))
@click.pass_context
def list_assets(ctx: click.Context, as_json: bool, state: str | None) -> None:
    """List assets (all catalog fields with --json)."""
    rows = catalog_service.iter_assets(
        get_context(ctx).catalog, state=AssetState(state) if state else None, faces=as_json
    )
    if as_json:
        out = sys.stdout
        out.write("[")
        for i, row in enumerate(rows):
            out.write(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False))
        out.write("\n]\n")
        return
    for row in rows:
        click.echo(
            f"{row['id']:>7}  {row['state']:<10} {row['media_type']:<8} "
            f"{row['sha256'][:12]}  {row['original_filename']}"
        )


@cli.command()
@click.argument("asset_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Every catalog field as JSON.")
@click.pass_context
def show(ctx: click.Context, asset_id: int, as_json: bool) -> None:
    """Show one asset."""
    data = catalog_service.get_asset(get_context(ctx).catalog, asset_id, faces=True)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if key not in {"metadata_json", "renditions", "faces"} and value not in (None, [], ""):
            click.echo(f"{key:>24}: {value}")
    for r in data["renditions"]:
        click.echo(f"{'rendition':>24}: {r['kind']} {r['width']}x{r['height']} {r['key']}")
    for face in data["faces"]:
        click.echo(f"{'face':>24}: {face['name'] or '?'} (group {face['group_id']}) "
                   f"box {face['box']}")


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Reprocess every asset, not only failed.")
@click.pass_context
def reprocess(ctx: click.Context, everything: bool) -> None:
    """Queue failed assets (or all) to be processed again by the workers."""
    context = get_context(ctx)
    n = catalog_service.reprocess(
        context.catalog, only_failed=not everything, max_attempts=context.settings.job_max_attempts
    )
    click.echo(f"{n} asset(s) queued; run `dam worker` to process them")


@cli.command()
@click.option(
    "--sample", type=int, default=None, help="Check N originals, least recently checked first."
)
@click.pass_context
def fixity(ctx: click.Context, sample: int | None) -> None:
    """Re-hash stored originals; report and record any mismatch or missing object."""
    context = get_context(ctx)
    report = run_fixity(context.catalog, context.store, sample=sample)
    click.echo(f"checked {report.checked}: {report.ok} intact, {len(report.problems)} problem(s)")
    for problem in report.problems:
        click.secho(f"  #{problem.asset_id} {problem.filename}: {problem.detail}", fg="red")
    if report.problems:
        ctx.exit(1)


@cli.group()
def vocab() -> None:
    """Controlled vocabularies: areas, territories, colonias, programmes, people, places..."""


_KIND = click.Choice([k.value for k in VocabularyKind])


@vocab.command("list")
@click.argument("kind", type=_KIND)
@click.option("--all", "everything", is_flag=True, help="Include deactivated terms.")
@click.pass_context
def vocab_list(ctx: click.Context, kind: str, everything: bool) -> None:
    """List a vocabulary's terms: label, code and parent."""
    with get_context(ctx).catalog.read() as session:
        terms = vocabulary.list_terms(session, VocabularyKind(kind), include_inactive=everything)
        parents = vocabulary.labels_by_id(session, [t.parent_id for t in terms])
        for term in terms:
            code = f"={term.code}" if term.code else ""
            parent = f"  [{parents[term.parent_id]}]" if term.parent_id in parents else ""
            inactive = "  (inactive)" if not term.active else ""
            click.echo(f"{term.id:>6}  {code:<12} {term.label}{parent}{inactive}")


@vocab.command("import")
@click.argument("kind", type=_KIND)
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.pass_context
def vocab_import(ctx: click.Context, kind: str, file: Any) -> None:
    """Add or update terms from FILE: one label per line, or CSV label,code,parent."""
    with get_context(ctx).catalog.write() as session:
        report = vocabulary.import_terms(session, SYSTEM, VocabularyKind(kind), file.read())
    click.echo(f"{len(report.added)} added, {len(report.updated)} updated, "
               f"{report.unchanged} unchanged")
    for label in report.added:
        click.echo(f"  + {label}")
    for label in report.updated:
        click.echo(f"  ~ {label}")


@vocab.command("add")
@click.argument("kind", type=_KIND)
@click.argument("label")
@click.option("--code", help="Short code typed as =code in captions (e.g. cb).")
@click.option("--parent", help="The parent term's label (a colonia's territorial division).")
@click.pass_context
def vocab_add(ctx: click.Context, kind: str, label: str, code: str | None,
              parent: str | None) -> None:
    """Add one term."""
    kind_ = VocabularyKind(kind)
    with get_context(ctx).catalog.write() as session:
        parent_id = vocabulary.find_parent(session, kind_, parent)
        term = vocabulary.add_term(session, SYSTEM, kind_, label, code=code, parent_id=parent_id)
        click.echo(f"added #{term.id} {term.label}" + (f" (={term.code})" if term.code else ""))


def _short(value: Any, limit: int = 60) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cli.command()
@click.option("--asset", "asset_id", type=int, help="Only this asset's history.")
@click.option("--user", "username", help="Only what this user did.")
@click.option("--action", help="Only this action (edit, state, rights, download...).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.pass_context
def audit(ctx: click.Context, asset_id: int | None, username: str | None, action: str | None,
          limit: int) -> None:
    """Print the audit log (bitácora), newest first."""
    where = LogFilter(asset_id=asset_id, username=username, action=action)
    with get_context(ctx).catalog.read() as session:
        entries = search_log(session, where, limit=limit)
        session.expunge_all()  # printed after the session ends
    for e in entries:
        target = f"#{e.asset_id}" if e.asset_id else (
            f"col {e.collection_id}" if e.collection_id else "-")
        change = f"{_short(e.old_value)} -> {_short(e.new_value)}"
        click.echo(f"{e.id:>7}  {e.at.isoformat(timespec='seconds')}  {e.username or '-':<12} "
                   f"{e.action:<12} {target:<8} {e.field or '-':<12} {change}"
                   + (f"  ({_short(e.detail, 80)})" if e.detail else ""))
    if not entries:
        click.echo("no entries")


for _command in removal_commands:
    cli.add_command(_command)

_plugins_loaded = False


def get_cli() -> click.Group:
    """The `dam` group with the commands that other packages register."""
    global _plugins_loaded
    if not _plugins_loaded:
        for ep in entry_points(group="dam.commands"):
            for command in ep.load():
                cli.add_command(command)
        _plugins_loaded = True
    return cli


def main() -> None:
    get_cli()(obj={})
