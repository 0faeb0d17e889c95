"""The institutional band (pleca): the admin-uploaded image laid along social pictures' bottom.

The band is checked (a real PNG or JPEG of sensible size and shape), stored as PNG in the
object store under ``branding/band-<sha256>.png`` (content-addressed, so a changed band is a new
key and old ones stay readable for the audit log), and its key kept in the publishing setting
``band_key``. Every change is written to the audit log.
"""

from __future__ import annotations

import hashlib
import io
import logging

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role
from dam.errors import DamError
from dam.models import PublishingSetting
from storage import ObjectStore

log = logging.getLogger(__name__)

BAND_KEY = "band_key"
MAX_BYTES = 5 * 1024 * 1024
MIN_WIDTH, MAX_WIDTH = 300, 8000
MAX_HEIGHT = 2000
MIN_ASPECT = 2.0  # a band is a strip: at least twice as wide as it is high
_FORMATS = ("PNG", "JPEG")


class BrandingError(DamError):
    """An institutional band that cannot be used (not an image, too large, wrong shape)."""


def _decoded(data: bytes) -> Image.Image:
    """The band's pixels (RGBA), after every check; BrandingError says what is wrong."""
    if not data:
        raise BrandingError("the file is empty")
    if len(data) > MAX_BYTES:
        raise BrandingError(f"the file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
            width, height = image.size
            _check_shape(width, height)
            image.load()
            return image.convert("RGBA")
    except BrandingError:
        raise
    except UnidentifiedImageError:
        raise BrandingError("the file is not a PNG or JPEG image") from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise BrandingError(f"the image is damaged: {exc}") from None


def _check_shape(width: int, height: int) -> None:
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise BrandingError(f"the band is {width} pixels wide; it must be between {MIN_WIDTH} "
                            f"and {MAX_WIDTH}")
    if not 1 <= height <= MAX_HEIGHT:
        raise BrandingError(f"the band is {height} pixels high; at most {MAX_HEIGHT}")
    if width < MIN_ASPECT * height:
        raise BrandingError(f"the band is {width}x{height}: it must be at least "
                            f"{MIN_ASPECT:g} times as wide as it is high")


def _require_admin(actor: Actor) -> None:
    if not actor.at_least(Role.ADMIN):
        raise BrandingError("only administrators change the institutional band")


def current_key(session: Session) -> str | None:
    """The store key of the band in use, None when there is none."""
    setting = session.get(PublishingSetting, BAND_KEY)
    value = setting.value if setting is not None else None
    return value if isinstance(value, str) and value else None


def _set_key(session: Session, actor: Actor, key: str | None) -> None:
    setting = session.get(PublishingSetting, BAND_KEY)
    old = setting.value if setting is not None else None
    if old == key:
        return
    if setting is None:
        session.add(PublishingSetting(key=BAND_KEY, value=key, updated_by=actor.user_id))
    else:
        setting.value, setting.updated_by = key, actor.user_id
    audit.record(session, actor, "branding", field=BAND_KEY, old=old, new=key)


def save_band(session: Session, store: ObjectStore, actor: Actor, data: bytes) -> str:
    """Check ``data`` (PNG or JPEG bytes), store it as PNG and make it the band in use.

    Returns its store key; BrandingError when the file cannot serve as a band.
    """
    _require_admin(actor)
    image = _decoded(data)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)  # re-encoded: nothing of the upload but its pixels
    png = out.getvalue()
    key = f"branding/band-{hashlib.sha256(png).hexdigest()}.png"
    if not store.exists(key):
        store.put_bytes(key, png, content_type="image/png")
    _set_key(session, actor, key)
    log.info("institutional band set to %s by %s", key, actor.username)
    return key


def load_band(session: Session, store: ObjectStore) -> bytes | None:
    """The band's PNG bytes, None when none is set (or its object is missing, logged)."""
    key = current_key(session)
    if key is None:
        return None
    try:
        return store.read_bytes(key)
    except FileNotFoundError:
        log.error("the institutional band %s is missing from the store: exports go without it",
                  key)
        return None


def remove_band(session: Session, actor: Actor) -> None:
    """No band from now on (the stored image stays, for the audit log's sake)."""
    _require_admin(actor)
    _set_key(session, actor, None)
