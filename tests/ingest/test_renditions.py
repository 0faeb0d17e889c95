"""Photo renditions: sizes, orientation, colour, reduced decoding, limits, errors and phash."""

from __future__ import annotations

import io
import shutil
import struct
from pathlib import Path

import imagehash
import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageCms, JpegImagePlugin

from dam.errors import IngestError, UnsupportedMediaError
from ingest import imaging
from ingest.renditions import RenditionSet, fit_size, make_photo_renditions
from ingest.sniff import sniff_file
from tests.conftest import FIXTURES

PHOTOS = FIXTURES / "photos"
BAD = FIXTURES / "bad"
SIZES = {"thumbnail": 400, "preview": 1440}
RED, BLUE, WHITE = (220, 20, 20), (20, 20, 220), (255, 255, 255)


def _halves(size: tuple[int, int], left: tuple, right: tuple, mode: str = "RGB") -> Image.Image:
    """An image whose left half is ``left`` and right half ``right``."""
    image = Image.new(mode, size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def _save_jpeg(image: Image.Image, path: Path, orientation: int | None = None, **kw) -> Path:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    image.save(path, "JPEG", quality=kw.pop("quality", 90), exif=exif.tobytes(), **kw)
    return path


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _by_kind(result: RenditionSet) -> dict[str, Image.Image]:
    return {rendered.kind: _open(rendered.data) for rendered in result.images}


def _near(pixel: tuple, expected: tuple, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


# --- sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "long_edge", "expected"),
    [
        ((6000, 4000), 1440, (1440, 960)),
        ((4000, 6000), 1440, (960, 1440)),
        ((6000, 4000), 400, (400, 267)),
        ((1000, 1000), 400, (400, 400)),
        ((300, 200), 1440, (300, 200)),  # never upscaled
        ((10000, 10), 400, (400, 1)),  # at least one pixel
    ],
)
def test_fit_size(size: tuple[int, int], long_edge: int, expected: tuple[int, int]) -> None:
    assert fit_size(size, long_edge) == expected


def test_long_edge_exact_aspect_kept_and_order_of_sizes(tmp_path: Path) -> None:
    path = _save_jpeg(_halves((3000, 2000), RED, BLUE), tmp_path / "wide.jpg")
    result = make_photo_renditions(path, "image/jpeg", SIZES)
    assert [r.kind for r in result.images] == ["thumbnail", "preview"]
    assert [(r.width, r.height) for r in result.images] == [(400, 267), (1440, 960)]
    assert (result.source_width, result.source_height) == (3000, 2000)
    images = _by_kind(result)
    assert images["preview"].size == (1440, 960)
    assert images["thumbnail"].size == (400, 267)
    for rendered in result.images:
        assert (rendered.mime_type, rendered.extension) == ("image/jpeg", "jpg")


def test_small_images_are_never_upscaled(tmp_path: Path) -> None:
    path = _save_jpeg(Image.new("RGB", (300, 200), RED), tmp_path / "small.jpg")
    result = make_photo_renditions(path, "image/jpeg", SIZES)
    assert [(r.width, r.height) for r in result.images] == [(300, 200), (300, 200)]


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
@pytest.mark.parametrize(
    "name", ["waterfall-orientation-6.jpg", "tokyo-gps.jpg", "london-srgb.jpg", "mountains.avif"]
)
def test_renditions_carry_no_metadata(name: str, fmt: str) -> None:
    mime_type = "image/avif" if name.endswith(".avif") else "image/jpeg"
    result = make_photo_renditions(PHOTOS / name, mime_type, SIZES, fmt=fmt)
    for image in _by_kind(result).values():
        assert not {"exif", "icc_profile", "xmp"} & set(image.info), name  # no GPS position either


def test_webp_output(tmp_path: Path) -> None:
    result = make_photo_renditions(PHOTOS / "tokyo-gps.jpg", "image/jpeg", SIZES, fmt="webp")
    for rendered in result.images:
        assert (rendered.mime_type, rendered.extension) == ("image/webp", "webp")
        assert _open(rendered.data).format == "WEBP"
    assert [(r.width, r.height) for r in result.images] == [(300, 400), (600, 800)]


# --- orientation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "size", "left_half_goes_to"),
    [
        (1, (640, 480), "left"),
        (3, (640, 480), "right"),
        (6, (480, 640), "top"),
        (8, (480, 640), "bottom"),
    ],
)
def test_exif_orientation_is_applied(
    tmp_path: Path, orientation: int, size: tuple[int, int], left_half_goes_to: str
) -> None:
    path = _save_jpeg(_halves((640, 480), RED, BLUE), tmp_path / "o.jpg", orientation)
    result = make_photo_renditions(path, "image/jpeg", {"preview": 1440})
    preview = _by_kind(result)["preview"]
    assert preview.size == size
    assert (result.source_width, result.source_height) == (640, 480)  # as stored
    width, height = preview.size
    probes = {
        "left": (width // 4, height // 2),
        "right": (3 * width // 4, height // 2),
        "top": (width // 2, height // 4),
        "bottom": (width // 2, 3 * height // 4),
    }
    assert _near(preview.getpixel(probes[left_half_goes_to]), RED)


def test_orientation_argument_wins_over_the_exif_tag(tmp_path: Path) -> None:
    path = _save_jpeg(_halves((640, 480), RED, BLUE), tmp_path / "o.jpg", orientation=6)
    result = make_photo_renditions(path, "image/jpeg", {"preview": 1440}, orientation=1)
    assert (result.images[0].width, result.images[0].height) == (640, 480)
    result = make_photo_renditions(path, "image/jpeg", {"preview": 1440}, orientation=8)
    assert (result.images[0].width, result.images[0].height) == (480, 640)
    assert _near(_by_kind(result)["preview"].getpixel((240, 560)), RED)  # left half at the bottom


def test_real_orientation_6_fixture() -> None:
    result = make_photo_renditions(PHOTOS / "waterfall-orientation-6.jpg", "image/jpeg", SIZES)
    assert (result.source_width, result.source_height) == (450, 600)
    assert [(r.width, r.height) for r in result.images] == [(400, 300), (600, 450)]


@pytest.mark.skipif(not pillow_heif.libheif_info().get("HEIF"), reason="no HEVC encoder")
def test_heif_rotation_is_applied_once(tmp_path: Path) -> None:
    # The HEIF writer turns EXIF orientation 6 into an irot box; libheif rotates on decoding.
    path = tmp_path / "turned.heic"
    exif = Image.Exif()
    exif[0x0112] = 6
    _halves((640, 480), RED, BLUE).save(path, "HEIF", exif=exif.tobytes(), quality=90)
    for orientation in (None, 6):  # the caller's EXIF orientation must not turn it again
        result = make_photo_renditions(
            path, "image/heic", {"preview": 1440}, orientation=orientation
        )
        preview = _by_kind(result)["preview"]
        assert preview.size == (480, 640)
        assert _near(preview.getpixel((240, 160)), RED, 24)
        assert (result.source_width, result.source_height) == (640, 480)  # as stored


def test_avif_rotation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "turned.avif"
    exif = Image.Exif()
    exif[0x0112] = 6
    _halves((640, 480), RED, BLUE).save(path, "AVIF", exif=exif.tobytes(), quality=90)
    result = make_photo_renditions(path, "image/avif", {"preview": 1440})
    preview = _by_kind(result)["preview"]
    assert preview.size == (480, 640)
    assert _near(preview.getpixel((240, 160)), RED, 24)


# --- colour ----------------------------------------------------------------------------------


def _generic_rgb_profile() -> bytes:
    with Image.open(PHOTOS / "waterfall-orientation-6.jpg") as image:
        return image.info["icc_profile"]


def test_non_srgb_profile_is_converted(tmp_path: Path) -> None:
    icc = _generic_rgb_profile()  # Apple "Generic RGB": gamma 1.8, so mid-grey lightens in sRGB
    source = Image.new("RGB", (64, 64), (128, 128, 128))
    path = tmp_path / "generic.png"
    source.save(path, icc_profile=icc)
    expected = ImageCms.profileToProfile(
        source, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB")
    ).getpixel((32, 32))
    result = make_photo_renditions(path, "image/png", {"preview": 1440})
    pixel = _by_kind(result)["preview"].getpixel((32, 32))
    assert expected[0] > 140  # the profile matters: unconverted grey would stay at 128
    assert _near(pixel, expected, 3)


def test_cmyk_jpeg_comes_out_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (200, 100), (0, 255, 255, 0)).save(path, "JPEG", quality=95)
    result = make_photo_renditions(path, "image/jpeg", {"preview": 1440})
    preview = _by_kind(result)["preview"]
    assert preview.mode == "RGB"
    assert _near(preview.getpixel((100, 50)), (255, 0, 0), 8)


def test_grayscale_and_16_bit_images(tmp_path: Path) -> None:
    grey = tmp_path / "grey.jpg"
    Image.new("L", (100, 100), 90).save(grey, "JPEG")
    preview = _by_kind(make_photo_renditions(grey, "image/jpeg", SIZES))["preview"]
    assert preview.mode == "RGB"
    assert _near(preview.getpixel((50, 50)), (90, 90, 90), 2)
    deep = tmp_path / "deep.tif"
    Image.fromarray(np.full((50, 80), 40000, dtype=np.uint16)).save(deep, "TIFF")
    preview = _by_kind(make_photo_renditions(deep, "image/tiff", SIZES))["preview"]
    assert preview.size == (80, 50)
    assert _near(preview.getpixel((40, 25)), (156, 156, 156), 2)  # 40000 / 256, not clipped


def test_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    rgba = _halves((200, 100), (0, 0, 0, 0), (*RED, 255), mode="RGBA")
    path = tmp_path / "alpha.png"
    rgba.save(path)
    preview = _by_kind(make_photo_renditions(path, "image/png", {"preview": 1440}))["preview"]
    assert _near(preview.getpixel((50, 50)), WHITE, 2)
    assert _near(preview.getpixel((150, 50)), RED, 8)
    webp = make_photo_renditions(path, "image/png", {"preview": 1440}, fmt="webp")
    assert _open(webp.images[0].data).mode == "RGBA"  # WebP keeps the transparency


def test_palette_with_transparency(tmp_path: Path) -> None:
    image = Image.new("P", (100, 100), 1)
    image.putpalette([0, 0, 0, *RED] + [0] * 762)
    image.paste(0, (0, 0, 50, 100))
    path = tmp_path / "palette.gif"
    image.save(path, transparency=0)
    preview = _by_kind(make_photo_renditions(path, "image/gif", {"preview": 1440}))["preview"]
    assert _near(preview.getpixel((25, 50)), WHITE, 2)
    assert _near(preview.getpixel((75, 50)), RED, 8)


# --- decoding once, at reduced scale ---------------------------------------------------------


def test_jpeg_is_decoded_at_reduced_scale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded_sizes: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):  # type: ignore[no-untyped-def]
        result = real_draft(self, mode, size)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    path = _save_jpeg(_halves((3000, 2000), RED, BLUE), tmp_path / "big.jpg", quality=70)
    # 1/4 gives 750x500 >= 700; a square 700x700 box would have made Pillow pick 1/2.
    result = make_photo_renditions(path, "image/jpeg", {"preview": 700, "thumbnail": 200})
    assert decoded_sizes == [(750, 500)]
    assert [(r.width, r.height) for r in result.images] == [(700, 467), (200, 133)]
    decoded_sizes.clear()
    make_photo_renditions(path, "image/jpeg", SIZES)  # 1440 needs 1/2: 1500x1000
    assert decoded_sizes == [(1500, 1000)]


# --- fixtures of each format -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime_type", "source", "preview"),
    [
        ("spring.heic", "image/heic", (1440, 960), (1440, 960)),
        ("mountains.avif", "image/avif", (1920, 1080), (1440, 810)),
        ("concert-rgba-icc.tiff", "image/tiff", (635, 348), (635, 348)),
        ("park.png", "image/png", (400, 300), (400, 300)),
        ("london-srgb.jpg", "image/jpeg", (1020, 768), (1020, 768)),
        ("tokyo-gps.jpg", "image/jpeg", (600, 800), (600, 800)),
    ],
)
def test_fixture_formats_render(
    name: str, mime_type: str, source: tuple[int, int], preview: tuple[int, int]
) -> None:
    result = make_photo_renditions(PHOTOS / name, mime_type, SIZES)
    assert (result.source_width, result.source_height) == source
    images = _by_kind(result)
    assert images["preview"].size == preview
    assert max(images["thumbnail"].size) == min(400, max(source))
    assert result.phash is not None and len(result.phash) == 16


def test_raw_renders_from_its_embedded_preview() -> None:
    path = PHOTOS / "nikon-z9-overexposed.dng"
    result = make_photo_renditions(path, "image/x-adobe-dng", SIZES)
    assert (result.source_width, result.source_height) == (5392, 3592)  # the sensor's pixels
    assert [(r.width, r.height) for r in result.images] == [(400, 265), (640, 424)]


# The least libraw needs: a 64x48 uncompressed RGGB mosaic, no preview. (tag, TIFF type, values)
DNG_TAGS: list[tuple[int, int, list[int] | bytes]] = [
    (254, 4, [0]),  # NewSubfileType: the main image
    (256, 4, [64]),
    (257, 4, [48]),
    (258, 3, [16]),
    (259, 3, [1]),  # uncompressed
    (262, 3, [32803]),  # CFA
    (271, 2, b"Acervo"),
    (273, 4, [8]),  # StripOffsets: the pixels follow the 8-byte header
    (277, 3, [1]),
    (278, 4, [48]),
    (279, 4, [64 * 48 * 2]),
    (33421, 3, [2, 2]),  # CFARepeatPatternDim
    (33422, 1, [0, 1, 1, 2]),  # CFAPattern RGGB
    (50706, 1, [1, 4, 0, 0]),  # DNGVersion
    (50708, 2, b"Acervo Test"),
    (50717, 4, [4095]),  # WhiteLevel
    (50721, 10, [1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1]),  # ColorMatrix1
    (50728, 5, [1, 1, 1, 1, 1, 1]),  # AsShotNeutral
]


TIFF_FORMATS = {1: "B", 3: "H", 4: "I", 5: "I", 10: "i"}  # rationals: pairs of 32-bit ints


def _tiny_dng(path: Path, orientation: int = 1) -> Path:
    cfa = np.zeros((48, 64), dtype="<u2")
    cfa[0::2, 0::2], cfa[0::2, 1::2], cfa[1::2, 0::2], cfa[1::2, 1::2] = 3000, 1500, 1500, 500
    pixels = cfa.tobytes()
    tags = sorted([*DNG_TAGS, (274, 3, [orientation])])
    ifd_offset = 8 + len(pixels)
    extra_offset = ifd_offset + 2 + 12 * len(tags) + 4
    entries, extra = struct.pack("<H", len(tags)), b""
    for tag, kind, values in tags:
        if isinstance(values, bytes):
            payload, count = values + b"\x00", len(values) + 1
        else:
            payload = struct.pack(f"<{len(values)}{TIFF_FORMATS[kind]}", *values)
            count = len(values) // 2 if kind in (5, 10) else len(values)
        if len(payload) > 4:
            entries += struct.pack("<HHII", tag, kind, count, extra_offset + len(extra))
            extra += payload + b"\x00" * (len(payload) % 2)
        else:
            entries += struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\x00")
    header = b"II*\x00" + struct.pack("<I", ifd_offset)
    path.write_bytes(header + pixels + entries + b"\x00" * 4 + extra)
    return path


@pytest.mark.parametrize(("orientation", "size"), [(1, (32, 24)), (6, (24, 32))])
def test_raw_without_preview_is_developed_at_half_size(
    tmp_path: Path, orientation: int, size: tuple[int, int]
) -> None:
    path = _tiny_dng(tmp_path / "tiny.dng", orientation)
    assert sniff_file(path).mime_type == "image/x-adobe-dng"
    for caller_orientation in (None, orientation):  # libraw has turned it: not again
        result = make_photo_renditions(
            path, "image/x-adobe-dng", SIZES, orientation=caller_orientation
        )
        assert [(r.width, r.height) for r in result.images] == [size, size]
        assert (result.source_width, result.source_height) == (64, 48)


def test_raw_development_failure_is_an_ingest_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imaging, "_raw_preview", lambda *args: None)
    # libraw cannot develop this DNG's JPEG XL raw data: the fallback fails, as an IngestError.
    with pytest.raises(IngestError, match="unreadable DNG"):
        make_photo_renditions(PHOTOS / "nikon-z9-overexposed.dng", "image/x-adobe-dng", SIZES)


