"""What a profile lays over an exported picture: the institutional band and a text watermark."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from publish.picture import ExportError, decode_upright

MAX_BAND_PIXELS = 25_000_000


def decode_band(data: bytes) -> Image.Image:
    """The band (PNG or JPEG bytes) as RGBA, decoded once for every size of an export."""
    try:
        band = decode_upright(io.BytesIO(data), long_edge=None, max_pixels=MAX_BAND_PIXELS)
    except ExportError as exc:
        raise ExportError(f"the institutional band cannot be used: {exc}") from None
    return band if band.mode == "RGBA" else band.convert("RGBA")


def lay_band(picture: Image.Image, band: Image.Image) -> Image.Image:
    """``picture`` with ``band`` across its whole width along the bottom edge.

    The band is scaled to the picture's width keeping its aspect; its transparency shows the
    picture through. A band taller than the picture is cut at the top, never stretched.
    """
    height = max(1, round(band.height * picture.width / band.width))
    scaled = band.resize((picture.width, height), Image.Resampling.LANCZOS)
    if height > picture.height:
        scaled = scaled.crop((0, height - picture.height, picture.width, height))
    out = picture.copy()
    top = picture.height - scaled.height
    if out.mode == "RGBA":
        out.alpha_composite(scaled, (0, top))
    else:
        out.paste(scaled, (0, top), mask=scaled.getchannel("A"))
    return out


def band_height(picture: Image.Image, band: Image.Image | None) -> int:
    if band is None:
        return 0
    return min(picture.height, round(band.height * picture.width / band.width))


def draw_watermark(picture: Image.Image, text: str, *, bottom_margin: int = 0) -> Image.Image:
    """``picture`` with ``text`` in its lower right corner (above ``bottom_margin`` pixels),
    white at 70% with a dark outline so it reads on light and dark pictures alike."""
    size = max(12, picture.width // 40)
    font = ImageFont.load_default(size=size)
    layer = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    stroke = max(1, size // 12)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
    margin = max(4, size // 2)
    x = picture.width - (right - left) - margin - left
    y = picture.height - bottom_margin - (bottom - top) - margin - top
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 178), stroke_width=stroke,
              stroke_fill=(0, 0, 0, 140))
    base = picture.convert("RGBA")
    base.alpha_composite(layer)
    return base if picture.mode == "RGBA" else base.convert("RGB")
