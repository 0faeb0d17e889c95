"""Faces in the catalog: descriptors, grouping them into people, and the names they give assets.

A face joins the group whose mean descriptor (centroid) is nearest, when that is within the
``face_group_distance`` setting (Euclidean, dlib's usual 0.6), or starts a group of its own.
Groups are far fewer than faces, so the nearest group is found by comparing with every centroid
at once in memory (:class:`CentroidIndex`, one matrix product): no vector extension needed, on
SQLite and PostgreSQL alike. Each worker keeps the centroids it has seen and reads only the
groups changed since (``face_groups.updated_at`` is indexed).

``recluster`` regroups the whole archive (an admin action): named groups are kept, seeded with
their confirmed faces; every other face is assigned again in order.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select, true, update
from sqlalchemy.orm import Session

from dam import changes
from dam.enums import FaceSource
from dam.models import Asset, Face, FaceGroup, VocabularyTerm, utcnow

log = logging.getLogger(__name__)

DIMENSIONS = 128
_DTYPE = np.dtype("<f4")
REFRESH_MARGIN = dt.timedelta(seconds=5)  # clocks of other workers may lag a little


def to_bytes(vector: Sequence[float] | np.ndarray) -> bytes:
    """A descriptor as stored: 128 little-endian float32."""
    array = np.asarray(vector, dtype=_DTYPE).reshape(-1)
    if array.shape != (DIMENSIONS,):
        raise ValueError(f"a face descriptor has {DIMENSIONS} numbers, not {array.size}")
    return array.tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=_DTYPE, count=DIMENSIONS)


@dataclass(frozen=True)
class DetectedFace:
    """A face as the detector hands it over: box in fractions of the upright picture."""

    left: float
    top: float
    right: float
    bottom: float
    descriptor: bytes


class CentroidIndex:
    """Group centroids in one matrix: the nearest group of a descriptor in one product."""

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._row: dict[int, int] = {}
        self._matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._norms = np.zeros(0, dtype=np.float32)
        self._used = 0
        self.seen_until: dt.datetime | None = None

    def __len__(self) -> int:
        return len(self._row)

    def put(self, group_id: int, centroid: np.ndarray) -> None:
        row = self._row.get(group_id)
        if row is None:
            if self._used == len(self._matrix):
                grown = max(1024, 2 * len(self._matrix))
                self._matrix = np.resize(self._matrix, (grown, DIMENSIONS))
                self._norms = np.resize(self._norms, grown)
            row, self._used = self._used, self._used + 1
            self._row[group_id] = row
            self._ids.append(group_id)
        self._matrix[row] = centroid
        self._norms[row] = float(np.dot(centroid, centroid))

    def drop(self, group_id: int) -> None:
        row = self._row.pop(group_id, None)
        if row is not None:
            self._norms[row] = np.inf  # never nearest; the row is not reused
            self._ids[row] = -1

    def nearest(self, descriptor: np.ndarray) -> tuple[int | None, float]:
        """(group id, Euclidean distance) of the nearest centroid; (None, inf) when empty."""
        if not self._row:
            return None, float("inf")
        used = self._matrix[: self._used]
        # einsum, not BLAS: OpenBLAS's threads in every worker process fight over the cores
        # (p95 of 40 ms against ~1 ms single-threaded, measured with 10,000 groups)
        squared = self._norms[: self._used] - 2.0 * np.einsum("ij,j->i", used, descriptor)
        row = int(np.argmin(squared))
        distance = float(np.sqrt(max(squared[row] + float(np.dot(descriptor, descriptor)), 0.0)))
        return self._ids[row], distance


_indexes: dict[str, CentroidIndex] = {}


def centroid_index(session: Session, key: str) -> CentroidIndex:
    """This process's index of the catalog ``key``, brought up to date with the catalog."""
    index = _indexes.setdefault(key, CentroidIndex())
    query = select(FaceGroup.id, FaceGroup.centroid, FaceGroup.updated_at)
    if index.seen_until is not None:
        query = query.where(FaceGroup.updated_at >= index.seen_until - REFRESH_MARGIN)
    newest = index.seen_until
    for group_id, centroid, updated_at in session.execute(query):
        index.put(group_id, from_bytes(centroid))
        if updated_at is not None:
            updated_at = _aware(updated_at)
            newest = updated_at if newest is None or updated_at > newest else newest
    index.seen_until = newest
    return index


