"""Benchmark: faces per second, nearest group and search by person at scale, ingest with faces.

* ``detect``: dlib's HOG detector and ResNet descriptor (ingest.faces.detect_faces) on 1440 px
  previews of the shared corpus's face photos, in one process and in two (a pool, as two
  workers): faces and previews per second, and the ratio two/one.
* ``nearest``: a new face against the group centroids (dam.faces.CentroidIndex) with
  ``--groups`` groups (default 10,000: 100,000 faces at ~10 per person): p50/p95 per face.
* ``catalog``: a SQLite catalog holding ``--faces`` faces (default 100,000) in those groups, a
  tenth of them named: loading every centroid into a worker's index (once per worker), and
  "search by person", the assets showing one named person (faces -> group -> term), p50/p95 over
  200 people; also the same through ``persona:"..."`` in the search index (Whoosh), built from
  face_people.
* ``ingest``: the corpus photos re-encoded (``--photos``, distinct files) ingested and processed
  by two workers with faces off and with faces on: seconds until every photo is ready (thumbnail
  and preview) and until the queue is idle (faces found). Faces on should stay within 10 % of off
  until ready: the faces job runs at a lower priority than processing.

Prints lines as it goes, then one JSON object on the last line.
Usage: python bench/faces.py [--faces 100000] [--groups 10000] [--photos 24] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dam.config import load_settings  # noqa: E402
from dam.context import open_context  # noqa: E402
from dam.db import Catalog, migrate  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "faces"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/faces")


def previews() -> list[bytes]:
    """The corpus photos as 1440 px JPEG previews (what the faces job reads)."""
    from PIL import Image

    out = []
    for path in sorted(CORPUS.glob("*.jpg")):
        with Image.open(path) as image:
            picture = image.convert("RGB")
        picture.thumbnail((1440, 1440))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=82)
        out.append(buffer.getvalue())
    return out


def _detect(data: bytes) -> int:
    from ingest.faces import detect_faces

    return len(detect_faces(data))


def bench_detect(repeat: int) -> dict[str, float]:
    from ingest.faces import load_models

    load_models()  # forked pool workers inherit the loaded models, as worker children do
    work = previews() * repeat
    started = time.perf_counter()
    faces_one = sum(_detect(d) for d in work)
    one = time.perf_counter() - started
    context = mp.get_context("fork")
    with context.Pool(2) as pool:
        pool.map(_detect, work[:2])  # warm
        started = time.perf_counter()
        faces_two = sum(pool.map(_detect, work, chunksize=1))
        two = time.perf_counter() - started
    assert faces_one == faces_two
    result = {"previews": len(work), "faces": faces_one,
              "previews_per_s_1proc": round(len(work) / one, 2),
              "faces_per_s_1proc": round(faces_one / one, 2),
              "previews_per_s_2proc": round(len(work) / two, 2),
              "faces_per_s_2proc": round(faces_two / two, 2),
              "two_over_one": round(one / two, 2)}
    print("detect", result, flush=True)
    return result


def _vectors(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(0, 1, (count, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True) * 0.9


def bench_nearest(groups: int) -> dict[str, float]:
    from dam.faces import CentroidIndex

    index = CentroidIndex()
    centroids = _vectors(groups, 1)
    for i, vector in enumerate(centroids, start=1):
        index.put(i, vector)
    asked = min(1000, groups)
    queries = centroids[:asked] + np.random.default_rng(2).normal(0, 0.02, (asked, 128)).astype(
        np.float32)
    times = []
    hits = 0
    for i, query in enumerate(queries, start=1):
        started = time.perf_counter()
        group, _distance = index.nearest(query)
        times.append(time.perf_counter() - started)
        hits += group == i
    result = {"groups": groups, "nearest_p50_ms": round(1000 * statistics.median(times), 3),
              "nearest_p95_ms": round(1000 * _p95(times), 3), "right_group": hits / asked}
    print("nearest", result, flush=True)
    return result


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def _fill(catalog: Catalog, faces: int, groups: int) -> list[str]:
    """``faces`` faces in ``groups`` groups over faces/3 assets; one group in ten named."""
    import datetime as dt

    from sqlalchemy import insert, select

    from dam.enums import MediaType, VocabularyKind
    from dam.faces import to_bytes
    from dam.models import Asset, Face, FaceGroup, VocabularyTerm

    centroids = _vectors(groups, 1)
    assets = (faces + 2) // 3
    names = [f"Persona {i:05}" for i in range(groups // 10)]
    now = dt.datetime.now(dt.UTC)
    rng = np.random.default_rng(3)
    with catalog.write() as session:
        session.execute(insert(VocabularyTerm), [
            {"vocabulary": VocabularyKind.PERSON, "label": n, "active": True} for n in names])
        term_of = dict(session.execute(select(VocabularyTerm.label, VocabularyTerm.id)).all())
        session.execute(insert(FaceGroup), [
            {"id": g + 1, "person_term_id": term_of[names[g]] if g < len(names) else None,
             "centroid": to_bytes(centroids[g]), "face_count": 0, "updated_at": now}
            for g in range(groups)])
        for start in range(0, assets, 5000):
            session.execute(insert(Asset), [
                {"id": a + 1, "sha256": f"{a:064x}", "media_type": MediaType.PHOTO,
                 "byte_size": 1, "original_filename": f"f{a}.jpg", "original_key": f"o/{a}",
                 "keywords": [], "persons_shown": [], "metadata_json": {}, "edited_fields": [],
                 "face_people": []}
                for a in range(start, min(assets, start + 5000))])
        group_of = rng.integers(0, groups, faces)
        for start in range(0, faces, 5000):
            session.execute(insert(Face), [
                {"asset_id": f // 3 + 1, "left": 0.1, "top": 0.1, "right": 0.3, "bottom": 0.4,
                 "descriptor": to_bytes(centroids[group_of[f]]), "group_id": int(group_of[f]) + 1}
                for f in range(start, min(faces, start + 5000))])
    return names


def bench_catalog(base: Path, faces: int, groups: int) -> dict[str, float]:
    from sqlalchemy import select

    from dam.faces import centroid_index, refresh_face_people
    from dam.models import Face, FaceGroup, VocabularyTerm

    settings = load_settings(env={}, base_dir=base, data_dir=str(base / "var"), faces=False)
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    started = time.perf_counter()
    names = _fill(catalog, faces, groups)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    with catalog.read() as session:
        index = centroid_index(session, "bench")
    load = time.perf_counter() - started
    assert len(index) == groups
    times = []
    with catalog.read() as session:
        for name in names[:200]:
            started = time.perf_counter()
            term = select(VocabularyTerm.id).where(VocabularyTerm.label == name)
            named = select(FaceGroup.id).where(FaceGroup.person_term_id.in_(term))
            found = session.scalars(select(Face.asset_id).where(Face.group_id.in_(named))
                                    .distinct()).all()
            times.append(time.perf_counter() - started)
            assert found
    result = {"faces": faces, "groups": groups, "fill_s": round(filled, 1),
              "index_load_s": round(load, 3),
              "person_p50_ms": round(1000 * statistics.median(times), 2),
              "person_p95_ms": round(1000 * _p95(times), 2)}
    started = time.perf_counter()
    with catalog.write() as session:
        refresh_face_people(session, range(1, (faces + 2) // 3 + 1))
    result["face_people_refresh_s"] = round(time.perf_counter() - started, 1)
    result.update(_search_by_person(settings, catalog, names[:200]))
    catalog.dispose()
    print("catalog", result, flush=True)
    return result


def _search_by_person(settings, catalog: Catalog, names: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from dam.search.service import SearchService

    service = SearchService(settings, catalog, refresh_seconds=0.0)
    try:
        started = time.perf_counter()
        service.rebuild()
        built = time.perf_counter() - started
        times = []
        for name in names:
            started = time.perf_counter()
            hits = service.search(f'persona:"{name}"', per_page=50).total
            times.append(time.perf_counter() - started)
            assert hits
    finally:
        service.close()
    return {"index_build_s": round(built, 1),
            "persona_search_p50_ms": round(1000 * statistics.median(times), 2),
            "persona_search_p95_ms": round(1000 * _p95(times), 2)}


def _photos(folder: Path, count: int) -> list[Path]:
    """Distinct files from the corpus: each re-encoded at its own quality."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(CORPUS.glob("*.jpg"))
    paths = []
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as image:
            path = folder / f"foto_{i:03}.jpg"
            image.convert("RGB").save(path, "JPEG", quality=70 + i % 25)
        paths.append(path)
    return paths