# --- limits and errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mime_type", "reason"),
    [
        ("truncated_jpeg.jpg", "image/jpeg", "truncated JPEG: image file is truncated"),
        ("truncated_image.png", "image/png", "truncated PNG"),
        ("broken_data_stream.png", "image/png", "unreadable PNG"),
        ("decompression_bomb.gif", "image/gif", "GIF too large"),
        ("reallybig.bmp", "image/bmp", "BMP too large"),
        ("png_decompression_dos.png", "image/png", "unreadable PNG"),
    ],
)
def test_bad_files_raise_ingest_error(name: str, mime_type: str, reason: str) -> None:
    with pytest.raises(IngestError, match=reason) as caught:
        make_photo_renditions(BAD / name, mime_type, SIZES)
    assert not isinstance(caught.value, UnsupportedMediaError)


def test_truncated_photo_raises_instead_of_rendering_grey(tmp_path: Path) -> None:
    data = (PHOTOS / "tokyo-gps.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="truncated JPEG"):
        make_photo_renditions(path, "image/jpeg", SIZES)


def test_pixel_limit(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="too large"):
        make_photo_renditions(PHOTOS / "tokyo-gps.jpg", "image/jpeg", SIZES, max_pixels=100_000)
    # A declared size over twice the limit is refused by Pillow itself, before decoding.
    with pytest.raises(IngestError, match="decompression bomb"):
        make_photo_renditions(PHOTOS / "tokyo-gps.jpg", "image/jpeg", SIZES, max_pixels=200_000)


@pytest.mark.parametrize(
    "mime_type", ["image/jpeg", "image/png", "image/tiff", "image/heic", "image/x-sony-arw"]
)
def test_garbage_is_an_ingest_error_whatever_the_claimed_type(
    tmp_path: Path, mime_type: str
) -> None:
    path = tmp_path / "garbage"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(IngestError):
        make_photo_renditions(path, mime_type, SIZES)


def test_missing_file_is_a_transient_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        make_photo_renditions(tmp_path / "gone.jpg", "image/jpeg", SIZES)
    assert caught.value.transient


@pytest.mark.parametrize("mime_type", ["video/mp4", "application/pdf", "image/jxl"])
def test_unsupported_types(tmp_path: Path, mime_type: str) -> None:
    path = tmp_path / "file"
    path.write_bytes(b"\xff\x0a" + b"\x00" * 100)
    if mime_type == "image/jxl" and "JXL" in Image.registered_extensions().values():
        pytest.skip("this Pillow reads JPEG XL")
    with pytest.raises(UnsupportedMediaError):
        make_photo_renditions(path, mime_type, SIZES)


# --- perceptual hash -------------------------------------------------------------------------


def _distance(a: str | None, b: str | None) -> int:
    assert a is not None and b is not None
    return imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b)


