"""Small photo-like test images made on the fly (EXIF, GPS, orientation) with Pillow."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw


def _rational(value: float) -> tuple[Fraction, Fraction, Fraction]:
    deg = int(value)
    minutes_full = (value - deg) * 60
    minutes = int(minutes_full)
    seconds = Fraction(round((minutes_full - minutes) * 60 * 10000), 10000)
    return Fraction(deg), Fraction(minutes), seconds


@dataclass(frozen=True)
class PrivateTags:
    """EXIF a camera writes that identifies the device or its owner."""

    body_serial: str = "CAMSERIAL-4471902"
    lens_serial: str = "LENSSERIAL-88120"
    owner: str = "Propietaria Rosalba Quintanar"
    maker_note: bytes = b"MAKERNOTE-CANON-SECRET-0x5A5A"

    def write(self, exif: Image.Exif) -> None:
        ifd = exif.get_ifd(0x8769)
        ifd[0xA430] = self.owner  # CameraOwnerName
        ifd[0xA431] = self.body_serial  # BodySerialNumber
        ifd[0xA435] = self.lens_serial  # LensSerialNumber
        ifd[0x927C] = self.maker_note  # MakerNote


def make_photo(
    path: Path,
    size: tuple[int, int] = (1200, 800),
    *,
    seed: int = 0,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken: str | None = "2025:03:14 11:30:00",
    offset: str | None = "-06:00",
    make: str = "Canon",
    model: str = "Canon EOS R6",
    quality: int = 90,
    private: PrivateTags | None = None,
) -> Path:
    """A JPEG with gradients and shapes (so renditions and hashes differ by seed) and EXIF.

    ``private`` adds what must never reach the public: serial numbers, owner, maker notes.
    """
    w, h = size
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for i in range(6):
        x = (seed * 97 + i * 211) % max(w - 50, 1)
        y = (seed * 53 + i * 157) % max(h - 50, 1)
        color = ((seed * 40 + i * 60) % 256, (i * 90) % 256, (seed * 13) % 256)
        draw.rectangle([x, y, x + w // 5, y + h // 5], fill=color)
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    if orientation:
        exif[0x0112] = orientation
    ifd = exif.get_ifd(0x8769)
    if taken:
        ifd[0x9003] = taken
    if offset:
        ifd[0x9011] = offset
    if gps:
        lat, lon = gps
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N" if lat >= 0 else "S"
        gps_ifd[2] = _rational(abs(lat))
        gps_ifd[3] = "E" if lon >= 0 else "W"
        gps_ifd[4] = _rational(abs(lon))
    if private is not None:
        private.write(exif)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=quality, exif=exif)
    return path


#: Four quadrant colours: any turn or mirror of the picture moves them to different corners.
QUADRANTS = ((230, 30, 30), (30, 200, 30), (30, 30, 230), (240, 220, 40))


def quadrant_image(size: tuple[int, int] = (96, 64)) -> Image.Image:
    """An asymmetric picture: red, green on top; blue, yellow below (any turn shows)."""
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for index, colour in enumerate(QUADRANTS):
        x, y = (index % 2) * w // 2, (index // 2) * h // 2
        draw.rectangle([x, y, x + w // 2 - 1, y + h // 2 - 1], fill=colour)
    return img


def save_oriented(image: Image.Image, path: Path, fmt: str, orientation: int) -> Path:
    """``image`` saved as ``fmt`` with EXIF orientation ``orientation`` (HEIF: as irot/imir)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    options: dict[str, object] = {"exif": exif.tobytes()}
    if fmt == "JPEG":
        options["quality"] = 95
    elif fmt == "WEBP":
        options["lossless"] = True
    elif fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
        options["quality"] = 95
    image.save(path, fmt, **options)
    return path


def write_psd(image: Image.Image, path: Path) -> Path:
    """``image`` as a minimal Photoshop file: no layers, the flattened composite stored raw."""
    import struct

    rgb = image.convert("RGB")
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, rgb.height, rgb.width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, image resources, layers
    planes = b"".join(band.tobytes() for band in rgb.split())
    path.write_bytes(header + sections + struct.pack(">H", 0) + planes)
    return path


def write_picture(image: Image.Image, path: Path, fmt: str, **options: object) -> Path:
    """``image`` saved by Pillow (or by ``write_psd``) as ``fmt``, with its plugins loaded."""
    import pillow_heif
    import pillow_jxl  # noqa: F401 - registers JPEG XL

    pillow_heif.register_heif_opener()
    if fmt == "PSD":
        return write_psd(image, path)
    image.save(path, fmt, **options)
    return path


def write_dng(path: Path, size: tuple[int, int] = (256, 192), *, empty: bool = False,
              orientation: int = 1) -> Path:
    """A small uncompressed Bayer (RGGB) DNG of a gradient; ``empty``: its sensor data all zero,
    as a pruned or truncated DNG decodes."""
    import struct

    import numpy as np

    w, h = size
    ramp = np.linspace(200, 3800, w, dtype=np.float32)[None, :] * np.ones((h, 1), np.float32)
    pixels = np.zeros((h, w), np.uint16) if empty else ramp.astype(np.uint16)
    data = pixels.astype("<u2").tobytes()
    model = b"Acervo Test\x00"
    entries: list[tuple[int, int, int, bytes]] = [
        (254, 4, 1, struct.pack("<I", 0)), (256, 4, 1, struct.pack("<I", w)),
        (257, 4, 1, struct.pack("<I", h)), (258, 3, 1, struct.pack("<H", 16)),
        (259, 3, 1, struct.pack("<H", 1)), (262, 3, 1, struct.pack("<H", 32803)),
        (271, 2, 7, b"Acervo\x00"), (272, 2, len(model), model),
        (273, 4, 1, b"DATA"), (274, 3, 1, struct.pack("<H", orientation)),
        (277, 3, 1, struct.pack("<H", 1)), (278, 4, 1, struct.pack("<I", h)),
        (279, 4, 1, struct.pack("<I", len(data))), (284, 3, 1, struct.pack("<H", 1)),
        (33421, 3, 2, struct.pack("<HH", 2, 2)), (33422, 1, 4, bytes([0, 1, 1, 2])),
        (50706, 1, 4, bytes([1, 4, 0, 0])), (50708, 2, len(model), model),
        (50714, 4, 1, struct.pack("<I", 0)), (50717, 4, 1, struct.pack("<I", 4095)),
        (50721, 10, 9, struct.pack("<18i", 10000, 10000, 0, 10000, 0, 10000, 0, 10000,
                                   10000, 10000, 0, 10000, 0, 10000, 0, 10000, 10000, 10000)),
    ]
    ifd_offset = 8
    extra_offset = ifd_offset + 2 + 12 * len(entries) + 4
    ifd, extra = struct.pack("<H", len(entries)), b""
    values: list[bytes] = []
    for tag, kind, count, value in entries:
        if value == b"DATA":
            values.append(value)
            ifd += struct.pack("<HHI", tag, kind, count) + b"DATA"
        elif len(value) <= 4:
            ifd += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, kind, count, extra_offset + len(extra))
            extra += value + (b"\x00" if len(value) % 2 else b"")
    data_offset = extra_offset + len(extra)
    ifd = ifd.replace(b"DATA", struct.pack("<I", data_offset))
    path.write_bytes(b"II*\x00" + struct.pack("<I", ifd_offset) + ifd + b"\x00" * 4 + extra + data)
    return path
