"""The web commands of `dam`: serve (web server plus workers), user (accounts from the shell)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import click

from dam.cli import get_context, get_settings
from dam.enums import Role
from web.accounts import AccountError, create_user, ensure_first_admin, has_users
from web.housekeeping import housekeeping

log = logging.getLogger(__name__)


def _start_workers(settings: Any, processes: int) -> tuple[Any, threading.Thread] | None:
    if processes <= 0:
        return None
    from ingest.worker import LoopOptions, Supervisor

    supervisor = Supervisor(settings, processes, LoopOptions())
    thread = threading.Thread(target=supervisor.run, name="workers", daemon=True)
    thread.start()
    return supervisor, thread


@click.command()
@click.option("--host", default=None, help="Address to listen on (setting `web_host`).")
@click.option("--port", type=int, default=None, help="Port (setting `web_port`).")
@click.option("--threads", type=int, default=None, help="Request threads per process "
              "(`web_threads`).")
@click.option("--processes", "web_processes", type=int, default=None,
              help="Serving processes sharing the port (`web_processes`; 0: one per CPU core).")
@click.option("--workers", "processes", type=int, default=None,
              help="Ingest worker processes to run alongside (default: setting `workers`; "
                   "0: none, run `dam worker` elsewhere).")
@click.option("--admin-password", envvar="DAM_ADMIN_PASSWORD", default=None,
              help="Password of the first admin account, made on first start "
                   "(default: $DAM_ADMIN_PASSWORD, else generated and printed once).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, threads: int | None,
          web_processes: int | None, processes: int | None, admin_password: str | None) -> None:
    """Run the web application and the ingest workers (Ctrl-C stops both)."""
    from web.logs import configure_logging
    from web.server import (
        ProcessGroup,
        ServerError,
        interrupt_on_sigterm,
        listening_socket,
        process_count,
        serve_app,
    )

    settings = get_settings(ctx)
    context = get_context(ctx)  # fails early, saying to run `dam init`, if the catalog is not ready
    configure_logging()
    first_start = not has_users(context.catalog)
    try:
        generated = ensure_first_admin(context.catalog, admin_password)
    except AccountError as exc:
        raise click.ClickException(f"DAM_ADMIN_PASSWORD: {exc}") from exc
    if generated:
        click.secho(f"First start: account 'admin' created with password {generated}\n"
                    "(shown only now: sign in and change it on the account page)", fg="yellow")
    elif first_start:
        click.secho("First start: account 'admin' created with the password given "
                    "(--admin-password or DAM_ADMIN_PASSWORD)", fg="yellow")
    host, port = host or settings.web_host, port or settings.web_port
    count = process_count(settings, web_processes)
    try:
        sock = listening_socket(host, port)
    except ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    interrupt_on_sigterm()  # workers stop first, then the web processes, cleanly
    workers = _start_workers(settings, settings.workers if processes is None else processes)
    click.echo(f"Acervo at http://{host}:{port}/ ({count} web "
               f"process{'es' if count > 1 else ''}; Ctrl-C stops)")
    group: ProcessGroup | None = None
    try:
        if count > 1:
            group = ProcessGroup(settings, sock, count, threads or settings.web_threads)
            group.start()
            group.watch()
        else:
            serve_app(settings, sock, threads or settings.web_threads)
    except KeyboardInterrupt:
        pass
    except ServerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if workers is not None:
            workers[0].stop()  # first, so the supervisor does not replace workers stopping
        if group is not None:
            group.stop()
        if workers is not None:
            workers[1].join(timeout=30)
        sock.close()


@click.command("user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.VIEWER.value)
@click.option("--name", "display_name", default="", help="Name shown in the app.")
@click.password_option(help="Password (asked for when not given).")
@click.pass_context
def user(ctx: click.Context, username: str, role: str, display_name: str, password: str) -> None:
    """Create an account for the web app and the API."""
    try:
        created = create_user(get_context(ctx).catalog, username, Role(role), password=password,
                              display_name=display_name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"account {created.username} ({created.role}) created")


commands = [serve, user, housekeeping]