def _ingest_once(base: Path, photos: list[Path], faces: bool) -> tuple[float, float]:
    from sqlalchemy import func, select

    from dam.catalog import BatchInfo
    from dam.enums import AssetState
    from dam.models import Asset
    from ingest.batching import ingest_paths
    from ingest.worker import run_workers

    settings = load_settings(env={}, base_dir=base, data_dir=str(base / "var"), faces=faces,
                             workers=2)
    catalog = Catalog(settings.catalog_url)
    migrate(catalog)
    ctx = open_context(settings)
    started = time.perf_counter()
    ingest_paths(ctx, photos, BatchInfo(event="bench"))
    ready_at: list[float] = []
    done = threading.Event()

    def watch() -> None:  # run_workers needs the main thread (signals): the clock runs here
        while not done.is_set():
            with catalog.read() as session:
                ready = session.scalar(select(func.count(Asset.id)).where(
                    Asset.state == AssetState.READY))
            if ready == len(photos):
                ready_at.append(time.perf_counter() - started)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    run_workers(settings, 2, until_idle=True)
    done.set()
    watcher.join()
    if not ready_at:
        raise RuntimeError("workers stopped before every photo was ready")
    idle = time.perf_counter() - started
    ctx.close()
    catalog.dispose()
    return ready_at[0], idle


def bench_ingest(base: Path, count: int, repeat: int) -> dict[str, float]:
    photos = _photos(base / "fotos", count)
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for n in range(repeat):
        for faces in (False, True):  # interleaved: machine noise hits both alike
            runs[faces].append(_ingest_once(base / f"run-{n}-{faces}", photos, faces))
    off = statistics.median(r for r, _ in runs[False])
    on = statistics.median(r for r, _ in runs[True])
    result = {"photos": count, "ready_s_faces_off": round(off, 2),
              "ready_s_faces_on": round(on, 2), "on_over_off": round(on / off, 3),
              "idle_s_faces_off": round(statistics.median(i for _, i in runs[False]), 2),
              "idle_s_faces_on": round(statistics.median(i for _, i in runs[True]), 2)}
    print("ingest", result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], help="detect nearest catalog ingest")
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="acervo-faces-bench-") as tmp:
        base = Path(tmp)
        if "detect" not in args.skip:
            results["detect"] = bench_detect(args.repeat)
        if "nearest" not in args.skip:
            results["nearest"] = bench_nearest(args.groups)
        if "catalog" not in args.skip:
            results["catalog"] = bench_catalog(base / "catalog", args.faces, args.groups)
        if "ingest" not in args.skip:
            results["ingest"] = bench_ingest(base / "ingest", args.photos, args.repeat)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
