"""Social formats of a picture: fixed-size crops around its point of interest, with the band."""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass

from PIL import Image
from sqlalchemy.orm import Session

from dam.config import Settings
from dam.context import Context
from dam.curation.collection_reads import collections_of
from dam.errors import DamError
from dam.models import Asset, utcnow
from dam.publishing.blackout import blocking_blackout
from ingest.imaging import flatten
from publish.branding import load_band
from publish.clearance import Held, clear_for_export, faces_to_blur
from publish.credentials import shared_signer
from publish.describe import file_facts, press_info
from publish.export import ContentSigner, ExportedImage, export_image
from publish.focus import WORK_EDGE, focus_for
from publish.picture import decode_upright, upright_size
from publish.picture_source import picture_key
from publish.profiles import load_profile
from storage import ObjectStore

log = logging.getLogger(__name__)

PROFILE = "redes"
FOCUS_EDGE = 2 * WORK_EDGE  # JPEG draft mode decodes the guess's picture at a fraction


@dataclass(frozen=True)
class SocialPreset:
    """One format the networks take: its code (used in URLs), Spanish label and exact size."""

    code: str
    label: str
    width: int
    height: int


PRESETS: dict[str, SocialPreset] = {p.code: p for p in (
    SocialPreset("cuadrado", "Cuadrado (1080 × 1080)", 1080, 1080),
    SocialPreset("vertical", "Vertical (1080 × 1350)", 1080, 1350),
    SocialPreset("horizontal", "Horizontal (1200 × 675)", 1200, 675),
    SocialPreset("historia", "Historia (1080 × 1920)", 1080, 1920),
)}


class UnknownPresetError(DamError):
    """A social format that does not exist."""


class SocialBlackoutError(DamError):
    """An electoral blackout is in force and no excepted collection holds the picture."""

    def __init__(self, reason: str, ends_at: dt.datetime) -> None:
        super().__init__(f"an electoral blackout is in force until {ends_at:%Y-%m-%d %H:%M} UTC "
                         f"({reason}): nothing goes to social networks except civil-protection "
                         "and health information")
        self.reason, self.ends_at = reason, ends_at


def refuse_in_blackout(session: Session, asset: Asset, now: dt.datetime) -> None:
    """SocialBlackoutError during a blackout, unless a collection holding the asset is excepted
    (civil protection, health), as for the gallery and press kits."""
    period = blocking_blackout(session, now, collections_of(session, asset.id))
    if period is None:
        return
    raise SocialBlackoutError(period.reason, period.ends_at)


class HeldBackError(DamError):
    """The asset may not leave with the social-networks profile (``held`` says why)."""

    def __init__(self, held: Held) -> None:
        super().__init__(f"asset {held.asset_id} is held back: {', '.join(held.reasons)}")
        self.held = held


def preset_named(code: str) -> SocialPreset:
    preset = PRESETS.get(code)
    if preset is None:
        raise UnknownPresetError(f"unknown social format {code!r}; use one of "
                                 f"{', '.join(PRESETS)}")
    return preset


def load_band_or_none(session: Session, store: ObjectStore) -> bytes | None:
    """The institutional band (publish.branding), or None when none is uploaded."""
    return load_band(session, store)


def load_signer_or_none(settings: Settings) -> ContentSigner | None:
    """The C2PA signer (publish.credentials), or None when the keys are missing."""
    signer: ContentSigner | None = shared_signer(settings)
    return signer


def _crop_to_aspect(image: Image.Image, spec: SocialPreset,
                    focus: tuple[float, float]) -> Image.Image:
    """The largest crop of ``image`` with the preset's aspect, centred on ``focus`` as far as
    the edges allow (at least one pixel each way)."""
    width, height = image.size
    crop_w = min(width, max(1, round(height * spec.width / spec.height)))
    crop_h = min(height, max(1, round(width * spec.height / spec.width)))
    left = min(max(round(focus[0] * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(focus[1] * height - crop_h / 2), 0), height - crop_h)
    return image.crop((left, top, left + crop_w, top + crop_h))


def _large_enough(data: bytes, spec: SocialPreset, focus: tuple[float, float]) -> io.BytesIO:
    """The picture, cropped around ``focus`` and enlarged first when it is too small to fill
    the preset.

    The networks want their exact sizes, and export_images never enlarges a frame. Only small
    pictures (old, cropped, or a pixel or two on a side) take this path: the crop is taken
    before enlarging, so a 1 x 700 strip never becomes a picture of gigapixels; the enlarged
    copy goes to export_images as a lossless PNG of the preset's size, upright; metadata is
    dropped there anyway.
    """
    width, height = upright_size(io.BytesIO(data))
    if spec.width <= width and spec.height <= height:
        return io.BytesIO(data)
    upright = flatten(decode_upright(io.BytesIO(data), long_edge=None))  # a small picture
    framed = _crop_to_aspect(upright, spec, focus)
    log.info("enlarging a %dx%d picture (%dx%d of it) to %dx%d for %s", width, height,
             *framed.size, spec.width, spec.height, spec.code)
    out = io.BytesIO()
    framed.resize((spec.width, spec.height), Image.Resampling.LANCZOS).save(
        out, "PNG", compress_level=1)
    out.seek(0)
    return out


def social_image(ctx: Context, asset: Asset, preset: str,
                 now: dt.datetime | None = None) -> ExportedImage:
    """``asset`` in the social format ``preset``, cropped around its point of interest.

    Raises UnknownPresetError, HeldBackError (a restriction the ``redes`` profile blocks),
    SocialBlackoutError (an electoral blackout) or publish.picture_source.NoPictureError (not
    a photo).
    """
    spec = preset_named(preset)
    now = now or utcnow()
    with ctx.catalog.read() as session:
        profile = load_profile(session, PROFILE)
        _cleared, held = clear_for_export(session, [asset], profile, now)
        if held:
            raise HeldBackError(held[0])
        blur = faces_to_blur(session, [asset.id], profile, now).get(asset.id, [])
        refuse_in_blackout(session, asset, now)
        key = picture_key(session, asset)
        band = load_band_or_none(session, ctx.store) if profile.band else None
    data = ctx.store.read_bytes(key)
    focus = focus_for(asset, flatten(decode_upright(io.BytesIO(data), long_edge=FOCUS_EDGE)))
    source = _large_enough(data, spec, focus)
    return export_image(source, press_info(asset, ctx.settings), profile,
                        frame=(spec.width, spec.height), focus=focus,
                        facts=file_facts(asset), band=band,
                        signer=load_signer_or_none(ctx.settings), blur=blur)
