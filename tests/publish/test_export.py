"""The one strip-and-embed step: every profile's output read back with exiftool, and its pixels."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageCms

from publish.embed import PressInfo
from publish.export import ExportError, FileFacts, curated_exif, export_image, export_images
from publish.profiles import DEFAULT_PROFILES, ExportProfile
from tests.conftest import FIXTURES, require_corpus

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool is not installed (Debian: libimage-exiftool-perl)")
NIKON = "photos/exif-samples/exif-py-extra/jpg/tests/nikon_D3100_TypeError.jpg"  # GPS, serial
CANON_OWNER = "photos/exif-samples/jpg/Canon_PowerShot_S40.jpg"  # Canon:OwnerName
CC_BY = "https://creativecommons.org/licenses/by/4.0/deed.es"
INFO = PressInfo(
    caption="Vecinas inauguran el mercado <b>remodelado</b> & \"comillas\" 🎉",
    headline="Abre el mercado", credit="Foto: Ana Peña / Alcaldía Iztapalapa",
    creator="Ana Peña", copyright="© 2025 Alcaldía Iztapalapa", usage_terms="CC BY 4.0",
    licence="CC BY 4.0", licence_url=CC_BY,
    alt_text="Una mujer corta el listón frente a los puestos", keywords=["mercado"],
)
FACTS = FileFacts(
    camera_make="Canon", camera_model="Canon EOS R6", lens_model="RF24-105mm F4 L IS USM",
    exposure_time=1 / 250, f_number=8.0, iso=200, focal_length=35.0,
    taken_at=dt.datetime(2025, 3, 14, 11, 30), taken_at_offset_minutes=-360,
    gps_latitude=19.3574, gps_longitude=-99.0671, gps_altitude=2240.0,
)
FORBIDDEN_PUBLIC = ("GPS", "Serial", "Owner", "MakerNote", "Software", "History")
RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (0, 200, 0)


def exiftool(data: bytes, tmp_path: Path, suffix: str = ".jpg") -> dict[str, Any]:
    path = tmp_path / f"read{suffix}"
    path.write_bytes(data)
    out = subprocess.run([EXIFTOOL or "exiftool", "-j", "-G1", "-n", "-a", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)[0]


def leaks(meta: dict[str, Any]) -> list[str]:
    """Tags a public file must never carry (group or tag name with a forbidden word)."""
    return [tag for tag in meta if any(word.lower() in tag.lower() for word in FORBIDDEN_PUBLIC)
            and not tag.startswith(("System:", "ExifTool:"))]


def dirty_jpeg(size: tuple[int, int] = (640, 480), orientation: int | None = None) -> bytes:
    """A camera-like JPEG with everything a public file must lose: GPS, serial numbers, the
    owner's name, maker notes, software and an editing history in XMP."""
    image = Image.new("RGB", size, RED)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "Canon", "Canon EOS R6", "Adobe Lightroom 7.1"
    exif[0x000B] = "Darktable 4.6"  # ProcessingSoftware
    if orientation:
        exif[0x0112] = orientation
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = "2025:03:14 11:30:00"
    ifd[0xA430], ifd[0xA431], ifd[0xA435] = "Ana Pena", "012345678901", "LENS-98765"
    ifd[0x927C] = b"Canon\x00secret maker note"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (19.0, 21.0, 26.6), "W", (99.0, 4.0, 1.5)
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
           'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
           'xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" '
           'xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#" '
           'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Adobe Photoshop">'
           '<xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved" '
           'stEvt:softwareAgent="Adobe Photoshop 25.0"/></rdf:Seq></xmpMM:History>'
           "</rdf:Description></rdf:RDF></x:xmpmeta>")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif, xmp=xmp.encode())
    return out.getvalue()


def pixels(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def brightest(image: Image.Image) -> int:
    return max(high for _low, high in image.getextrema())


def near(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=False))