def forget_index(key: str) -> None:
    """Drop the cached index (after groups were deleted: merges, reclustering)."""
    _indexes.pop(key, None)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def join_nearest_group(session: Session, index: CentroidIndex, face: Face,
                       threshold: float) -> FaceGroup:
    """Put ``face`` in the nearest group within ``threshold`` (updating its mean) or a new one."""
    vector = from_bytes(face.descriptor)
    group_id, distance = index.nearest(vector)
    group = session.get(FaceGroup, group_id, with_for_update=True) if group_id else None
    if group is not None and distance <= threshold:
        count = group.face_count
        mean = (from_bytes(group.centroid) * count + vector) / (count + 1)
        group.centroid, group.face_count = to_bytes(mean), count + 1
    else:
        if group_id is not None and group is None:
            index.drop(group_id)  # deleted by a merge or a reclustering elsewhere
            return join_nearest_group(session, index, face, threshold)
        group = FaceGroup(centroid=face.descriptor, face_count=1)
        session.add(group)
    group.updated_at = utcnow()
    session.flush()
    face.group_id = group.id
    index.put(group.id, from_bytes(group.centroid))
    return group


def replace_faces(session: Session, asset: Asset, found: Iterable[DetectedFace],
                  index: CentroidIndex, threshold: float) -> list[Face]:
    """The asset's detected faces become ``found``, each grouped; faces people confirmed,
    rejected or marked as a minor's are kept as they are."""
    kept = session.scalars(select(Face).where(Face.asset_id == asset.id)).all()
    for face in kept:
        if face.source == FaceSource.DETECTED and not face.minor:
            _leave_group(session, face)
            session.delete(face)
    session.flush()
    faces = []
    for item in found:
        face = Face(asset_id=asset.id, left=item.left, top=item.top, right=item.right,
                    bottom=item.bottom, descriptor=item.descriptor)
        if any(_same_box(face, other) for other in kept if other.source != FaceSource.DETECTED
               or other.minor):
            continue
        session.add(face)
        join_nearest_group(session, index, face, threshold)
        faces.append(face)
    refresh_face_people(session, [asset.id])
    return faces


def _same_box(a: Face, b: Face) -> bool:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return False
    overlap = width * height
    union = ((a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top)
             - overlap)
    return overlap / union > 0.5


def _leave_group(session: Session, face: Face) -> None:
    if face.group_id is None:
        return
    group = session.get(FaceGroup, face.group_id, with_for_update=True)
    face.group_id = None
    if group is not None:
        recompute_group(session, group, leaving=face.id)


def recompute_group(session: Session, group: FaceGroup, leaving: int | None = None) -> None:
    """Set the group's mean and count from its faces; a group left empty is deleted."""
    query = select(Face.descriptor).where(Face.group_id == group.id,
                                          Face.source != FaceSource.REJECTED)
    if leaving is not None:
        query = query.where(Face.id != leaving)
    vectors = [from_bytes(d) for d in session.scalars(query)]
    if not vectors:
        if group.person_term_id is None:
            session.delete(group)
            return
        group.face_count = 0  # a named group stays, to be found again
        group.updated_at = utcnow()
        return
    group.centroid = to_bytes(np.mean(vectors, axis=0))
    group.face_count = len(vectors)
    group.updated_at = utcnow()


def people_of(session: Session, asset_ids: Sequence[int]) -> dict[int, list[str]]:
    """Names of the people whose faces are named in each asset (rejected faces left out)."""
    rows = session.execute(
        select(Face.asset_id, VocabularyTerm.label)
        .join(FaceGroup, Face.group_id == FaceGroup.id)
        .join(VocabularyTerm, FaceGroup.person_term_id == VocabularyTerm.id)
        .where(Face.asset_id.in_(list(asset_ids)), Face.source != FaceSource.REJECTED)
        .order_by(Face.left)
    )
    names: dict[int, list[str]] = {a: [] for a in asset_ids}
    for asset_id, label in rows:
        if label not in names[asset_id]:
            names[asset_id].append(label)
    return names


