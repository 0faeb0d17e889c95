"""The ingest commands of `dam`: ingest, worker, watch, faces (added through an entry point)."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from pathlib import Path

import click
from tqdm import tqdm

from dam.catalog import BatchInfo, IntakeResult
from dam.cli import get_context, get_settings
from dam.enums import IntakeOutcome
from ingest.batching import ingest_paths
from ingest.faces_cli import faces_group
from ingest.import_cli import import_group
from ingest.versions_cli import commands as version_commands
from ingest.watch import HotFolder
from ingest.worker import run_workers


def batch_options(func):  # type: ignore[no-untyped-def]
    """The batch fields a photographer sets once for all files."""
    options = [
        click.option("--event", help="Event (evento), e.g. 'Inauguración del mercado'."),
        click.option(
            "--date",
            "event_date",
            type=click.DateTime(["%Y-%m-%d"]),
            help="Date of the event, YYYY-MM-DD.",
        ),
        click.option(
            "--area", help="Area of government (área), e.g. 'Dirección General de Obras'."
        ),
        click.option("--programme", help="Government programme (programa), e.g. 'Utopías'."),
        click.option("--place", help="Place (lugar): colonia, barrio, building."),
        click.option("--photographer", help="Photographer or videographer (fotógrafo/a)."),
        click.option("--caption", help="Caption (pie de foto) for files that have none."),
        click.option("--by", "created_by", help="Who hands the files in (default: photographer)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_batch_info(
    source: str,
    event: str | None,
    event_date: dt.datetime | None,
    area: str | None,
    programme: str | None,
    place: str | None,
    photographer: str | None,
    caption: str | None,
    created_by: str | None,
) -> BatchInfo:
    return BatchInfo(
        source=source,
        created_by=created_by or photographer,
        event=event,
        event_date=event_date.date() if event_date else None,
        area=area,
        programme=programme,
        place=place,
        photographer=photographer,
        caption=caption,
    )


def _describe(result: IntakeResult) -> str:
    if result.outcome == IntakeOutcome.DUPLICATE:
        return f"duplicate of asset #{result.asset_id}: {result.source_path}"
    if result.outcome == IntakeOutcome.FAILED:
        return f"failed: {result.source_path}: {result.error}"
    return f"new asset #{result.asset_id}: {result.source_path}"


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-r", "--recursive", is_flag=True, help="Descend into sub-folders.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERN",
    help="Skip files in folders whose name matches, e.g. '*.md' (repeatable).",
)
@batch_options
@click.option("--process", is_flag=True, help="Run the workers until every file is processed.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    recursive: bool,
    exclude: tuple[str, ...],
    process: bool,
    no_progress: bool,
    **batch: object,
) -> None:
    """Take in files and folders as one batch: store originals, queue them for processing."""
    context = get_context(ctx)
    info = make_batch_info("cli", **batch)  # type: ignore[arg-type]
    stderr = click.get_text_stream("stderr")
    bar = tqdm(total=0, unit="file", disable=True)

    def on_found(n: int) -> None:
        nonlocal bar
        bar = tqdm(total=n, unit="file", disable=no_progress, file=stderr)

    def on_result(result: IntakeResult) -> None:
        bar.update(1)
        if result.outcome != IntakeOutcome.NEW:
            bar.write(_describe(result), file=stderr)

    report = ingest_paths(
        context,
        list(paths),
        info,
        recursive=recursive,
        exclude=exclude,
        on_found=on_found,
        on_result=on_result,
    )
    bar.close()
    click.echo(
        f"batch #{report.batch_id}: {report.count(IntakeOutcome.NEW)} new, "
        f"{report.count(IntakeOutcome.DUPLICATE)} duplicate, "
        f"{report.count(IntakeOutcome.FAILED)} failed"
    )
    for failure in report.failures:
        click.echo(f"  {failure.source_path}: {failure.error}")
    if process:
        run_workers(context.settings, until_idle=True)
    elif report.count(IntakeOutcome.NEW):
        click.echo("queued for processing: run `dam worker` (or pass --process)")
    if report.failures:
        ctx.exit(1 if len(report.failures) == len(report.results) else 0)


@click.command()
@click.option(
    "-n",
    "--processes",
    type=int,
    default=None,
    help="Worker processes (default: setting `workers`).",
)
@click.option("--until-idle", is_flag=True, help="Exit when no work is left.")
@click.pass_context
def worker(ctx: click.Context, processes: int | None, until_idle: bool) -> None:
    """Run worker processes that process queued files (Ctrl-C stops them cleanly)."""
    settings = get_settings(ctx)
    get_context(ctx)  # fails early, with the fix, if the catalog is not ready
    restarts = run_workers(settings, processes, until_idle=until_idle)
    if restarts:
        click.echo(f"{restarts} worker process(es) died and were replaced", err=True)


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@batch_options
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between looks.")
@click.pass_context
def watch(ctx: click.Context, folder: Path, poll: float, **batch: object) -> None:
    """Hot folder: ingest files that stop growing, each once, with these batch settings."""
    context = get_context(ctx)
    hot = HotFolder(
        context,
        folder.resolve(),
        make_batch_info("watch", **batch),  # type: ignore[arg-type]
        settle_seconds=context.settings.watch_settle_seconds,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"watching {hot.folder} (Ctrl-C to stop)")
    hot.run(stop, poll, on_result=lambda r: click.echo(_describe(r)))


commands = [ingest, worker, watch, import_group, faces_group, *version_commands]
