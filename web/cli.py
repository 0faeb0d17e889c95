"""The web commands of `dam`: serve (web server plus workers), user (accounts from the shell)."""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

import click

from dam.cli import get_context, get_settings
from dam.curation.actor import Actor, shell_actor
from dam.enums import Role
from dam.errors import NotFoundError
from web.accounts import AccountError, check_username, create_user, ensure_first_admin, has_users
from web.housekeeping import housekeeping
from web.user_admin import AccountChange, account_rows, change_account

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
        stop_reason,
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
    reason = "the server returned"
    try:
        if count > 1:
            group = ProcessGroup(settings, sock, count, threads or settings.web_threads)
            group.start()
            group.watch()
        else:
            serve_app(settings, sock, threads or settings.web_threads)
    except KeyboardInterrupt:
        reason = stop_reason()
    except ServerError as exc:
        reason = f"error: {exc}"
        raise click.ClickException(str(exc)) from exc
    except BaseException as exc:
        reason = f"unexpected error: {type(exc).__name__}: {exc}"
        raise
    finally:
        log.warning("dam serve stopping (pid %d): %s", os.getpid(), reason)
        if workers is not None:
            workers[0].stop()  # first, so the supervisor does not replace workers stopping
        if group is not None:
            group.stop()
        if workers is not None:
            workers[1].join(timeout=30)
        sock.close()
        log.warning("dam serve stopped: %s", reason)


def _shell_actor() -> Actor:
    return shell_actor()


def _ask_password() -> str:
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.command("user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None,
              help="Role (a new account: viewer unless given).")
@click.option("--name", "display_name", default=None, help="Name shown in the app.")
@click.option("--email", default=None, help="Address for invitations and notices (new account).")
@click.option("--password", default=None,
              help="Password of a new account, or the new one with --reset-password "
                   "(asked for when not given).")
@click.option("--reset-password", is_flag=True,
              help="Set a new password of an existing account: its sessions and API tokens end.")
@click.option("--disable/--enable", "disable", default=None,
              help="Disable the account (ending its sessions and tokens) or enable it again.")
@click.pass_context
def user(ctx: click.Context, username: str, role: str | None, display_name: str | None,
         email: str | None, password: str | None, reset_password: bool,
         disable: bool | None) -> None:
    """Create an account, or change one: reset its password, its role, disable or enable it."""
    catalog = get_context(ctx).catalog
    try:
        name = check_username(username)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    exists = name in {row["username"] for row in account_rows(catalog)}
    if not exists:
        if reset_password or disable is not None:
            raise click.ClickException(f"no account named {name!r} (leave out --reset-password "
                                       "and --disable/--enable to create it)")
        try:
            created = create_user(catalog, name, Role(role or Role.VIEWER.value),
                                  password=password or _ask_password(),
                                  display_name=display_name or "", email=email)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"account {created.username} ({created.role}) created")
        return
    if not (reset_password or role or disable is not None or display_name is not None):
        raise click.ClickException(
            f"account {name!r} exists: to change it, give --reset-password, --role, "
            "--disable/--enable or --name")
    if password is not None and not reset_password:
        raise click.ClickException("--password changes an existing account only with "
                                   "--reset-password")
    change = AccountChange(
        password=(password or _ask_password()) if reset_password else None,
        role=Role(role) if role else None,
        active=None if disable is None else not disable,
        display_name=display_name,
    )
    try:
        done = change_account(catalog, name, change, _shell_actor())
    except (AccountError, NotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"account {name}: {'; '.join(done) or 'nothing to change'}")


@click.command("users")
@click.option("--json", "as_json", is_flag=True, help="One JSON list, for scripts.")
@click.pass_context
def users(ctx: click.Context, as_json: bool) -> None:
    """List the accounts: name, role, state, last sign-in."""
    rows = account_rows(get_context(ctx).catalog)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "active" if row["active"] else "disabled"
        if not row["password_set"]:
            state += ", invited"
        click.echo(f"{row['username']:<24} {row['role']:<13} {state:<18} "
                   f"{row['last_login_at'] or 'never signed in'}  {row['email'] or ''}")


commands = [serve, user, users, housekeeping]
