"""Share links, the service: tokens kept hashed, editors only, expiry, password, revocation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.curation import shares
from dam.models import AuditEntry, ShareLink
from tests.curation.conftest import make_actors


def test_a_link_is_made_opened_by_its_token_and_revoked(any_ctx: Context) -> None:
    actors = make_actors(any_ctx)
    now = dt.datetime.now(dt.UTC)
    new = shares.NewShare("Mercado", now + dt.timedelta(days=3), asset_ids=[3, 1, 3],
                          password="secreto-de-prensa")
    with any_ctx.catalog.write() as session, pytest.raises(shares.ShareError):
        shares.create_share(session, actors["foto1"], new, now)  # photographers may not
    for wrong in (now - dt.timedelta(hours=1), now + dt.timedelta(days=120)):
        with any_ctx.catalog.write() as session, pytest.raises(shares.ShareError):
            shares.create_share(session, actors["editora"],
                                shares.NewShare("x", wrong, asset_ids=[1]), now)
    with any_ctx.catalog.write() as session:
        link, token = shares.create_share(session, actors["editora"], new, now)
        share_id = link.id
    with any_ctx.catalog.read() as session:
        stored = session.get(ShareLink, share_id)
        assert token not in (stored.token_sha256, stored.password_hash)
        assert stored.asset_ids == [3, 1]
        found = shares.find_share(session, token)
        assert found is not None and found.id == share_id
        assert shares.find_share(session, token[:-1] + "x") is None
        assert shares.password_matches(found, "secreto-de-prensa")
        assert not shares.password_matches(found, "otra")
        assert shares.share_state(found, now) is shares.ShareState.ACTIVE
        assert shares.share_state(found, now + dt.timedelta(days=4)) is shares.ShareState.EXPIRED
    with any_ctx.catalog.write() as session:
        shares.note_use(session, session.get(ShareLink, share_id), "download", now,
                        asset_ids=[3])
        shares.revoke_share(session, actors["editora"], share_id, now)
    with any_ctx.catalog.read() as session:
        link = session.get(ShareLink, share_id)
        assert shares.share_state(link, now) is shares.ShareState.REVOKED
        assert link.downloads == 1
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions == ["share_create", "share_download", "share_revoke"]
