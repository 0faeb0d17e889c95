"""Which stored file an export of a picture starts from: the original, else its preview."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.enums import MediaType, RenditionKind
from dam.errors import DamError
from dam.models import Asset, Rendition
from ingest import imaging


class NoPictureError(DamError):
    """The asset is not a photo, or nothing stored can be exported as a picture."""


def picture_key(session: Session, asset: Asset) -> str:
    """The object-store key a picture export of ``asset`` reads."""
    if asset.media_type != MediaType.PHOTO:
        raise NoPictureError(f"asset {asset.id} is a {asset.media_type}, not a photo")
    if from_original(asset.mime_type):
        return asset.original_key
    key = session.scalar(select(Rendition.key).where(
        Rendition.asset_id == asset.id, Rendition.kind == RenditionKind.PREVIEW))
    if key is None:
        raise NoPictureError(f"asset {asset.id} ({asset.mime_type}) has no preview to export "
                             "from yet")
    return key


def from_original(mime_type: str) -> bool:
    """Whether exports decode the original: every type ingest renders (the same decoder), but
    a RAW, which starts from the preview ingest made of it (already upright, at preview size)."""
    return mime_type not in imaging.RAW_MIME_TYPES and imaging.can_decode(mime_type)
