"""`dam user` changes an existing account (password, role, enabled) and `dam users` lists them."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from dam.cli import get_cli
from dam.models import ApiToken, AuditEntry
from tests.web.conftest import PASSWORD, ctx_of, login
from web import accounts

NEW = "otra-contraseña-larga"


def _dam(app: Flask, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    ctx = ctx_of(app)
    return CliRunner().invoke(get_cli(), list(args), input=stdin,
                              obj={"settings": ctx.settings, "context": ctx})


def test_reset_password_of_existing_admin_ends_sessions_and_tokens(app: Flask) -> None:
    client = app.test_client()
    login(client, "admin")
    assert client.get("/cuenta").status_code == 200
    catalog = ctx_of(app).catalog
    admin_id = next(u.id for u in accounts.list_users(catalog) if u.username == "admin")
    token = accounts.create_token(catalog, admin_id, "script")

    result = _dam(app, "user", "admin", "--reset-password", "--password", NEW)
    assert result.exit_code == 0, result.output
    assert "password reset" in result.output
    assert client.get("/cuenta").status_code in (302, 401)  # the old session ended
    assert accounts.user_for_token(catalog, token) is None
    assert accounts.authenticate(catalog, "admin", PASSWORD) is None
    assert accounts.authenticate(catalog, "admin", NEW) is not None
    with catalog.read() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "account_password_reset")).one()
        assert entry.detail == "admin" and (entry.username or "").startswith("shell:")
        assert session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))).all() == []


def test_reset_password_asks_when_not_given(app: Flask) -> None:
    result = _dam(app, "user", "prensa", "--reset-password", stdin=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate(ctx_of(app).catalog, "prensa", NEW) is not None


def test_existing_name_without_a_change_says_how(app: Flask) -> None:
    result = _dam(app, "user", "admin", "--password", NEW)
    assert result.exit_code != 0
    assert "--reset-password" in result.output


def test_role_disable_enable_and_last_admin(app: Flask) -> None:
    catalog = ctx_of(app).catalog
    assert _dam(app, "user", "prensa", "--role", "editor").exit_code == 0
    assert _dam(app, "user", "prensa", "--disable").exit_code == 0
    assert accounts.authenticate(catalog, "prensa", PASSWORD) is None
    assert _dam(app, "user", "prensa", "--enable").exit_code == 0
    assert accounts.authenticate(catalog, "prensa", PASSWORD) is not None
    refused = _dam(app, "user", "admin", "--role", "viewer")
    assert refused.exit_code != 0 and "last active admin" in refused.output
    rows = json.loads(_dam(app, "users", "--json").output)
    prensa = next(r for r in rows if r["username"] == "prensa")
    assert prensa["role"] == "editor" and prensa["active"] is True
    with catalog.read() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"account_role", "account_disabled", "account_enabled"} <= actions


def test_users_lists_accounts_and_new_account_still_created(app: Flask) -> None:
    assert _dam(app, "user", "nuevo", "--password", NEW, "--role", "photographer").exit_code == 0
    listing = _dam(app, "users")
    assert listing.exit_code == 0
    assert "nuevo" in listing.output and "photographer" in listing.output
    assert "admin" in listing.output
