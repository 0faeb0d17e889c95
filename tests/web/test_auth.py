"""Signing in and out, password changes, rate limits, cookies, CSRF, invitations, tokens."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select, update

from dam.models import SignInFailure
from tests.web.conftest import PASSWORD, csrf, login, meta_csrf, state_of
from web import create_app
from web.accounts import authenticate, create_token
from web.security import AttemptLimiter


def test_sign_in_page_is_spanish_and_sets_a_safe_cookie(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/entrar")
    assert page.status_code == 200
    assert '<html lang="es-MX">' in page.text and "Iniciar sesión" in page.text
    response = client.post("/entrar", data={"username": "prensa", "password": PASSWORD,
                                            "csrf_token": meta_csrf(page.text)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(client) -> None:  # type: ignore[no-untyped-def]
    bad = login(client, "prensa", "equivocada-123")
    unknown = login(client, "nadie", "equivocada-123")
    assert bad.status_code == unknown.status_code == 401
    assert "no son correctos" in bad.text and "no son correctos" in unknown.text


def test_sign_in_attempts_are_rate_limited(client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):  # login_attempts = 3 in the web fixtures
        assert login(client, "prensa", "equivocada-123").status_code == 401
    blocked = login(client, "prensa", PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429 and "Demasiados intentos" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 0


def test_the_sign_in_limit_holds_across_serving_processes(app, web_settings) -> None:  # type: ignore[no-untyped-def]
    """`dam serve` runs several processes: a second app on the same catalog sees the failures."""
    first = app.test_client()
    for _ in range(2):
        assert login(first, "prensa", "equivocada-123").status_code == 401
    other = create_app(web_settings)
    try:
        second = other.test_client()
        assert login(second, "prensa", "equivocada-123").status_code == 401
        assert login(second, "prensa", PASSWORD).status_code == 429
        assert login(first, "prensa", PASSWORD).status_code == 429
    finally:
        state_of(other).close()


def test_failures_expire_after_the_window_and_success_clears_the_account(app) -> None:  # type: ignore[no-untyped-def]
    catalog = state_of(app).ctx.catalog
    limiter = AttemptLimiter(catalog, per_account=2, per_address=20, window=900)
    assert limiter.attempt("ana", "10.0.0.1").retry_after == 0  # a failure at the office
    at_home = limiter.attempt("ana", "10.0.0.2")
    limiter.succeed(at_home)  # the owner signs in at home: the account's count starts over...
    assert limiter.attempt("ana", "10.0.0.1").retry_after == 0
    blocked = limiter.attempt("ana", "10.0.0.1")  # ...but not the office's count of the account
    assert 890 < blocked.retry_after <= 901
    assert limiter.attempt("ana", "10.0.0.2").retry_after == 0  # home has one more
    assert limiter.attempt("ana", "10.0.0.2").retry_after > 0  # now the account is at its limit
    assert limiter.attempt("otra", "10.0.0.1").retry_after == 0  # other accounts are not
    with catalog.write() as session:  # a quarter of an hour later
        session.execute(update(SignInFailure).values(
            failed_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=901)))
    assert limiter.attempt("ana", "10.0.0.1").retry_after == 0  # and expired rows are swept
    with catalog.read() as session:
        assert sorted(session.scalars(select(SignInFailure.key)).all()) == [
            "ip:10.0.0.1", "user:ana", "user:ana@10.0.0.1"]


def test_next_only_goes_to_local_paths(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/entrar", data={"username": "prensa", "password": PASSWORD,
                                            "next": "//evil.example/x",
                                            "csrf_token": csrf(client)})
    assert response.headers["Location"] == "/"
    anonymous = client.application.test_client().get("/buscar?q=x")
    assert anonymous.headers["Location"] == "/entrar?next=/buscar?q%3Dx"


def test_forged_or_missing_csrf_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    csrf(client)
    forged = client.post("/entrar", data={"username": "prensa", "password": PASSWORD,
                                          "csrf_token": "forged"})
    assert forged.status_code == 400 and "formulario caducó" in forged.text
    missing = client.post("/entrar", data={"username": "prensa", "password": PASSWORD})
    assert missing.status_code == 400
    api = client.post("/api/v1/batches", json={"event": "x"})
    assert api.status_code == 400 and api.json["error"] == "csrf"


def test_sign_out_ends_the_session(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "prensa")
    assert client.get("/").status_code == 200
    response = client.post("/salir", data={"csrf_token": csrf(client)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_ends_other_sessions(app: Flask) -> None:
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "fotografa")
    login(elsewhere, "fotografa")
    wrong = here.post("/cuenta/contrasena", data={
        "current_password": "no-es-esta-1", "new_password": "otra-contraseña-2",
        "confirm_password": "otra-contraseña-2", "csrf_token": csrf(here)})
    assert wrong.status_code == 400 and "no es correcta" in wrong.text
    short = here.post("/cuenta/contrasena", data={
        "current_password": PASSWORD, "new_password": "corta", "confirm_password": "corta",
        "csrf_token": csrf(here)})
    assert short.status_code == 400
    done = here.post("/cuenta/contrasena", data={
        "current_password": PASSWORD, "new_password": "otra-contraseña-2",
        "confirm_password": "otra-contraseña-2", "csrf_token": csrf(here)})
    assert done.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302  # the other session ended
    catalog = state_of(app).ctx.catalog
    assert authenticate(catalog, "fotografa", "otra-contraseña-2") is not None
    assert authenticate(catalog, "fotografa", PASSWORD) is None


def test_api_tokens_authenticate_scripts_and_can_be_revoked(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    login(client, "prensa")
    page = client.post("/cuenta/tokens", data={"name": "laptop", "csrf_token": csrf(client)})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    script = app.test_client()
    me = script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == "prensa"
    # No cookie, no CSRF needed; the role still applies (press staff cannot upload).
    refused = script.post("/api/v1/batches", json={}, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    bad = script.get("/api/v1/me", headers={"Authorization": "Bearer acv_nope"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"].startswith("Bearer")
    token_id = int(page.text.split("/cuenta/tokens/")[1].split("/")[0])
    client.post(f"/cuenta/tokens/{token_id}/revocar", data={"csrf_token": csrf(client)})
    gone = script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_tokens_of_disabled_accounts_stop_working(app: Flask) -> None:
    catalog = state_of(app).ctx.catalog
    admin = app.test_client()
    login(admin, "admin")
    with catalog.read() as session:
        from dam.models import User

        user_id = session.query(User.id).filter_by(username="editora").scalar()
    token = create_token(catalog, user_id, "t")
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200
    admin.post(f"/admin/usuarios/{user_id}", data={
        "role": "editor", "display_name": "Editora", "email": "", "action": "save",
        "csrf_token": csrf(admin)})
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
