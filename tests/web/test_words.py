"""History and bitácora in words people read; the small wording fixes of issue 16."""

from __future__ import annotations

import re

from flask import Flask

from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role
from tests.web.conftest import Archive, ctx_of, signed_in

ADMIN = Actor(1, "admin", Role.ADMIN)


def _record(app: Flask, asset_id: int) -> None:
    with ctx_of(app).catalog.write() as session:
        audit.record(session, ADMIN, "state", asset_id=asset_id, field="workflow_state",
                     old="draft", new="approved")
        audit.record(session, ADMIN, "rights", asset_id=asset_id, field="internal_only",
                     old=False, new=True)
        audit.record(session, ADMIN, "rights", asset_id=asset_id, field="embargo_until",
                     old=None, new="2025-03-14T15:30:00+00:00")
        audit.record(session, ADMIN, "edit", asset_id=asset_id, field="poi",
                     old=None, new={"x": 0.25, "y": 0.5})


def test_history_and_bitacora_speak_spanish_not_columns_or_json(app: Flask,
                                                                archive: Archive) -> None:
    asset_id = archive.asset_ids[0]
    _record(app, asset_id)
    client = signed_in(app, "admin")
    for path in (f"/material/{asset_id}", f"/admin/bitacora?material={asset_id}"):
        html = client.get(path).get_data(as_text=True)
        main = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])  # the text people read
        for words in ("Borrador", "Aprobado para publicación", "Solo uso interno", "Sí",
                      "14 mar 2025, 9:30:00"):
            assert words in main, (path, words)
        for raw in ("workflow_state", "internal_only", "embargo_until", '"x"', " true ",
                    " draft ", "2025-03-14T15:30", "{"):
            assert raw not in main, (path, raw)
