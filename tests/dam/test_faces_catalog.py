"""Faces in the catalog (SQLite and PostgreSQL): grouping by nearest centroid, another worker's
groups seen, regrouping keeps names, face_people in step, faces erased with their asset."""

from __future__ import annotations

import secrets

import numpy as np
from sqlalchemy import func, select

from dam import faces
from dam.context import Context
from dam.curation.actor import SYSTEM
from dam.curation.faces import name_group, person_term, reject_face
from dam.enums import MediaType
from dam.models import Asset, AssetChange, Face, FaceGroup
from tests.changefeed_check import record_fixture_writes


def _vector(seed: int, noise: float = 0.0) -> np.ndarray:
    base = np.random.default_rng(seed).normal(0, 1, 128)
    base = base / np.linalg.norm(base) * 0.9
    return base + np.random.default_rng(seed * 1000 + int(noise * 1e6)).normal(0, noise, 128)


def _asset(ctx: Context) -> int:
    with ctx.catalog.write() as session:
        asset = Asset(sha256=secrets.token_hex(32), media_type=MediaType.PHOTO, byte_size=1,
                      original_filename="x.jpg", original_key="originals/x")
        session.add(asset)
        session.flush()
        record_fixture_writes(session)
        return asset.id


def _add(ctx: Context, vectors: list[np.ndarray], key: str = "w1") -> int:
    asset_id = _asset(ctx)
    found = [faces.DetectedFace(0.1 * i, 0.1, 0.1 * i + 0.08, 0.3, faces.to_bytes(v))
             for i, v in enumerate(vectors)]
    with ctx.catalog.write() as session:
        index = faces.centroid_index(session, key)
        faces.replace_faces(session, session.get(Asset, asset_id), found, index, 0.6)
    return asset_id


def _groups(ctx: Context, asset_id: int) -> list[int | None]:
    with ctx.catalog.read() as session:
        return list(session.scalars(select(Face.group_id).where(Face.asset_id == asset_id)
                                    .order_by(Face.left)))


def test_grouping_naming_regrouping_and_erasure(any_ctx: Context) -> None:
    ctx = any_ctx
    faces.forget_index("w1"), faces.forget_index("w2")
    ana = _add(ctx, [_vector(1, 0.01)])
    luis = _add(ctx, [_vector(2, 0.01)])
    both = _add(ctx, [_vector(1, 0.02), _vector(2, 0.02)], key="w2")  # another worker's index
    assert _groups(ctx, ana) + _groups(ctx, luis) == _groups(ctx, both)
    ana_group = _groups(ctx, ana)[0]
    with ctx.catalog.write() as session:
        assert session.get(FaceGroup, ana_group).face_count == 2
        term = person_term(session, SYSTEM, "Ana Pérez")
        name_group(session, SYSTEM, ana_group, term.id)
    with ctx.catalog.read() as session:
        assert session.get(Asset, both).face_people == ["Ana Pérez"]
        changed = set(session.scalars(select(AssetChange.asset_id).where(
            AssetChange.kind == "updated")))
    assert {ana, both} <= changed  # the change feed carries the names to the search index

    with ctx.catalog.write() as session:
        counts = faces.recluster(session, 0.6)
        assert counts == {"faces": 4, "groups": 2}
        assert session.get(FaceGroup, ana_group).person_term_id == term.id  # the name stays
    assert _groups(ctx, both)[0] == ana_group

    with ctx.catalog.write() as session:
        face_id = session.scalars(select(Face.id).where(Face.asset_id == both)
                                  .order_by(Face.left)).first()
        reject_face(session, SYSTEM, face_id)
    with ctx.catalog.read() as session:
        assert session.get(Asset, both).face_people == []
        assert session.get(FaceGroup, ana_group).face_count == 1

    with ctx.catalog.write() as session:
        session.delete(session.get(Asset, both))
        record_fixture_writes(session)
    with ctx.catalog.read() as session:
        assert session.scalar(select(func.count()).where(Face.asset_id == both)) == 0


def test_the_nearest_centroid_is_found_among_many() -> None:
    index = faces.CentroidIndex()
    for group_id in range(1, 3001):
        index.put(group_id, _vector(group_id).astype(np.float32))
    for group_id in (1, 1500, 3000):
        found, distance = index.nearest(_vector(group_id, 0.01).astype(np.float32))
        assert found == group_id and distance < 0.3
    index.drop(1500)
    found, distance = index.nearest(_vector(1500, 0.01).astype(np.float32))
    assert found != 1500 and distance > 0.6
