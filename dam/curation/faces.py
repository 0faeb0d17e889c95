"""Naming faces: link a group to the people vocabulary, merge, split, confirm, reject, mark minors.

Editors and admins do these (faces are internal data); each is audited (action ``face``) in the
same transaction, and the assets whose named faces change get their ``face_people`` updated, so
the change feed carries them to the search index (``persona:"..."``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dam import changes
from dam import faces as catalog_faces
from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.rights import consent_is_valid, linked_consents, office_today
from dam.curation.vocabulary import _same_label, add_term, clean_label
from dam.enums import FaceSource, Role, VocabularyKind
from dam.errors import DamError, NotFoundError
from dam.models import (
    Asset,
    Collection,
    CollectionItem,
    Face,
    FaceGroup,
    VocabularyTerm,
    utcnow,
)

ACTION = "face"


class FaceNamingError(DamError):
    """A naming that cannot be done as asked (a wrong term, faces of another group...)."""


class FacePermissionError(FaceNamingError):
    """Someone below editor tried to name or change faces."""


def _require_editor(actor: Actor) -> None:
    if not actor.at_least(Role.EDITOR):
        raise FacePermissionError("only editors and administrators name faces")


def get_group(session: Session, group_id: int) -> FaceGroup:
    group = session.get(FaceGroup, group_id, with_for_update=True)
    if group is None:
        raise NotFoundError(f"face group {group_id} does not exist")
    return group


def get_face(session: Session, face_id: int) -> Face:
    face = session.get(Face, face_id, with_for_update=True)
    if face is None:
        raise NotFoundError(f"face {face_id} does not exist")
    return face


def person_term(session: Session, actor: Actor, label: str) -> VocabularyTerm:
    """The people vocabulary's term of ``label`` (any accents); an admin's new name is added."""
    label = clean_label(label)
    term = _same_label(session, VocabularyKind.PERSON, label)
    if term is not None:
        return term
    if not actor.at_least(Role.ADMIN):
        raise FaceNamingError(f"{label!r} is not in the people vocabulary: ask an administrator "
                              "to add it")
    return add_term(session, actor, VocabularyKind.PERSON, label)


def _label(session: Session, term_id: int | None) -> str | None:
    term = session.get(VocabularyTerm, term_id) if term_id else None
    return term.label if term else None


def name_group(session: Session, actor: Actor, group_id: int, term_id: int | None) -> FaceGroup:
    """Link the group to a term of the people vocabulary (None: unname it)."""
    _require_editor(actor)
    group = get_group(session, group_id)
    if term_id is not None:
        term = session.get(VocabularyTerm, term_id)
        if term is None or term.vocabulary != VocabularyKind.PERSON:
            raise FaceNamingError(f"term {term_id} is not a term of the people vocabulary")
    old = _label(session, group.person_term_id)
    if group.person_term_id == term_id:
        return group
    group.person_term_id, group.updated_at = term_id, utcnow()
    audit.record(session, actor, ACTION, field="name", old=old, new=_label(session, term_id),
                 detail=f"face group #{group.id} ({group.face_count} faces)")
    catalog_faces.refresh_face_people(session, catalog_faces.assets_of_group(session, group.id))
    return group


def merge_groups(session: Session, actor: Actor, target_id: int,
                 source_ids: Sequence[int]) -> FaceGroup:
    """Move every face of the ``source_ids`` groups into the target; the sources go away."""
    _require_editor(actor)
    target = get_group(session, target_id)
    names = {target.person_term_id} - {None}
    sources = [get_group(session, g) for g in source_ids if g != target_id]
    names |= {s.person_term_id for s in sources} - {None}
    if len(names) > 1:
        raise FaceNamingError("the groups are named after different people: unname one first")
    assets: set[int] = set(catalog_faces.assets_of_group(session, target.id))
    for source in sources:
        assets |= set(catalog_faces.assets_of_group(session, source.id))
        session.execute(update(Face).where(Face.group_id == source.id)
                        .values(group_id=target.id))
        session.delete(source)
    target.person_term_id = next(iter(names), None)
    session.flush()
    catalog_faces.recompute_group(session, target)
    audit.record(session, actor, ACTION, field="merge", old=[s.id for s in sources],
                 new=target.id, detail=f"face groups merged into #{target.id}")
    catalog_faces.refresh_face_people(session, assets)
    return target


def split_group(session: Session, actor: Actor, group_id: int,
                face_ids: Sequence[int]) -> FaceGroup:
    """Move ``face_ids`` (faces of the group) into a new, unnamed group."""
    _require_editor(actor)
    group = get_group(session, group_id)
    faces = [get_face(session, f) for f in face_ids]
    if not faces or any(f.group_id != group.id for f in faces):
        raise FaceNamingError(f"choose faces of group {group.id} to split it")
    new = FaceGroup(centroid=faces[0].descriptor, face_count=len(faces))
    session.add(new)
    session.flush()
    for face in faces:
        face.group_id = new.id
        if face.source == FaceSource.CONFIRMED:
            face.source = FaceSource.DETECTED  # confirmed as the old group's person
    session.flush()
    catalog_faces.recompute_group(session, new)
    catalog_faces.recompute_group(session, group)
    audit.record(session, actor, ACTION, field="split", old=group.id, new=new.id,
                 detail=f"{len(faces)} face(s) of group #{group.id} into #{new.id}")
    catalog_faces.refresh_face_people(session, [f.asset_id for f in faces])
    return new


def confirm_face(session: Session, actor: Actor, face_id: int) -> Face:
    """The face is its group's person, as suggested."""
    _require_editor(actor)
    face = get_face(session, face_id)
    if face.group_id is None:
        raise FaceNamingError("a face without a group has nobody to confirm")
    old = str(face.source)
    face.source = FaceSource.CONFIRMED
    group = session.get(FaceGroup, face.group_id)
    audit.record(session, actor, ACTION, asset_id=face.asset_id, field="confirm", old=old,
                 new=_label(session, group.person_term_id if group else None),
                 detail=f"face #{face.id} in group #{face.group_id}")
    return face


