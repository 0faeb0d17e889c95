"""Faces over the shared corpus: every face found, two people grouped apart, the group photo
joined to both; a rescaled and a cropped copy join the same person; the job is idempotent."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image
from sqlalchemy import func, select

from dam.catalog import BatchInfo
from dam.cli import get_cli
from dam.context import Context, open_context
from dam.curation import faces as face_naming
from dam.curation.audit import LogFilter, search_log
from dam.curation.faces import FaceNamingError, FacePermissionError
from dam.enums import FaceSource, JobKind, JobState, RenditionKind
from dam.errors import IngestError
from dam.models import Asset, Face, FaceGroup, Job, Rendition
from dam.search.service import SearchService
from ingest.batching import ingest_paths
from ingest.faces import find_faces
from ingest.pipeline import process_asset
from tests.changefeed_check import record_fixture_writes
from tests.conftest import CORPUS, init_catalog, make_settings
from tests.curation.conftest import make_actors

pytestmark = pytest.mark.corpus
FACES = CORPUS / "faces"
OBAMA = ("obama.jpg", "obama1.jpg", "obama2.jpg", "obama3.jpg", "obama_small.jpg")
BIDEN = ("biden.jpg", "biden2.jpg")
GROUP = "obama_and_biden.jpg"


def _derived(folder: Path) -> None:
    """A rescale and a crop of corpus photos: the same people, other pixels."""
    with Image.open(FACES / "biden2.jpg") as image:
        image.convert("RGB").resize((500, 500)).save(folder / "biden_reescalada.jpg", quality=85)
    with Image.open(FACES / "obama.jpg") as image:
        width, height = image.size
        image.convert("RGB").crop((width // 6, 0, width, height * 3 // 4)).save(
            folder / "obama_recorte.jpg", quality=90)


def _ingest_and_find(ctx: Context, folder: Path) -> dict[str, int]:
    report = ingest_paths(ctx, [folder], BatchInfo(event="Visita"), recursive=True)
    ids = {Path(r.source_path).name: r.asset_id for r in report.results}
    for asset_id in ids.values():
        process_asset(ctx, asset_id)
        find_faces(ctx, asset_id)
    return ids


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, dict[str, int]]]:
    if not FACES.is_dir():
        pytest.skip(f"the corpus is not at {FACES}")
    base = tmp_path_factory.mktemp("faces")
    folder = base / "fotos"
    folder.mkdir()
    for path in FACES.glob("*.jpg"):
        (folder / path.name).write_bytes(path.read_bytes())
    _derived(folder)
    settings = make_settings(base, faces=True)
    init_catalog(settings)
    ctx = open_context(settings)
    ids = _ingest_and_find(ctx, folder)
    yield ctx, ids
    ctx.close()


def _groups_by_file(ctx: Context, ids: dict[str, int]) -> dict[str, list[int | None]]:
    with ctx.catalog.read() as session:
        rows = session.execute(select(Face.asset_id, Face.group_id).order_by(Face.left)).all()
    by_id = {asset_id: name for name, asset_id in ids.items()}
    found: dict[str, list[int | None]] = {name: [] for name in ids}
    for asset_id, group_id in rows:
        found[by_id[asset_id]].append(group_id)
    return found


def test_every_face_is_found(archive: tuple[Context, dict[str, int]]) -> None:
    ctx, ids = archive
    groups = _groups_by_file(ctx, ids)
    counts = {name: len(found) for name, found in groups.items()}
    assert counts == {**dict.fromkeys(OBAMA + BIDEN, 1), GROUP: 3,
                      "biden_reescalada.jpg": 1, "obama_recorte.jpg": 1}


def test_two_people_grouped_apart_and_the_group_photo_joins_both(
        archive: tuple[Context, dict[str, int]]) -> None:
    ctx, ids = archive
    groups = _groups_by_file(ctx, ids)
    obama = {groups[name][0] for name in (*OBAMA, "obama_recorte.jpg")}
    biden = {groups[name][0] for name in (*BIDEN, "biden_reescalada.jpg")}
    assert len(obama) == 1 and len(biden) == 1 and obama != biden
    in_group_photo = set(groups[GROUP])
    assert obama | biden <= in_group_photo
    assert len(in_group_photo) == 3  # the third person is someone else


def test_boxes_are_fractions_of_the_picture(archive: tuple[Context, dict[str, int]]) -> None:
    ctx, ids = archive
    with ctx.catalog.read() as session:
        face = session.scalars(select(Face).where(Face.asset_id == ids["obama.jpg"])).one()
        assert len(face.descriptor) == 128 * 4
        box = (face.left, face.top, face.right, face.bottom)
    left, top, right, bottom = box
    # obama.jpg is 910x1137 with the face at about x 349-617, y 142-409 (dlib, full size)
    assert left == pytest.approx(349 / 910, abs=0.04)
    assert right == pytest.approx(617 / 910, abs=0.04)
    assert top == pytest.approx(142 / 1137, abs=0.04)
    assert bottom == pytest.approx(409 / 1137, abs=0.04)


def test_group_counts_and_means_follow_their_faces(archive: tuple[Context, dict[str, int]]
                                                   ) -> None:
    ctx, _ids = archive
    with ctx.catalog.read() as session:
        for group in session.scalars(select(FaceGroup)):
            members = session.scalar(select(func.count()).where(Face.group_id == group.id))
            assert group.face_count == members


def test_finding_again_replaces_detected_faces_and_keeps_confirmed_ones(
        archive: tuple[Context, dict[str, int]]) -> None:
    ctx, ids = archive
    asset_id = ids["biden.jpg"]
    with ctx.catalog.write() as session:
        face = session.scalars(select(Face).where(Face.asset_id == asset_id)).one()
        face.source = FaceSource.CONFIRMED
        kept, group_id = face.id, face.group_id
        record_fixture_writes(session)
    assert find_faces(ctx, asset_id) == 0  # the same face again: the confirmed one stays
    with ctx.catalog.read() as session:
        faces = session.scalars(select(Face).where(Face.asset_id == asset_id)).all()
        assert [(f.id, f.group_id) for f in faces] == [(kept, group_id)]
        assert session.get(FaceGroup, group_id).face_count == 4  # both, a rescale, the group


def test_processing_queues_the_faces_job_after_itself(archive: tuple[Context, dict[str, int]]
                                                       ) -> None:
    ctx, ids = archive
    with ctx.catalog.read() as session:
        jobs = session.execute(select(Job.kind, Job.priority, Job.state)
                               .where(Job.asset_id == ids["obama.jpg"])).all()
        assert session.get(Asset, ids["obama.jpg"]) is not None
    kinds = {kind: priority for kind, priority, _state in jobs}
    assert kinds[JobKind.FIND_FACES] > kinds[JobKind.PROCESS_ASSET]
    assert {state for kind, _p, state in jobs if kind == JobKind.FIND_FACES} == {JobState.QUEUED}


def test_a_picture_without_faces_has_none(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, faces=True)
    init_catalog(settings)
    ctx = open_context(settings)
    try:
        folder = tmp_path / "in"
        folder.mkdir()
        buffer = io.BytesIO()
        Image.new("RGB", (900, 600), (40, 120, 60)).save(buffer, "JPEG")
        (folder / "pasto.jpg").write_bytes(buffer.getvalue())
        ids = _ingest_and_find(ctx, folder)
        with ctx.catalog.read() as session:
            assert session.scalar(select(func.count()).select_from(Face)) == 0
        assert find_faces(ctx, ids["pasto.jpg"]) == 0
    finally:
        ctx.close()


def test_scripts_get_faces_from_list_show_and_groups(archive: tuple[Context, dict[str, int]]
                                                     ) -> None:
    ctx, ids = archive

    def dam(_env: object, *args: str) -> Result:
        result = CliRunner().invoke(get_cli(), list(args), obj={"context": ctx})
        assert result.exit_code == 0, result.output
        return result

    env = None
    shown = json.loads(dam(env, "show", str(ids[GROUP]), "--json").stdout)
    assert len(shown["faces"]) == 3
    assert all(len(f["box"]) == 4 and 0 <= min(f["box"]) <= max(f["box"]) <= 1
               for f in shown["faces"])
    listed = {row["id"]: row for row in json.loads(dam(env, "list", "--json").stdout)}
    assert [f["group_id"] for f in listed[ids[GROUP]]["faces"]] == \
        [f["group_id"] for f in shown["faces"]]
    groups = json.loads(dam(env, "faces", "groups", "--json").stdout)
    obama = next(g for g in groups if ids["obama.jpg"] in {f["asset_id"] for f in g["faces"]})
    assert {f["asset_id"] for f in obama["faces"]} == {
        ids[name] for name in (*OBAMA, "obama_recorte.jpg", GROUP)}
    assert obama["face_count"] == len(obama["faces"]) == 7
    assert groups[0]["face_count"] >= groups[-1]["face_count"]
    queued = dam(env, "faces", "--all").output
    assert "0 asset(s) queued" in queued  # every asset's faces job is still waiting


def _group_of(ctx: Context, asset_id: int) -> int:
    with ctx.catalog.read() as session:
        return session.scalars(select(Face.group_id).where(Face.asset_id == asset_id)).one()


def _face_people(ctx: Context, ids: dict[str, int]) -> dict[str, list[str]]:
    with ctx.catalog.read() as session:
        return {name: list(session.get(Asset, asset_id).face_people)
                for name, asset_id in ids.items()}


def test_naming_merging_splitting_rejecting_audited_and_searched(
        archive: tuple[Context, dict[str, int]]) -> None:
    ctx, ids = archive
    actors = make_actors(ctx)
    obama = _group_of(ctx, ids["obama.jpg"])
    with (ctx.catalog.write() as session,
          pytest.raises(FaceNamingError, match="ask an administrator")):
        face_naming.name_face(session, actors["editora"], _face_id(session, ids["biden.jpg"]),
                              "Joe Biden")
    with ctx.catalog.write() as session:
        with pytest.raises(FacePermissionError):
            face_naming.name_group(session, actors["prensa"], obama, None)
        term = face_naming.person_term(session, actors["admin"], "Barack Obama")
        face_naming.name_group(session, actors["editora"], obama, term.id)
        face_naming.name_face(session, actors["admin"], _face_id(session, ids["biden.jpg"]),
                              "Joe Biden")
    people = _face_people(ctx, ids)
    assert people[GROUP] == ["Joe Biden", "Barack Obama"]  # left to right
    assert all(people[n] == ["Barack Obama"] for n in (*OBAMA, "obama_recorte.jpg"))
    assert all(people[n] == ["Joe Biden"] for n in (*BIDEN, "biden_reescalada.jpg"))
    with ctx.catalog.read() as session:
        assert session.get(Asset, ids[GROUP]).persons_shown == []  # typed names stay apart
        entries = search_log(session, LogFilter(action="face"))
        assert {e.field for e in entries} >= {"name"}

    search = SearchService(ctx.settings, ctx.catalog, refresh_seconds=0.0)
    try:
        def found(query: str) -> set[str]:
            search.sync()
            by_id = {v: k for k, v in ids.items()}
            return {by_id[h.asset_id] for h in search.search(query, per_page=50).hits}

        assert found('persona:"barack obama"') == {*OBAMA, "obama_recorte.jpg", GROUP}
        assert found('persona:"barack obama" con "joe biden"') == {GROUP}
        assert found("persona:biden") == {*BIDEN, "biden_reescalada.jpg", GROUP}

        with ctx.catalog.write() as session:  # split the small photo out, then merge it back
            small = _face_id(session, ids["obama_small.jpg"])
            new = face_naming.split_group(session, actors["editora"], obama, [small])
            new_id = new.id
        assert _face_people(ctx, ids)["obama_small.jpg"] == []
        assert "obama_small.jpg" not in found('persona:"barack obama"')
        with ctx.catalog.write() as session:
            face_naming.merge_groups(session, actors["editora"], obama, [new_id])
            assert session.get(FaceGroup, new_id) is None
            assert session.get(FaceGroup, obama).face_count == 7
            group_faces = session.scalars(select(Face).where(Face.asset_id == ids[GROUP])
                                          .order_by(Face.left)).all()
            face_naming.reject_face(session, actors["editora"], group_faces[1].id)
        assert found('persona:"barack obama" con "joe biden"') == set()
        assert _face_people(ctx, ids)[GROUP] == ["Joe Biden"]
    finally:
        search.close()
    with ctx.catalog.read() as session:
        fields = [e.field for e in search_log(session, LogFilter(action="face"))]
        assert {"name", "split", "merge", "reject"} <= set(fields)


def _face_id(session, asset_id: int) -> int:  # type: ignore[no-untyped-def]
    return session.scalars(select(Face.id).where(Face.asset_id == asset_id)).one()


def test_a_damaged_preview_fails_the_job_cleanly_in_its_child(
        archive: tuple[Context, dict[str, int]]) -> None:
    ctx, ids = archive
    asset_id = ids["obama_small.jpg"]
    with ctx.catalog.read() as session:
        key = session.scalars(select(Rendition.key).where(
            Rendition.asset_id == asset_id, Rendition.kind == RenditionKind.PREVIEW)).one()
    good = ctx.store.read_bytes(key)
    ctx.store.put_bytes(key, good[:200] + b"\x00" * 50, content_type="image/jpeg")
    try:
        with pytest.raises(IngestError, match="face detection|cannot be decoded"):
            find_faces(ctx, asset_id)
    finally:
        ctx.store.put_bytes(key, good, content_type="image/jpeg")
    with ctx.catalog.read() as session:  # the faces found before stay
        assert session.scalar(select(func.count()).where(Face.asset_id == asset_id)) == 1
