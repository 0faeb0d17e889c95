"""The asset page builds its data in its view: its database statements are counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from tests.web.conftest import Archive, ctx_of, signed_in

LIMIT = 4  # statements per asset page (the session check of the signed-in user aside)


@contextmanager
def counted(application: Flask) -> Iterator[list[str]]:
    """Every SQL statement the catalog runs meanwhile, but the sign-in session's own."""
    engine = ctx_of(application).catalog.engine
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _page_statements(statements: list[str]) -> list[str]:
    session = ("FROM web_sessions", "UPDATE web_sessions", "FROM users")
    return [s for s in statements if not any(t in s for t in session)
            and not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"))]


def test_the_asset_page_needs_at_most_four_queries(app: Flask, archive: Archive) -> None:
    from dam.curation.actor import Actor
    from dam.curation.workflow import change_state
    from dam.enums import Role, WorkflowState
    from dam.models import utcnow

    approved = archive.asset_ids[2]  # an editor may publish it: the blackout is asked about
    with ctx_of(app).catalog.write() as session:
        for target in (WorkflowState.REVIEWED, WorkflowState.APPROVED):
            change_state(session, Actor(1, "admin", Role.ADMIN), [approved], target, utcnow())
    for user, asset_id in (("admin", archive.asset_ids[1]), ("fotografa", archive.asset_ids[1]),
                           ("editora", approved), ("prensa", approved)):
        client = signed_in(app, user)
        client.get(f"/material/{asset_id}")  # warm: caches of settings, profiles
        with counted(app) as statements:
            response = client.get(f"/material/{asset_id}?en=lista:"
                                  + ",".join(map(str, archive.asset_ids)))
        assert response.status_code == 200
        page = _page_statements(statements)
        assert len(page) <= LIMIT, (user, len(page), [" ".join(s.split())[:70] for s in page])


def test_history_and_social_tabs_come_as_fragments_or_small_pages(app: Flask,
                                                                  archive: Archive) -> None:
    client = signed_in(app, "admin")
    asset_id = archive.asset_ids[0]
    page = client.get(f"/material/{asset_id}").get_data(as_text=True)
    assert 'role="tab"' in page and f"/material/{asset_id}?panel=historial" in page
    fragment = client.get(f"/material/{asset_id}?panel=redes",
                          headers={"X-Acervo-Fragment": "1"}).get_data(as_text=True)
    assert "data-social" in fragment and "<html" not in fragment
    small = client.get(f"/material/{asset_id}?panel=historial").get_data(as_text=True)
    assert "<html" in small and "Todavía no hay cambios registrados." in small
    public = app.test_client().get(f"/material/{asset_id}?panel=historial")
    assert public.status_code == 404  # the public never gets a panel (nor the asset: a draft)


def test_during_a_blackout_an_editor_is_told_before_publishing(app: Flask,
                                                               archive: Archive) -> None:
    import datetime as dt

    from dam.curation.actor import Actor
    from dam.curation.workflow import change_state
    from dam.enums import Role, WorkflowState
    from dam.models import BlackoutPeriod, utcnow

    asset_id, now = archive.asset_ids[0], utcnow()
    with ctx_of(app).catalog.write() as session:
        for target in (WorkflowState.REVIEWED, WorkflowState.APPROVED):
            change_state(session, Actor(1, "admin", Role.ADMIN), [asset_id], target, now)
    page = signed_in(app, "editora").get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Por ahora no se puede publicar" not in page  # no blackout: no warning, no query
    with ctx_of(app).catalog.write() as session:
        session.add(BlackoutPeriod(starts_at=now - dt.timedelta(hours=1),
                                   ends_at=now + dt.timedelta(days=3),
                                   reason="Proceso electoral 2027"))
    page = signed_in(app, "editora").get(f"/material/{asset_id}").get_data(as_text=True)
    assert "Por ahora no se puede publicar" in page and "veda electoral" in page