def refresh_face_people(session: Session, asset_ids: Iterable[int]) -> None:
    """Bring ``assets.face_people`` in step with their named faces, recording each asset that
    changes in the change feed (so the search index follows)."""
    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.flush()
        names = people_of(session, chunk)
        for asset in session.scalars(select(Asset).where(Asset.id.in_(chunk))):
            if list(asset.face_people or []) != names[asset.id]:
                asset.face_people = names[asset.id]
                changes.record(session, [asset.id], "updated")


def assets_of_group(session: Session, group_id: int) -> list[int]:
    return list(session.scalars(select(Face.asset_id).where(Face.group_id == group_id)
                                .distinct()))


def recluster(session: Session, threshold: float) -> dict[str, int]:
    """Regroup every face; named groups keep their name, seeded by their confirmed faces.

    Returns counts (faces, groups). Rejected faces stay out of every group.
    """
    index = CentroidIndex()
    members: dict[int, list[int]] = {}
    sums: dict[int, np.ndarray] = {}
    named = session.scalars(select(FaceGroup).where(FaceGroup.person_term_id.is_not(None))).all()
    anchored: set[int] = set()
    for group in named:
        rows = session.execute(select(Face.id, Face.descriptor).where(
            Face.group_id == group.id, Face.source == FaceSource.CONFIRMED)).all()
        if not rows:
            rows = session.execute(select(Face.id, Face.descriptor).where(
                Face.group_id == group.id, Face.source == FaceSource.DETECTED)).all()
        _seed(index, members, sums, group.id, rows)
        anchored.update(face_id for face_id, _ in rows)
    next_id = -1  # new groups get negative ids until they are written
    rows = session.execute(select(Face.id, Face.descriptor).where(
        Face.source != FaceSource.REJECTED).order_by(Face.id))
    for face_id, data in rows:
        if face_id in anchored:
            continue
        vector = from_bytes(data)
        group_id, distance = index.nearest(vector)
        if group_id is None or distance > threshold:
            group_id, next_id = next_id, next_id - 1
            members[group_id], sums[group_id] = [], np.zeros(DIMENSIONS, dtype=np.float64)
        members[group_id].append(face_id)
        sums[group_id] += vector
        index.put(group_id, (sums[group_id] / len(members[group_id])).astype(np.float32))
    return _write_clusters(session, members, sums, {g.id for g in named})


def _seed(index: CentroidIndex, members: dict[int, list[int]], sums: dict[int, np.ndarray],
          group_id: int, rows: Sequence[tuple[int, bytes]]) -> None:
    members[group_id] = [face_id for face_id, _ in rows]
    sums[group_id] = np.sum([from_bytes(d) for _, d in rows], axis=0, dtype=np.float64) \
        if rows else np.zeros(DIMENSIONS, dtype=np.float64)
    if rows:
        index.put(group_id, (sums[group_id] / len(rows)).astype(np.float32))


def _write_clusters(session: Session, members: dict[int, list[int]],
                    sums: dict[int, np.ndarray], named: set[int]) -> dict[str, int]:
    session.execute(update(Face).values(group_id=None))
    session.execute(delete(FaceGroup).where(FaceGroup.id.not_in(named) if named else true()))
    faces = 0
    now = utcnow()
    for group_id, face_ids in members.items():
        count = len(face_ids)
        centroid = to_bytes(sums[group_id] / count) if count else None
        if group_id > 0:
            group = session.get(FaceGroup, group_id)
            assert group is not None
            if centroid is not None:
                group.centroid = centroid
            group.face_count, group.updated_at = count, now
        else:
            group = FaceGroup(centroid=centroid, face_count=count, updated_at=now)
            session.add(group)
        session.flush()
        for start in range(0, count, 500):
            session.execute(update(Face).where(Face.id.in_(face_ids[start : start + 500]))
                            .values(group_id=group.id))
        faces += count
    asset_ids = session.scalars(select(Face.asset_id).distinct()).all()
    refresh_face_people(session, asset_ids)
    return {"faces": faces, "groups": len(members)}