def halves(size: tuple[int, int], first: tuple[int, int, int], second: tuple[int, int, int],
           *, vertical: bool = True, **save: Any) -> bytes:
    """A JPEG whose left (or top) half is ``first`` and the other half ``second``."""
    image = Image.new("RGB", size, first)
    w, h = size
    image.paste(second, (w // 2, 0, w, h) if vertical else (0, h // 2, w, h))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, **save)
    return out.getvalue()


def png_band(size: tuple[int, int] = (400, 40), *, transparent_left: bool = False) -> bytes:
    band = Image.new("RGBA", size, (*GREEN, 255))
    if transparent_left:
        band.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    band.save(out, "PNG")
    return out.getvalue()


def assert_description(meta: dict[str, Any]) -> None:
    assert meta["XMP-dc:Description"] == INFO.caption
    assert meta["IPTC:Caption-Abstract"] == INFO.caption
    assert meta["XMP-photoshop:Credit"] == meta["IPTC:Credit"] == INFO.credit
    assert meta["XMP-dc:Rights"] == meta["IPTC:CopyrightNotice"] == INFO.copyright
    assert meta["XMP-xmpRights:UsageTerms"] == "CC BY 4.0"  # the licence's label
    assert meta["XMP-xmpRights:WebStatement"] == CC_BY
    assert meta["XMP-cc:License"] == CC_BY
    assert meta["XMP-xmpRights:Marked"] is True
    assert meta["XMP-iptcCore:AltTextAccessibility"] == INFO.alt_text


# -- every profile, read back with exiftool ------------------------------------------------------

@needs_exiftool
@pytest.mark.parametrize("name", ["publico", "prensa", "redes"])
def test_public_profiles_strip_everything_private_and_carry_the_description(
        name: str, tmp_path: Path) -> None:
    profile = DEFAULT_PROFILES[name]
    source = dirty_jpeg()
    assert {"GPS", "Serial", "Owner", "Software", "History"} <= {
        word for word in FORBIDDEN_PUBLIC for tag in leaks(exiftool(source, tmp_path))
        if word in tag}
    outputs = export_images(io.BytesIO(source), INFO, profile, facts=FACTS, band=png_band())
    assert len(outputs) == len(profile.sizes)
    for output in outputs:
        meta = exiftool(output.data, tmp_path)
        assert_description(meta)
        assert leaks(meta) == [], f"{name} leaks {leaks(meta)}"
        assert meta["ExifIFD:DateTimeOriginal"] == "2025:03:14 11:30:00"  # keep_date
        assert meta["ICC_Profile:ProfileDescription"].lower().startswith("srgb")
        assert ("IFD0:Make" in meta) is profile.keep_camera
        if profile.keep_camera:  # from the catalog's record, not copied from the file
            assert meta["IFD0:Model"] == "Canon EOS R6"
            assert meta["ExifIFD:LensModel"] == "RF24-105mm F4 L IS USM"
            assert meta["ExifIFD:FNumber"] == 8 and meta["ExifIFD:ISO"] == 200
            assert meta["ExifIFD:ExposureTime"] == pytest.approx(0.004)


@needs_exiftool
@pytest.mark.parametrize("relative", [NIKON, CANON_OWNER])
def test_real_camera_files_lose_gps_serials_and_owners_in_public_profiles(
        relative: str, tmp_path: Path) -> None:
    path = require_corpus() / relative
    before = exiftool(path.read_bytes(), tmp_path)
    assert leaks(before), "the sample should carry something private"
    for name in ("publico", "prensa", "redes"):
        output = export_image(io.BytesIO(path.read_bytes()), INFO, DEFAULT_PROFILES[name],
                              facts=FACTS)
        meta = exiftool(output.data, tmp_path)
        assert leaks(meta) == [], f"{name} on {relative} leaks {leaks(meta)}"
        assert_description(meta)


@needs_exiftool
def test_archivo_is_the_original_with_the_description_nothing_stripped(tmp_path: Path) -> None:
    source = dirty_jpeg()
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["archivo"], facts=FACTS)
    assert output.mime_type == "image/jpeg" and (output.width, output.height) == (640, 480)
    meta = exiftool(output.data, tmp_path)
    assert_description(meta)
    assert meta["GPS:GPSLatitudeRef"] == "N" and "GPS:GPSLatitude" in meta
    assert meta["ExifIFD:SerialNumber"] == "012345678901"
    assert meta["ExifIFD:OwnerName"] == "Ana Pena"
    with Image.open(io.BytesIO(output.data)) as exported, Image.open(io.BytesIO(source)) as orig:
        assert exported.tobytes() == orig.tobytes()  # the same compressed image, not re-encoded


def test_archivo_travels_other_types_unchanged() -> None:
    data = (FIXTURES / "metadata" / "spring_1440x960.heic").read_bytes()
    output = export_image(io.BytesIO(data), INFO, DEFAULT_PROFILES["archivo"],
                          mime_type="image/heic")
    assert output.data == data and output.mime_type == "image/heic"


@needs_exiftool
def test_internal_jpeg_profile_keeps_gps_from_the_record(tmp_path: Path) -> None:
    internal = dataclasses.replace(DEFAULT_PROFILES["archivo"], format="jpeg", sizes=(320,))
    output = export_image(io.BytesIO(dirty_jpeg()), INFO, internal, facts=FACTS)
    meta = exiftool(output.data, tmp_path)
    assert meta["Composite:GPSLatitude"] == pytest.approx(19.3574, abs=1e-4)
    assert meta["Composite:GPSLongitude"] == pytest.approx(-99.0671, abs=1e-4)
    assert meta["Composite:GPSAltitude"] == pytest.approx(2240)
    assert not [t for t in meta if "Serial" in t or "Owner" in t]  # never from the file


def test_public_profile_never_writes_gps_even_if_asked() -> None:
    forced = dataclasses.replace(DEFAULT_PROFILES["publico"], keep_gps=True)
    exif = Image.Exif()
    exif.load(curated_exif(forced, FACTS))
    assert not exif.get_ifd(0x8825)


@needs_exiftool
def test_webp_carries_the_description_in_xmp(tmp_path: Path) -> None:
    webp = dataclasses.replace(DEFAULT_PROFILES["publico"], format="webp", sizes=(320,))
    output = export_image(io.BytesIO(dirty_jpeg()), INFO, webp, facts=FACTS)
    assert output.mime_type == "image/webp" and output.extension == ".webp"
    meta = exiftool(output.data, tmp_path, ".webp")
    assert meta["XMP-dc:Description"] == INFO.caption
    assert meta["XMP-cc:License"] == CC_BY
    assert leaks(meta) == []


# -- sizes, orientation, colour ------------------------------------------------------------------

def test_sizes_are_long_edges_and_never_enlarge() -> None:
    source = halves((1000, 750), RED, BLUE)
    outputs = export_images(io.BytesIO(source), INFO, DEFAULT_PROFILES["publico"])  # 1600, 800
    assert [(o.width, o.height) for o in outputs] == [(1000, 750), (800, 600)]
    for output in outputs:
        assert pixels(output.data).size == (output.width, output.height)


def test_one_decode_for_several_sizes_at_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[tuple[int, int]] = []
    real_open = Image.open

    def counting_open(*args: Any, **kwargs: Any) -> Image.Image:
        image = real_open(*args, **kwargs)
        opened.append(image.size)
        return image

    monkeypatch.setattr(Image, "open", counting_open)
    source = halves((2400, 1600), RED, BLUE)
    outputs = export_images(io.BytesIO(source), INFO, DEFAULT_PROFILES["publico"],
                            sizes=[500, 250])
    assert [o.width for o in outputs] == [500, 250]
    assert len(opened) == 1  # decoded once, whatever the number of sizes


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_exif_rotated_sources_export_upright(orientation: int) -> None:
    # Stored 200x100: left half red, right half blue.
    source = halves((200, 100), RED, BLUE, exif=_orientation_exif(orientation))
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["prensa"])
    upright = pixels(output.data)
    if orientation == 3:  # turned 180 degrees: blue on the left
        assert upright.size == (200, 100)
        assert near(upright.getpixel((20, 50)), BLUE) and near(upright.getpixel((180, 50)), RED)
        return
    assert upright.size == (100, 200)
    top, bottom = upright.getpixel((50, 20)), upright.getpixel((50, 180))
    if orientation == 6:  # 90 degrees clockwise: the stored left goes to the top
        assert near(top, RED) and near(bottom, BLUE)
    else:
        assert near(top, BLUE) and near(bottom, RED)


