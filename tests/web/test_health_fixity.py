"""/healthz tells admins how far the rolling fixity check got and which originals are damaged."""

from __future__ import annotations

from flask import Flask

from dam.models import Asset
from tests.changefeed_check import record_fixture_writes
from tests.web.conftest import Archive, ctx_of, signed_in


def test_admins_see_fixity_progress_and_damage_the_public_only_the_verdict(
        app: Flask, archive: Archive) -> None:
    admin = signed_in(app, "admin")
    fixity = admin.get("/healthz").json["checks"]["fixity"]
    assert fixity["status"].startswith("ok (checked 0 of 3 originals")
    damaged = archive.asset_ids[1]
    with ctx_of(app).catalog.write() as session:
        session.get(Asset, damaged).fixity_ok = False
        record_fixture_writes(session)
    details = admin.get("/healthz").json
    assert details["status"] == "degraded"
    assert details["checks"]["fixity"]["status"] == "degraded"
    assert f"assets {damaged}" in details["checks"]["fixity"]["error"]
    anonymous = app.test_client().get("/healthz")  # a probe's answer costs no catalog count
    assert anonymous.json == {"status": "ok"}