def reject_face(session: Session, actor: Actor, face_id: int) -> Face:
    """The face is not its group's person: it leaves the group for good."""
    _require_editor(actor)
    face = get_face(session, face_id)
    group = session.get(FaceGroup, face.group_id, with_for_update=True) if face.group_id else None
    name = _label(session, group.person_term_id if group else None)
    face.source, face.group_id = FaceSource.REJECTED, None
    session.flush()
    if group is not None:
        catalog_faces.recompute_group(session, group)
    audit.record(session, actor, ACTION, asset_id=face.asset_id, field="reject", old=name,
                 new=None, detail=f"face #{face.id} out of group #{group.id if group else '-'}")
    catalog_faces.refresh_face_people(session, [face.asset_id])
    return face


def name_face(session: Session, actor: Actor, face_id: int, label: str) -> Face:
    """Name one face: it joins (confirmed) the group named so, or its own group is named."""
    _require_editor(actor)
    face = get_face(session, face_id)
    term = person_term(session, actor, label)
    named = session.scalars(select(FaceGroup).where(FaceGroup.person_term_id == term.id)
                            .order_by(FaceGroup.face_count.desc())).first()
    if named is None and face.group_id is not None:
        name_group(session, actor, face.group_id, term.id)
    else:
        old_group = session.get(FaceGroup, face.group_id) if face.group_id else None
        if named is None:
            named = FaceGroup(centroid=face.descriptor, face_count=0, person_term_id=term.id)
            session.add(named)
            session.flush()
        face.group_id = named.id
        session.flush()
        for group in {named, old_group} - {None}:
            catalog_faces.recompute_group(session, group)  # type: ignore[arg-type]
    face.source = FaceSource.CONFIRMED
    audit.record(session, actor, ACTION, asset_id=face.asset_id, field="name", new=term.label,
                 detail=f"face #{face.id} named")
    catalog_faces.refresh_face_people(session, [face.asset_id])
    return face


def mark_minor(session: Session, actor: Actor, face_id: int, minor: bool) -> Face:
    """Mark (or unmark) a face as a minor's: blurred in public exports without consent.

    Marking one also marks the asset as showing minors (held back without consent, unless its
    collection's policy is to blur); unmarking leaves that to the editor.
    """
    _require_editor(actor)
    face = get_face(session, face_id)
    if face.minor != minor:
        audit.record(session, actor, ACTION, asset_id=face.asset_id, field="minor",
                     old=face.minor, new=minor, detail=f"face #{face.id}")
        face.minor = minor
    asset = session.get(Asset, face.asset_id)
    if minor and asset is not None and not asset.contains_minors:
        audit.record(session, actor, "rights", asset_id=asset.id, field="contains_minors",
                     old=False, new=True, detail=f"face #{face.id} marked as a minor's")
        asset.contains_minors = True
        changes.record(session, [asset.id], "updated")
    return face


Box = tuple[float, float, float, float]


def minor_faces_to_blur(session: Session, asset_ids: Sequence[int], now: dt.datetime
                        ) -> dict[int, list[Box]]:
    """Boxes of the minors' faces each asset shows with no valid consent form for minors:
    what every public export blurs (assets with none are left out)."""
    ids = list(asset_ids)
    boxes: dict[int, list[Box]] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(select(Face.asset_id, Face.left, Face.top, Face.right,
                                      Face.bottom).where(Face.asset_id.in_(ids[start:start + 500]),
                                                         Face.minor.is_(True)))
        for asset_id, *box in rows:
            boxes.setdefault(asset_id, []).append(tuple(box))  # type: ignore[arg-type]
    if not boxes:
        return boxes
    today = office_today(now)
    forms = linked_consents(session, list(boxes))
    return {asset_id: found for asset_id, found in boxes.items()
            if not any(f.covers_minor and consent_is_valid(f, today)
                       for f in forms.get(asset_id, []))}


def in_blurring_collections(session: Session, asset_ids: Sequence[int]) -> set[int]:
    """The assets that belong to a collection whose policy is to blur minors' faces."""
    ids = list(asset_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(
            select(CollectionItem.asset_id).join(Collection)
            .where(CollectionItem.asset_id.in_(ids[start:start + 500]),
                   Collection.blur_minors.is_(True))))
    return found