def test_real_portrait_photo_exports_upright() -> None:
    path = FIXTURES / "photos" / "waterfall-orientation-6.jpg"
    with Image.open(path) as stored:
        width, height = stored.size
    output = export_image(io.BytesIO(path.read_bytes()), INFO, DEFAULT_PROFILES["publico"],
                          long_edge=400)
    assert max(output.width, output.height) == 400
    assert (output.width > output.height) == (height > width)  # turned a quarter


def _orientation_exif(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def test_icc_profiled_pictures_are_converted_to_srgb() -> None:
    with Image.open(FIXTURES / "photos" / "concert-rgba-icc.tiff") as tiff:
        display_icc = tiff.info["icc_profile"]  # "Color LCD", an Apple display profile
    colour = (40, 200, 60)
    tagged = Image.new("RGB", (64, 64), colour)
    expected = ImageCms.profileToProfile(
        tagged, ImageCms.ImageCmsProfile(io.BytesIO(display_icc)),
        ImageCms.createProfile("sRGB"), renderingIntent=ImageCms.Intent.PERCEPTUAL,
    ).getpixel((32, 32))
    assert not near(expected, colour, 6), "the sample profile should move the colour"
    source = io.BytesIO()
    tagged.save(source, "JPEG", quality=98, icc_profile=display_icc)
    output = export_image(io.BytesIO(source.getvalue()), INFO, DEFAULT_PROFILES["publico"])
    with Image.open(io.BytesIO(output.data)) as image:
        icc = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        assert "srgb" in icc.profile.profile_description.lower()
        assert near(image.convert("RGB").getpixel((32, 32)), expected, 6)


@pytest.mark.parametrize("mode", ["CMYK", "P", "LA", "I;16", "RGBA"])
def test_every_pixel_mode_exports_as_an_rgb_jpeg(mode: str) -> None:
    image = Image.new("RGB", (80, 60), (30, 160, 90))
    if mode == "I;16":
        image = Image.new("I;16", (80, 60), 40000)
    elif mode != "RGB":
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, "TIFF" if mode in ("CMYK", "I;16") else "PNG")
    output = export_image(io.BytesIO(out.getvalue()), INFO, DEFAULT_PROFILES["publico"])
    exported = Image.open(io.BytesIO(output.data))
    assert exported.format == "JPEG" and exported.mode == "RGB"
    assert exported.size == (80, 60)
    if mode == "I;16":  # 16-bit samples scaled, not clipped to white
        assert near(exported.getpixel((40, 30)), (156, 156, 156), 8)


