"""Where a photo was printed: linking publications to the archive photos they show.

Every picture embedded in a publication's PDF gets a perceptual hash computed as the photos'
(``ingest.stills.hash_like_photos``) and is kept in ``publication_images``; a photo matches a
printed picture when their 64-bit hashes differ in at most ``publication_match_distance`` bits.
Links are made in both directions, in the catalog transaction that records the asset: a new
publication is compared with the photos already catalogued, a new photo with the pictures
already printed.

Lookup cost. Each hash is split in four 16-bit quarters, each indexed (assets.phash_q0..3,
publication_images.phash_q0..3). By pigeonhole, two hashes within distance d agree within r bits
on at least one quarter when d <= 4r + 3, so a query asks for the quarter values within r bits
of the picture's (137 values per quarter for r = 2, enough for d <= 11) through the four
indexes, and only those candidates are compared in Python: with uniformly spread quarters and
a million photos, ~8,000 candidates per printed picture (4 x 137 x 10^6 / 65,536) instead of a
million; a threshold of 7 would need r = 1 and ~1,000.

A burst of near-identical frames would otherwise all be linked: a printed picture is linked to
its closest photos only, those within LINK_MARGIN bits of the best match.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, or_, select

from dam.enums import MediaType
from dam.models import Asset, PublicationImage, PublicationPhoto, phash_quarters

if TYPE_CHECKING:
    from ingest.pdf import PrintedImage

LINK_MARGIN = 2


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def quarter_radius(max_distance: int) -> int:
    """The smallest r with 4r + 3 >= max_distance (see the module's docstring)."""
    return max(0, math.ceil((max_distance - 3) / 4))


@lru_cache(maxsize=4)
def _flip_masks(radius: int) -> tuple[int, ...]:
    masks = [0]
    for bits in range(1, radius + 1):
        for chosen in itertools.combinations(range(16), bits):
            masks.append(sum(1 << b for b in chosen))
    return tuple(masks)


def near_values(value: int, radius: int) -> list[int]:
    """Every 16-bit value within ``radius`` bits of ``value``."""
    return [value ^ mask for mask in _flip_masks(radius)]


def _near_clause(columns: list):  # type: ignore[no-untyped-def]
    """Any quarter among the values bound to ``q0``..``q3`` (see :func:`_near_values`): the
    lists are expanded when the statement runs, so it is built and compiled once, not coerced
    value by value (548 of them for r = 2) at every call: ~0.35 ms less a photo."""
    return or_(*(column.in_(bindparam(f"q{i}", expanding=True))
                 for i, column in enumerate(columns)))


def _near_values(phash: str, max_distance: int) -> dict[str, list[int]]:
    radius = quarter_radius(max_distance)
    return {f"q{i}": near_values(q, radius) if q is not None else []
            for i, q in enumerate(phash_quarters(phash))}


@lru_cache(maxsize=1)
def _near_photos():  # type: ignore[no-untyped-def]
    columns = [Asset.phash_q0, Asset.phash_q1, Asset.phash_q2, Asset.phash_q3]
    return select(Asset.id, Asset.phash).where(
        Asset.media_type == MediaType.PHOTO, Asset.phash.is_not(None), _near_clause(columns))


@lru_cache(maxsize=1)
def _near_printed():  # type: ignore[no-untyped-def]
    columns = [PublicationImage.phash_q0, PublicationImage.phash_q1,
               PublicationImage.phash_q2, PublicationImage.phash_q3]
    return select(PublicationImage).where(_near_clause(columns))


def matching_photos(session, phash: str, max_distance: int) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(photo id, distance) of the archive photos within ``max_distance`` of ``phash``."""
    rows = session.execute(_near_photos(), _near_values(phash, max_distance)).all()
    found = [(asset_id, hamming(other, phash)) for asset_id, other in rows]
    return [(asset_id, d) for asset_id, d in found if d <= max_distance]


def matching_printed(session, phash: str, max_distance: int) -> list[tuple[PublicationImage, int]]:  # type: ignore[no-untyped-def]
    """(printed picture, distance) within ``max_distance`` of ``phash``."""
    images = session.scalars(_near_printed(), _near_values(phash, max_distance)).all()
    found = [(image, hamming(image.phash, phash)) for image in images]
    return [(image, d) for image, d in found if d <= max_distance]


def record_publication(session, asset: Asset, images: list[PrintedImage], max_distance: int) -> int:  # type: ignore[no-untyped-def]
    """Replace the publication's printed pictures and links; returns how many photos it shows."""
    session.execute(delete(PublicationImage).where(PublicationImage.asset_id == asset.id))
    session.execute(delete(PublicationPhoto).where(PublicationPhoto.publication_id == asset.id))
    links: dict[tuple[int, int], tuple[int, int]] = {}  # (photo, page) -> (distance, image id)
    for printed in images:
        row = _add_image(session, asset.id, printed)
        matches = matching_photos(session, printed.phash, max_distance)
        if not matches:
            continue
        best = min(d for _id, d in matches)
        for photo_id, distance in matches:
            if photo_id == asset.id or distance > best + LINK_MARGIN:
                continue
            key = (photo_id, printed.page)
            if key not in links or distance < links[key][0]:
                links[key] = (distance, row.id)
    for (photo_id, page), (distance, image_id) in links.items():
        session.add(
            PublicationPhoto(
                publication_id=asset.id,
                photo_id=photo_id,
                image_id=image_id,
                page=page,
                distance=distance,
            )
        )
    return len({photo_id for photo_id, _page in links})


def _add_image(session, asset_id: int, printed: PrintedImage) -> PublicationImage:  # type: ignore[no-untyped-def]
    q0, q1, q2, q3 = phash_quarters(printed.phash)
    row = PublicationImage(
        asset_id=asset_id,
        page=printed.page,
        width=printed.width,
        height=printed.height,
        phash=printed.phash,
        phash_q0=q0,
        phash_q1=q1,
        phash_q2=q2,
        phash_q3=q3,
    )
    session.add(row)
    session.flush()
    return row


def link_photo(session, asset: Asset, max_distance: int, *, linked_before: bool = True) -> int:  # type: ignore[no-untyped-def]
    """Link a photo to the publications that printed it; returns how many links it has.

    ``linked_before=False`` says the photo had no hash until now, hence no links to remove:
    links are only ever made between hashes.
    """
    if linked_before:
        session.execute(delete(PublicationPhoto).where(PublicationPhoto.photo_id == asset.id))
    if not asset.phash:
        return 0
    made = 0
    for image, distance in matching_printed(session, asset.phash, max_distance):
        if image.asset_id == asset.id or not _close_enough(session, image, distance):
            continue
        _keep_best(session, image, asset.id, distance)
        made += 1
    return made


def _close_enough(session, image: PublicationImage, distance: int) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``distance`` is within LINK_MARGIN of the photos already linked to ``image``;
    links that the new photo beats by more than that are removed."""
    linked = session.scalars(
        select(PublicationPhoto).where(PublicationPhoto.image_id == image.id)
    ).all()
    best = min([link.distance for link in linked] + [distance])
    for link in linked:
        if link.distance > best + LINK_MARGIN:
            session.delete(link)
    return distance <= best + LINK_MARGIN


def _keep_best(session, image: PublicationImage, photo_id: int, distance: int) -> None:  # type: ignore[no-untyped-def]
    existing = session.scalars(
        select(PublicationPhoto).where(
            PublicationPhoto.publication_id == image.asset_id,
            PublicationPhoto.photo_id == photo_id,
            PublicationPhoto.page == image.page,
        )
    ).first()
    if existing is None:
        session.add(
            PublicationPhoto(
                publication_id=image.asset_id,
                photo_id=photo_id,
                image_id=image.id,
                page=image.page,
                distance=distance,
            )
        )
        session.flush()
    elif distance < existing.distance:
        existing.distance, existing.image_id = distance, image.id