def box_of(face: Face) -> list[float]:
    """[left, top, right, bottom], fractions of the upright picture, rounded for output."""
    return [round(face.left, 4), round(face.top, 4), round(face.right, 4), round(face.bottom, 4)]


def group_listing(session: Session, limit: int | None = None) -> list[dict[str, object]]:
    """Groups, named first then largest, each with its faces (asset id, box), for scripts."""
    query = (select(FaceGroup, VocabularyTerm.label)
             .outerjoin(VocabularyTerm, FaceGroup.person_term_id == VocabularyTerm.id)
             .order_by(FaceGroup.person_term_id.is_(None), FaceGroup.face_count.desc(),
                       FaceGroup.id))
    if limit is not None:
        query = query.limit(limit)
    groups = session.execute(query).all()
    faces: dict[int, list[dict[str, object]]] = {group.id: [] for group, _label in groups}
    ids = list(faces)
    for start in range(0, len(ids), 500):
        rows = session.scalars(select(Face).where(Face.group_id.in_(ids[start:start + 500]))
                               .order_by(Face.asset_id, Face.id))
        for face in rows:
            faces[face.group_id].append({  # type: ignore[index]
                "face_id": face.id, "asset_id": face.asset_id, "box": box_of(face),
                "source": str(face.source), "minor": face.minor})
    return [{"group_id": group.id, "person": label, "person_term_id": group.person_term_id,
             "face_count": group.face_count, "faces": faces[group.id]}
            for group, label in groups]


def faces_of_assets(session: Session, asset_ids: Sequence[int]
                    ) -> dict[int, list[dict[str, object]]]:
    """Each asset's faces (box, group, name, source, minor), for `dam list/show --json`."""
    found: dict[int, list[dict[str, object]]] = {a: [] for a in asset_ids}
    ids = list(asset_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Face, VocabularyTerm.label)
            .outerjoin(FaceGroup, Face.group_id == FaceGroup.id)
            .outerjoin(VocabularyTerm, FaceGroup.person_term_id == VocabularyTerm.id)
            .where(Face.asset_id.in_(ids[start:start + 500]))
            .order_by(Face.asset_id, Face.left))
        for face, label in rows:
            found[face.asset_id].append({
                "face_id": face.id, "box": box_of(face), "group_id": face.group_id,
                "name": None if face.source == FaceSource.REJECTED else label,
                "source": str(face.source), "minor": face.minor})
    return found


def people_overview(session: Session, unnamed: int = 48) -> list[dict[str, object]]:
    """Every named group and the ``unnamed`` largest others, each with a cover face: a face
    staff confirmed, else the largest one the detector found."""
    named = session.execute(
        select(FaceGroup.id, VocabularyTerm.label, FaceGroup.face_count)
        .join(VocabularyTerm, FaceGroup.person_term_id == VocabularyTerm.id)
        .order_by(VocabularyTerm.label)).all()
    others = session.execute(
        select(FaceGroup.id, FaceGroup.face_count).where(FaceGroup.person_term_id.is_(None))
        .order_by(FaceGroup.face_count.desc(), FaceGroup.id).limit(unnamed)).all()
    groups = [(g, label, n) for g, label, n in named] + [(g, None, n) for g, n in others]
    covers = cover_faces(session, [g for g, _label, _n in groups])
    return [{"group_id": g, "person": label, "face_count": n, "cover_face_id": covers.get(g)}
            for g, label, n in groups]


def cover_faces(session: Session, group_ids: Sequence[int]) -> dict[int, int]:
    """A face to show for each group: confirmed first, then the largest box."""
    covers: dict[int, int] = {}
    best: dict[int, tuple[bool, float]] = {}
    ids = list(group_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(select(Face.group_id, Face.id, Face.source, Face.left, Face.top,
                                      Face.right, Face.bottom)
                               .where(Face.group_id.in_(ids[start:start + 500])))
        for group_id, face_id, source, left, top, right, bottom in rows:
            rank = (source == FaceSource.CONFIRMED, (right - left) * (bottom - top))
            if group_id not in best or rank > best[group_id]:
                best[group_id], covers[group_id] = rank, face_id
    return covers