def test_transparency_is_laid_on_white_for_jpeg() -> None:
    image = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    output = export_image(io.BytesIO(out.getvalue()), INFO, DEFAULT_PROFILES["publico"])
    assert near(pixels(output.data).getpixel((30, 30)), (255, 255, 255), 6)


# -- band, watermark, frame ----------------------------------------------------------------------

def test_band_is_laid_full_width_along_the_bottom() -> None:
    source = halves((800, 600), RED, BLUE)
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["redes"],
                          band=png_band((400, 40)))
    picture = pixels(output.data)
    assert picture.size == (800, 600)
    # 400x40 scaled to 800 wide: 80 rows of green at the bottom, across the whole width.
    for x in (2, 200, 400, 797):
        assert near(picture.getpixel((x, 597)), GREEN), x
        assert near(picture.getpixel((x, 525)), GREEN), x
    assert near(picture.getpixel((200, 510)), RED) and near(picture.getpixel((600, 510)), BLUE)


def test_band_transparency_shows_the_picture() -> None:
    source = halves((800, 600), RED, BLUE)
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["redes"],
                          band=png_band((400, 40), transparent_left=True))
    picture = pixels(output.data)
    assert near(picture.getpixel((100, 590)), RED)  # transparent half: the picture
    assert near(picture.getpixel((700, 590)), GREEN)


def test_band_only_where_the_profile_asks() -> None:
    source = halves((800, 600), RED, BLUE)
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["publico"],
                          band=png_band())
    assert near(pixels(output.data).getpixel((100, 597)), RED)


def test_watermark_is_drawn_above_the_band() -> None:
    plain = Image.new("RGB", (800, 600), (40, 40, 40))
    out = io.BytesIO()
    plain.save(out, "JPEG", quality=95)
    marked = dataclasses.replace(DEFAULT_PROFILES["redes"], watermark="Alcaldía Iztapalapa")
    output = export_image(io.BytesIO(out.getvalue()), INFO, marked, band=png_band((400, 40)))
    picture = pixels(output.data)
    corner = picture.crop((500, 440, 800, 520))  # bottom right, above the 80-row band
    assert brightest(corner) > 150  # light text on the dark picture
    assert brightest(picture.crop((0, 0, 300, 300))) < 80


@pytest.mark.parametrize(("focus", "colour"), [((0.1, 0.5), RED), ((0.9, 0.5), BLUE)])
def test_frame_crops_around_the_point_of_interest(focus: tuple[float, float],
                                                  colour: tuple[int, int, int]) -> None:
    source = halves((1200, 400), RED, BLUE)
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["redes"],
                          frame=(200, 200), focus=focus)
    picture = pixels(output.data)
    assert picture.size == (200, 200)
    assert all(near(picture.getpixel((x, 100)), colour) for x in (5, 100, 195))


def test_frame_is_not_enlarged_beyond_the_picture() -> None:
    source = halves((300, 200), RED, BLUE)
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["redes"],
                          frame=(1080, 1080))
    assert (output.width, output.height) == (200, 200)  # the aspect, at the picture's scale


def test_story_frame_of_a_landscape_picture_keeps_the_focus_visible() -> None:
    source = halves((1600, 900), RED, BLUE)
    output = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["redes"],
                          frame=(270, 480), focus=(0.75, 0.5))
    picture = pixels(output.data)
    assert picture.size == (270, 480)
    assert near(picture.getpixel((135, 240)), BLUE)


# -- signing, determinism, bad input ---------------------------------------------------------------

