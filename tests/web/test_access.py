"""The role-by-route matrix: every route declares its permission, and every role gets its due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from dam.models import User
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import ROLES, Archive, add_photos, ctx_of, state_of
from web.access import ROUTES, Need, allowed
from web.accounts import CurrentUser, create_token
from web.forms import batch_info
from web.sessions import start_session
from web.uploads import create_web_batch, start_upload

SKIP_METHODS = {"HEAD", "OPTIONS"}


def _users(app: Flask) -> dict[str, CurrentUser]:
    with state_of(app).ctx.catalog.read() as session:
        return {u.username: CurrentUser(u.id, u.username, u.display_name, u.role,
                                        u.session_epoch)
                for u in session.query(User)}


def _url_values(app: Flask, archive: Archive, users: dict[str, CurrentUser]) -> dict[str, object]:
    ctx = ctx_of(app)
    photographer = users["fotografa"]
    batch_id = create_web_batch(ctx, photographer, batch_info({"event": "x"}, photographer))
    upload = start_upload(ctx, photographer, batch_id, "a.jpg", 10)
    with ctx.catalog.read() as session:
        from dam.models import Rendition

        key = session.query(Rendition.key).filter_by(asset_id=archive.asset_ids[0]).first()[0]
    token_id = 1
    create_token(ctx.catalog, photographer.id, "t")
    with ctx.catalog.write() as session:  # the photographer owns the archive: may edit and cull it
        from dam.models import Batch

        session.get(Batch, archive.batch_id).user_id = photographer.id
        record_fixture_writes(session)
    return {"asset_id": archive.asset_ids[0], "batch_id": batch_id, "upload_id": upload.id,
            "user_id": users["prensa"].id, "token_id": token_id, "key": key,
            "token": "not-an-invitation", "year": 2025, "month": 3, "filename": "app.css",
            # Curation routes: ids that need not exist (a 404 is not a refusal).
            "collection_id": 1, "term_id": 1, "template_id": 1, "consent_id": 1,
            "batch_edit_id": 1, "entry_id": 1, "slug": "x", "kind": "area",
            "run_id": 1, "period_id": 1,  # publishing: a run, a blackout period
            "preset": "cuadrado",  # a social format
            "share_id": 1, "search_id": 1, "shift_id": 1,  # issue 16
            "group_id": 1, "face_id": 1, "what": "confirmar",  # issue 20: faces
            "number": 1}  # issue 17: a file version


def _client(app: Flask, user: CurrentUser | None) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "matrix-csrf"
        if user is not None:
            session["sid"] = start_session(ctx_of(app).catalog, user.id,
                                           max_age=dt.timedelta(hours=1))
    return client


def _denied_as_expected(response, user: CurrentUser | None, need: Need, path: str) -> bool:  # type: ignore[no-untyped-def]
    if user is not None:
        return response.status_code == 403
    if need is Need.ASSET:
        return response.status_code == 404
    if path.startswith("/api/"):
        return response.status_code == 401
    return response.status_code == 302 and "/entrar?next=" in response.headers["Location"]


def _was_refused(response) -> bool:  # type: ignore[no-untyped-def]
    location = response.headers.get("Location", "")
    return response.status_code in (401, 403) or (
        response.status_code == 302 and "/entrar?next=" in location
    )


def test_every_route_declares_its_permission(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "routes without a declared permission"
    assert set(ROUTES) - endpoints == set(), "permissions declared for routes that do not exist"


def test_role_by_route_matrix(app: Flask, tmp_path: Path) -> None:
    archive = add_photos(app, tmp_path / "m", count=1)
    users = _users(app)
    values = _url_values(app, archive, users)
    checked = 0
    for rule in app.url_map.iter_rules():
        need = ROUTES[rule.endpoint]
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})
        for method in sorted(rule.methods - SKIP_METHODS):
            for name in (None, *ROLES):
                user = users[name] if name else None
                response = _client(app, user).open(
                    url, method=method, data={"csrf_token": "matrix-csrf"},
                    headers={"X-CSRF-Token": "matrix-csrf"},
                )
                where = f"{method} {url} as {name or 'public'} ({need.value})"
                if need is Need.PUBLIC:  # a failed sign-in is a 401 of its own
                    assert response.status_code != 403 and "next=" not in response.headers.get(
                        "Location", ""), where
                elif allowed(user, need):
                    assert not _was_refused(response), f"{where}: {response.status_code}"
                else:
                    assert _denied_as_expected(response, user, need, url), \
                        f"{where}: {response.status_code} {response.headers.get('Location')}"
                response.close()
                checked += 1
    assert checked > 150


def test_the_public_gets_404_for_any_asset_id(app: Flask, archive: Archive) -> None:
    client = app.test_client()
    for asset_id in (*archive.asset_ids, 99999):
        for path in (f"/material/{asset_id}", f"/material/{asset_id}/original",
                     f"/material/{asset_id}/jpeg", f"/api/v1/assets/{asset_id}"):
            with client.get(path) as response:
                assert response.status_code == 404, path
                assert b"foto_" not in response.data


def test_the_public_cannot_fetch_renditions_by_key(app: Flask, archive: Archive) -> None:
    ctx = ctx_of(app)
    keys = [o.key for o in ctx.store.list("")]
    assert keys
    client = app.test_client()
    for key in keys:
        with client.get(f"/files/{key}") as response:
            assert response.status_code == 404