def test_phash_matches_a_resized_copy_and_not_another_photo(tmp_path: Path) -> None:
    original = make_photo_renditions(PHOTOS / "tokyo-gps.jpg", "image/jpeg", SIZES).phash
    with Image.open(PHOTOS / "tokyo-gps.jpg") as image:
        copy = tmp_path / "copy.jpg"
        image.resize((300, 400), Image.Resampling.BILINEAR).save(copy, "JPEG", quality=60)
    resized = make_photo_renditions(copy, "image/jpeg", SIZES).phash
    other = make_photo_renditions(PHOTOS / "london-srgb.jpg", "image/jpeg", SIZES).phash
    assert _distance(original, resized) <= 4
    assert _distance(original, other) >= 20


def test_phash_same_for_a_renamed_copy(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.bin"
    shutil.copyfile(PHOTOS / "park.png", copy)
    first = make_photo_renditions(PHOTOS / "park.png", "image/png", SIZES).phash
    assert make_photo_renditions(copy, "image/png", SIZES).phash == first


@pytest.mark.parametrize("name", sorted(p.name for p in PHOTOS.glob("*.jpg")))
def test_phash_is_bit_for_bit_imagehash(name: str) -> None:
    from ingest.phash import perceptual_hash

    with Image.open(PHOTOS / name) as img:
        img.draft("RGB", (400, 400))
        assert perceptual_hash(img) == str(imagehash.phash(img))


def test_dominant_color_is_the_thumbnails_average_for_grid_placeholders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    from ingest.renditions import dominant_color

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 10)).save(buffer, "JPEG", quality=95)
    color = dominant_color(buffer.getvalue())
    assert color is not None and color.startswith("#") and len(color) == 7
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    assert abs(r - 200) < 6 and abs(g - 40) < 6 and abs(b - 10) < 6
    assert dominant_color(b"not a picture") is None
