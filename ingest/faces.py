"""Finding faces: dlib's HOG detector and ResNet descriptor on an asset's preview (or poster).

The models ship inside the ``face_recognition_models`` package (nothing is downloaded): the
5-point shape predictor aligns each face, the ResNet model turns it into a 128-d descriptor whose
Euclidean distances tell people apart (dlib's usual threshold 0.6). The models are loaded once per
worker, before it forks the sandboxed child (``ingest.sandbox``) that decodes the picture and
runs the detector, so each photo costs only the detection.

A ``find_faces`` job runs after the asset's processing, at a lower priority than processing
(thumbnails never wait for it), and is safe to retry: it replaces the detected faces of the
asset, keeping those staff confirmed, rejected or marked as a minor's.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import select

from dam import faces as catalog_faces
from dam.context import Context
from dam.enums import AssetState, JobKind, JobState, MediaType, RenditionKind
from dam.errors import IngestError
from dam.models import Asset, Job, Rendition
from dam.queue import ClaimedJob, enqueue
from ingest.sandbox import run_limited

log = logging.getLogger(__name__)

FACES_PRIORITY = 150  # after processing (100), before video proxies (200)
SMALL_PICTURE = 800  # long edge below which the detector looks at twice the size
DETECT_ON = {MediaType.PHOTO: RenditionKind.PREVIEW, MediaType.VIDEO: RenditionKind.POSTER}


@dataclass(frozen=True)
class FaceModels:
    detector: Any
    shape: Any
    encoder: Any


@lru_cache(maxsize=1)
def load_models() -> FaceModels:
    """dlib's detector, 5-point shape predictor and ResNet descriptor, from the wheel's files."""
    import dlib  # noqa: PLC0415 - loaded only in processes that look for faces

    with warnings.catch_warnings():  # the package locates its files through pkg_resources
        warnings.simplefilter("ignore")
        import face_recognition_models as files  # noqa: PLC0415

        shape_path = files.pose_predictor_five_point_model_location()
        encoder_path = files.face_recognition_model_location()
    return FaceModels(dlib.get_frontal_face_detector(), dlib.shape_predictor(shape_path),
                      dlib.face_recognition_model_v1(encoder_path))


def detect_faces(data: bytes) -> list[catalog_faces.DetectedFace]:
    """Faces in an encoded picture (a preview): boxes as fractions of it, and descriptors."""
    models = load_models()
    try:
        with Image.open(io.BytesIO(data)) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as exc:
        raise IngestError(f"the preview cannot be decoded to look for faces: {exc}") from None
    height, width = pixels.shape[:2]
    upsample = 1 if max(width, height) < SMALL_PICTURE else 0
    found = []
    for box in models.detector(pixels, upsample):
        shape = models.shape(pixels, box)
        vector = np.asarray(models.encoder.compute_face_descriptor(pixels, shape))
        found.append(catalog_faces.DetectedFace(
            left=_fraction(box.left(), width), top=_fraction(box.top(), height),
            right=_fraction(box.right(), width), bottom=_fraction(box.bottom(), height),
            descriptor=catalog_faces.to_bytes(vector),
        ))
    return found


def _fraction(value: int, size: int) -> float:
    return min(max(value / size, 0.0), 1.0)


def detect_in_child(ctx: Context, data: bytes) -> list[catalog_faces.DetectedFace]:
    """``detect_faces`` in the sandboxed child, with the decoding steps' limits."""
    load_models()  # in the worker, so the forked child inherits them
    settings = ctx.settings
    return run_limited(detect_faces, data, label="face detection",
                       timeout=settings.media_step_timeout_seconds,
                       memory_mb=settings.media_step_memory_mb)


def find_faces(ctx: Context, asset_id: int) -> int | None:
    """Detect, group and record the faces of one asset; their count (None: nothing to do)."""
    with ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.state != AssetState.READY or asset.media_type not in DETECT_ON:
            return None
        key = session.scalars(select(Rendition.key).where(
            Rendition.asset_id == asset_id,
            Rendition.kind == DETECT_ON[asset.media_type]).limit(1)).first()
    if key is None:
        return None
    found = detect_in_child(ctx, ctx.store.read_bytes(key))
    with ctx.catalog.write() as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            return None
        index = catalog_faces.centroid_index(session, ctx.catalog.url)
        faces = catalog_faces.replace_faces(session, asset, found, index,
                                            ctx.settings.face_group_distance)
    log.info("asset %s: %d face(s)", asset_id, len(faces))
    return len(faces)


def run_find_faces_job(ctx: Context, job: ClaimedJob) -> None:
    if job.asset_id is not None:
        find_faces(ctx, job.asset_id)


def queue_faces(session, asset: Asset, max_attempts: int) -> bool:  # type: ignore[no-untyped-def]
    """Queue the faces job of ``asset`` unless one waits or runs; True when queued."""
    if asset.media_type not in DETECT_ON:
        return False
    waiting = session.scalars(select(Job.id).where(
        Job.asset_id == asset.id, Job.kind == JobKind.FIND_FACES,
        Job.state.in_([JobState.QUEUED, JobState.RUNNING]))).first()
    if waiting is not None:
        return False
    enqueue(session, JobKind.FIND_FACES, asset.id, priority=FACES_PRIORITY,
            max_attempts=max_attempts)
    return True


def queue_all_faces(ctx: Context) -> int:
    """Queue the faces job of every ready photo and video (``dam faces --all``)."""
    queued = 0
    with ctx.catalog.read() as session:
        ids = session.scalars(select(Asset.id).where(
            Asset.state == AssetState.READY,
            Asset.media_type.in_(list(DETECT_ON))).order_by(Asset.id)).all()
    for start in range(0, len(ids), 500):
        with ctx.catalog.write() as session:
            for asset in session.scalars(select(Asset).where(Asset.id.in_(ids[start:start + 500]))):
                queued += queue_faces(session, asset, ctx.settings.job_max_attempts)
    return queued
