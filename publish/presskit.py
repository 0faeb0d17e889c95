"""Press kits: a ZIP of press-size JPEGs, their captions and the licence, streamed as it is made.

The ZIP is written with zipstream-ng as the client reads it: each JPEG is exported (``prensa``
profile, its largest size, caption, credit, copyright and licence embedded) only when the
stream reaches it, added, sent, and dropped, so at most one picture is in memory and nothing is
written to disk. JPEGs are stored (deflating them gains nothing); the text files are deflated.

``pies_de_foto.txt`` is UTF-8 with a byte-order mark and CRLF line ends: newsrooms open it in
Windows Notepad or Word, which show accents and line breaks correctly only that way, while every
other editor reads it fine too.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zipfile import ZIP_DEFLATED, ZIP_STORED

from sqlalchemy.orm import Session
from zipstream import ZipStream

from dam.config import Settings
from dam.context import Context
from dam.curation.collections import slugify
from dam.curation.rights import OFFICE_TZ, as_utc
from dam.enums import MediaType
from dam.errors import DamError
from dam.models import Asset, Collection
from dam.publishing.blackout import blocking_blackout
from publish.clearance import Held, clear_for_export, faces_to_blur
from publish.credentials import shared_signer
from publish.describe import file_facts, press_info
from publish.embed import PressInfo
from publish.export import ContentSigner, FileFacts, export_image
from publish.picture_source import NoPictureError, picture_key
from publish.presskit_text import CaptionEntry, captions_text, licence_text
from publish.profiles import ExportProfile, load_profile
from storage import ObjectStore

log = logging.getLogger(__name__)

PROFILE = "prensa"
MAX_ITEMS = 500  # photos in one kit: beyond that, split the selection
CAPTIONS_NAME = "pies_de_foto.txt"
LICENCE_NAME = "LICENCIA.txt"


class PressKitError(DamError):
    """A press kit that cannot be made (the message says why)."""


class PressKitBlackoutError(PressKitError):
    """An electoral blackout is in force and the collection is not excepted."""

    def __init__(self, message: str, reason: str, ends_at: dt.datetime) -> None:
        super().__init__(message)
        self.reason, self.ends_at = reason, ends_at


class PressKitEmptyError(PressKitError):
    """Nothing of the selection may go in a press kit (``held`` says why)."""

    def __init__(self, message: str, held: Sequence[Held]) -> None:
        super().__init__(message)
        self.held = list(held)


@dataclass(frozen=True)
class _Photo:
    """What the stream needs of one photo, read from the catalog before streaming starts."""

    name: str
    key: str
    info: PressInfo
    facts: FileFacts
    entry: CaptionEntry
    blur: tuple[tuple[float, float, float, float], ...] = ()  # minors' faces (publish.blur)


@dataclass
class PressKit:
    """A press kit ready to stream: its file name, what goes in it and what was held back."""

    filename: str
    held: list[Held]
    photos: list[_Photo]
    title: str
    made_at: dt.datetime
    settings: Settings
    store: ObjectStore
    profile: ExportProfile
    signer: ContentSigner | None = None  # C2PA credentials, when the profile asks for them
    other_media: list[CaptionEntry] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.photos)

    @property
    def asset_ids(self) -> list[int]:
        return [p.entry.asset_id for p in self.photos]

    def _export(self, photo: _Photo) -> bytes | None:
        """The press JPEG of ``photo``, or None (logged, noted in the captions) if it fails."""
        try:
            source = io.BytesIO(self.store.read_bytes(photo.key))
            long_edge = self.profile.sizes[0] if self.profile.sizes else None
            return export_image(source, photo.info, self.profile, long_edge=long_edge,
                                facts=photo.facts, signer=self.signer, blur=photo.blur).data
        except (DamError, OSError, ValueError) as exc:
            log.error("press kit %s: %s could not be exported: %s", self.filename, photo.name, exc)
            self.failed.append(photo.name)
            return None

    def chunks(self) -> Iterator[bytes]:
        """The ZIP, produced as it is read: one JPEG exported at a time."""
        stream = ZipStream(compress_type=ZIP_DEFLATED, compress_level=9)
        stream.comment = f"Paquete para prensa: {self.title}".encode()[:1000]
        for photo in self.photos:
            data = self._export(photo)
            if data is None:
                continue
            stream.add(data, photo.name, compress_type=ZIP_STORED)
            yield from stream.file()
        sent = [p.entry for p in self.photos if p.name not in self.failed]
        stream.add(captions_text(self.title, self.settings.agency_name, self.made_at, sent,
                                 self.other_media, self.failed), CAPTIONS_NAME)
        stream.add(licence_text(self.settings.agency_name, sent + self.other_media),
                   LICENCE_NAME)
        yield from stream.finalize()
        log.info("press kit %s streamed: %d photos, %d failed", self.filename,
                 len(sent), len(self.failed))


def _ascii_slug(text: str) -> str:
    return slugify(unicodedata.normalize("NFC", text))


def _entry_name(index: int, width: int, asset: Asset) -> str:
    stem = asset.headline or (asset.original_filename or "").rsplit(".", 1)[0]
    slug = _ascii_slug(stem)[:60].rstrip("-") if stem else ""
    if not slug or slug == "coleccion":
        slug = f"foto-{asset.id}"
    return f"{index:0{width}d}-{slug}.jpg"


def _refuse_in_blackout(session: Session, collection: Collection | None,
                        now: dt.datetime) -> None:
    blackout = blocking_blackout(session, now, [collection] if collection is not None else [])
    if blackout is None:
        return
    raise PressKitBlackoutError(
        f"an electoral blackout is in force until {blackout.ends_at:%Y-%m-%d %H:%M} UTC "
        f"({blackout.reason}): press kits are not sent; only collections excepted for civil "
        "protection or health information may be", blackout.reason, blackout.ends_at)


def press_kit(ctx: Context, assets_in_order: Sequence[Asset], *, title: str,
              now: dt.datetime, collection: Collection | None = None) -> PressKit:
    """A press kit of ``assets_in_order`` (cleared photos only), ready to stream.

    ``assets_in_order`` are loaded Asset objects (detached ones are fine: nothing is read
    lazily from them).

    Raises PressKitBlackoutError during a blackout (unless ``collection`` is excepted),
    PressKitEmptyError when nothing may go, PressKitError when there is too much.
    """
    with ctx.catalog.read() as session:
        _refuse_in_blackout(session, collection, now)
        profile = load_profile(session, PROFILE)
        cleared, held = clear_for_export(
            session, list(assets_in_order), profile, now,
            blur_minors=collection.blur_minors if collection is not None else None)
        photos = [a for a in cleared if a.media_type == MediaType.PHOTO]
        blur = faces_to_blur(session, [a.id for a in photos], profile, now)
        if len(photos) > MAX_ITEMS:
            raise PressKitError(f"a press kit takes at most {MAX_ITEMS} photos; this one has "
                                f"{len(photos)}: split the selection")
        keys = _picture_keys(session, photos)
    photos = [a for a in photos if a.id in keys]
    if not photos:
        raise PressKitEmptyError("no photo of this selection may go in a press kit "
                                 f"({len(held)} held back)", held)
    width = max(2, len(str(len(photos))))
    items = []
    for index, asset in enumerate(photos, start=1):
        name = _entry_name(index, width, asset)
        items.append(_Photo(name, keys[asset.id], press_info(asset, ctx.settings),
                            file_facts(asset), CaptionEntry.of(asset, name, ctx.settings),
                            tuple(blur.get(asset.id, ()))))
    others = [CaptionEntry.of(a, None, ctx.settings) for a in cleared
              if a.media_type != MediaType.PHOTO]
    day = (as_utc(now) or now).astimezone(OFFICE_TZ)
    return PressKit(filename=f"paquete-para-prensa-{_ascii_slug(title)[:60]}-{day:%Y-%m-%d}.zip",
                   held=held, photos=items, title=title, made_at=now, settings=ctx.settings,
                   store=ctx.store, profile=profile, other_media=others,
                   signer=shared_signer(ctx.settings) if profile.c2pa else None)


def _picture_keys(session: Session, photos: Sequence[Asset]) -> dict[int, str]:
    keys = {}
    for asset in photos:
        try:
            keys[asset.id] = picture_key(session, asset)
        except NoPictureError as exc:
            log.warning("press kit: %s", exc)
    return keys

