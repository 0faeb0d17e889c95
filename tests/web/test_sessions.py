"""Sessions end on the server at sign-out, password changes and disabling, in every process."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update

from dam.models import User, WebSession
from tests.web.conftest import PASSWORD, ctx_of, post_form, signed_in, state_of
from web import create_app
from web.accounts import create_token

COOKIE = "acervo_session"
NEW_PASSWORD = "otra-contraseña-2"


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "the client has no session cookie"
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser (or a thief) holding a copy of a session cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def _signed_out(client: FlaskClient) -> bool:
    page, api = client.get("/"), client.get("/api/v1/me")
    return (page.status_code == 302 and page.headers["Location"].startswith("/entrar")
            and api.status_code == 401)


def _user_id(app: Flask, username: str) -> int:
    with ctx_of(app).catalog.read() as session:
        return session.scalar(select(User.id).where(User.username == username))


def _session_rows(app: Flask, username: str) -> int:
    with ctx_of(app).catalog.read() as session:
        return session.scalar(select(func.count()).select_from(WebSession).where(
            WebSession.user_id == _user_id(app, username)))


def test_a_copied_cookie_stops_working_at_sign_out(app: Flask) -> None:
    browser = signed_in(app, "prensa")
    copy = _with_cookie(app, _cookie(browser))
    assert copy.get("/").status_code == 200 and copy.get("/api/v1/me").status_code == 200
    assert post_form(browser, "/salir").status_code == 302
    assert _signed_out(copy)  # the page sends it to sign in, the API answers 401
    assert _signed_out(browser)
    assert _session_rows(app, "prensa") == 0


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app: Flask) -> None:
    here, there = signed_in(app, "fotografa"), signed_in(app, "fotografa")
    copy_of_here = _with_cookie(app, _cookie(here))
    assert _session_rows(app, "fotografa") == 2
    done = post_form(here, "/cuenta/contrasena", current_password=PASSWORD,
                     new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    assert done.status_code == 302
    assert here.get("/").status_code == 200 and copy_of_here.get("/").status_code == 200
    assert _signed_out(there)
    assert _session_rows(app, "fotografa") == 1


def _save_user(admin: FlaskClient, user_id: int, *, active: bool):  # type: ignore[no-untyped-def]
    form = {"role": "editor", "display_name": "Editora", "email": "", "action": "save"}
    if active:
        form["active"] = "on"
    return post_form(admin, f"/admin/usuarios/{user_id}", **form)


def test_disabling_ends_every_session_and_enabling_again_revives_no_token(app: Flask) -> None:
    admin = signed_in(app, "admin")
    user_id = _user_id(app, "editora")
    browsers = [signed_in(app, "editora"), signed_in(app, "editora")]
    token = create_token(ctx_of(app).catalog, user_id, "script")
    script = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=script).status_code == 200
    assert _save_user(admin, user_id, active=False).status_code == 302
    assert all(_signed_out(browser) for browser in browsers)
    assert app.test_client().get("/api/v1/me", headers=script).status_code == 401
    assert _save_user(admin, user_id, active=True).status_code == 302  # enabled again
    assert app.test_client().get("/api/v1/me", headers=script).status_code == 401
    assert all(_signed_out(browser) for browser in browsers)
    assert signed_in(app, "editora").get("/").status_code == 200  # a new sign-in works


def test_sessions_hold_and_end_across_two_serving_processes(app: Flask, web_settings) -> None:  # type: ignore[no-untyped-def]
    other = create_app(web_settings)  # `dam serve` runs several processes on one catalog
    try:
        first = signed_in(app, "prensa")
        second = _with_cookie(other, _cookie(first))
        assert second.get("/").status_code == 200  # the same session, seen by the other one
        assert post_form(second, "/salir").status_code == 302
        assert _signed_out(first)  # signed out in one process: ended in the other at once
    finally:
        state_of(other).close()


def test_unused_sessions_expire_and_are_swept_at_the_next_sign_in(app: Flask) -> None:
    browser = signed_in(app, "prensa")
    catalog = ctx_of(app).catalog
    with catalog.write() as session:  # session_hours (12) and a minute ago
        session.execute(update(WebSession).values(
            last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=12, minutes=1)))
    assert _signed_out(browser)
    signed_in(app, "editora")
    with catalog.read() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1


def test_the_catalog_keeps_no_usable_session_id_and_a_request_costs_one_lookup(
    app: Flask,
) -> None:
    browser = signed_in(app, "prensa")
    with browser.session_transaction() as session:
        sid = session["sid"]
    catalog = ctx_of(app).catalog
    with catalog.read() as session:
        assert session.scalars(select(WebSession.id)).all() != [sid]  # only its SHA-256
    statements: list[str] = []

    def _seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(catalog.engine, "before_cursor_execute", _seen)
    try:
        assert browser.get("/api/v1/me").status_code == 200
    finally:
        event.remove(catalog.engine, "before_cursor_execute", _seen)
    loading = [s for s in statements if "web_sessions" in s or "FROM users" in s]
    assert len(loading) == 1 and "JOIN" in loading[0]  # the session and its account at once


def test_the_cookie_is_renewed_with_the_sessions_last_use_not_on_every_page(app: Flask) -> None:
    """A session in use keeps its cookie alive: when the server writes the session's last use
    (every few minutes) the response renews the cookie's expiry; other pages send no cookie."""
    browser = signed_in(app, "prensa")
    browser.get("/")  # the first page after signing in makes the form token (a new cookie)
    assert "Set-Cookie" not in browser.get("/").headers
    with ctx_of(app).catalog.write() as session:  # last used six minutes ago
        session.execute(update(WebSession).values(
            last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)))
    renewed = browser.get("/")
    assert renewed.status_code == 200
    cookie = renewed.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "Expires=" in cookie
    expires = dt.datetime.strptime(cookie.split("Expires=")[1].split(";")[0],
                                   "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
    hours = ctx_of(app).settings.session_hours
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours))) < \
        dt.timedelta(minutes=1)
    assert "Set-Cookie" not in browser.get("/").headers  # written again in five minutes