def test_signer_is_applied_last_where_the_profile_asks() -> None:
    calls: list[tuple[str, PressInfo, list[str]]] = []

    def signer(data: bytes, mime_type: str, info: PressInfo, edits=()) -> bytes:  # type: ignore[no-untyped-def]
        calls.append((mime_type, info, [e.action for e in edits]))
        return data + b"SIGNED"

    source = halves((400, 300), RED, BLUE)
    signed = export_images(io.BytesIO(source), INFO, DEFAULT_PROFILES["publico"],
                           signer=signer)
    assert all(o.data.endswith(b"SIGNED") for o in signed)
    assert calls == [("image/jpeg", INFO, [])] * 2  # smaller than both sizes: not scaled
    unsigned = export_image(io.BytesIO(source), INFO, DEFAULT_PROFILES["archivo"],
                            signer=signer)
    assert not unsigned.data.endswith(b"SIGNED")  # archivo does not sign


def test_the_edits_made_are_declared_to_the_signer() -> None:
    """Content credentials say what was done: scaled, framed, branded, watermarked."""
    declared: list[list[str]] = []

    def signer(data: bytes, mime_type: str, info: PressInfo, edits=()) -> bytes:  # type: ignore[no-untyped-def]
        declared.append([e.action for e in edits])
        return data

    large = halves((2400, 1600), RED, BLUE)
    export_images(io.BytesIO(large), INFO, DEFAULT_PROFILES["publico"], signer=signer)
    assert declared == [["c2pa.resized"], ["c2pa.resized"]]  # 1600 and 800 from 2400
    declared.clear()
    band = png_band()
    export_images(io.BytesIO(large), INFO, DEFAULT_PROFILES["redes"], frame=(1080, 1080),
                  band=band, signer=signer)
    assert declared == [["c2pa.cropped", "c2pa.resized", "c2pa.edited"]]
    declared.clear()
    small = halves((900, 900), RED, BLUE)  # already square and small: only the band
    export_images(io.BytesIO(small), INFO, DEFAULT_PROFILES["redes"], frame=(1080, 1080),
                  band=band, signer=signer)
    assert declared == [["c2pa.edited"]]
    declared.clear()
    marked = dataclasses.replace(DEFAULT_PROFILES["publico"], watermark="Alcaldía Iztapalapa",
                                 sizes=(2400,))
    export_images(io.BytesIO(large), INFO, marked, signer=signer)
    assert declared == [["c2pa.edited"]]  # full size: not scaled, but watermarked


def test_the_same_picture_exports_to_the_same_bytes() -> None:
    source = dirty_jpeg()
    first = export_images(io.BytesIO(source), INFO, DEFAULT_PROFILES["publico"], facts=FACTS)
    again = export_images(io.BytesIO(source), INFO, DEFAULT_PROFILES["publico"], facts=FACTS)
    assert [o.data for o in first] == [o.data for o in again]


@pytest.mark.parametrize("relative", ["bad/truncated_jpeg.jpg", "bad/decompression_bomb.gif",
                                      "bad/truncated_image.png", "bad/broken_data_stream.png",
                                      "bad/png_decompression_dos.png"])
def test_bad_pictures_raise_export_error(relative: str) -> None:
    with pytest.raises(ExportError):
        export_images(io.BytesIO((FIXTURES / relative).read_bytes()), INFO,
                      DEFAULT_PROFILES["publico"])


def test_not_a_picture_and_too_many_pixels_raise_export_error() -> None:
    with pytest.raises(ExportError, match="not a picture"):
        export_image(io.BytesIO(b"hello, not an image"), INFO, DEFAULT_PROFILES["publico"])
    with pytest.raises(ExportError, match="too large"):
        export_image(io.BytesIO(halves((2000, 1000), RED, BLUE)), INFO,
                     DEFAULT_PROFILES["publico"], max_pixels=1_000_000)


def test_a_bad_band_raises_export_error() -> None:
    with pytest.raises(ExportError, match="band"):
        export_image(io.BytesIO(halves((200, 100), RED, BLUE)), INFO,
                     DEFAULT_PROFILES["redes"], band=b"not a png")


def test_a_corrupt_original_for_archivo_raises_export_error() -> None:
    broken = b"\xff\xd8\xff\xe1\x00"  # a JPEG that ends inside its first segment
    with pytest.raises(ExportError):
        export_image(io.BytesIO(broken), INFO, DEFAULT_PROFILES["archivo"],
                     mime_type="image/jpeg")


def test_profiles_are_frozen_dataclasses_with_defaults() -> None:
    profile = ExportProfile("x", "X", sizes=(100,))
    assert profile.format == "jpeg" and profile.public
