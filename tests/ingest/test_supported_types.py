"""The README's table of supported types is what ingest does: one generated sample per row.

Each row's sample is sniffed (from its bytes, under a neutral name) and must be catalogued as the
table says; a photo row must also render. The types that become ``other`` are exactly the rows
the table lists as ``other``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from dam.enums import MediaType
from ingest.media.probe import probe_media
from ingest.metadata import extract_metadata
from ingest.renditions import make_photo_renditions
from ingest.sniff import sniff_file
from tests.conftest import ROOT
from tests.media import quadrant_image, write_picture

SIZE = (120, 80)
FFMPEG = shutil.which("ffmpeg")


def _picture(fmt: str, mode: str = "RGB", **options: object) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        return write_picture(quadrant_image(SIZE).convert(mode), path, fmt, **options)
    return make


def _pictures(*makers: Callable[[Path], Path]) -> Callable[[Path], list[Path]]:
    def make(folder: Path) -> list[Path]:
        return [maker(folder / f"sample{index}") for index, maker in enumerate(makers)]
    return make


def _ffmpeg(*specs: str) -> Callable[[Path], list[Path]]:
    """Clips made by ffmpeg from test sources, one per spec ("format: options")."""
    def make(folder: Path) -> list[Path]:
        if FFMPEG is None:
            pytest.skip("ffmpeg is not installed")
        paths = []
        for index, spec in enumerate(specs):
            fmt, options = spec.split(":", 1)
            path = folder / f"clip{index}"
            video = [] if fmt in AUDIO_FORMATS else ["-f", "lavfi", "-i",
                                                     "testsrc=size=320x240:rate=25"]
            subprocess.run([FFMPEG, "-v", "error", "-y", *video, "-f", "lavfi", "-i",
                            "sine=sample_rate=48000", "-t", "1", *options.split(), "-f", fmt,
                            str(path)], check=True)
            paths.append(path)
        return paths
    return make


AUDIO_FORMATS = {"mp3", "adts", "ipod", "wav", "flac", "ogg", "opus"}


def _bytes(*blobs: bytes) -> Callable[[Path], list[Path]]:
    def make(folder: Path) -> list[Path]:
        paths = []
        for index, blob in enumerate(blobs):
            path = folder / f"blob{index}"
            path.write_bytes(blob)
            paths.append(path)
        return paths
    return make


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _pdf() -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(200, 300)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _tga(folder: Path) -> list[Path]:
    return [_picture("TGA")(folder / "sample.bin")]


def _eps(folder: Path) -> list[Path]:
    return [_picture("EPS")(folder / "sample.bin")]


SAMPLES: dict[str, Callable[[Path], list[Path]]] = {
    "JPEG (also MPO, Ultra HDR)": _pictures(_picture("JPEG")),
    "PNG": _pictures(_picture("PNG"), _picture("PNG", "P")),
    "GIF": _pictures(_picture("GIF")),
    "WebP": _pictures(_picture("WEBP")),
    "TIFF": _pictures(_picture("TIFF"), _picture("TIFF", compression="tiff_lzw")),
    "HEIC / HEIF": _pictures(_picture("HEIF")),
    "AVIF": _pictures(_picture("AVIF")),
    "JPEG XL": _pictures(_picture("JXL")),
    "BMP / DIB": _pictures(_picture("BMP"), _picture("BMP", "P"), _picture("BMP", "L"),
                           _picture("DIB")),
    "PSD": _pictures(_picture("PSD")),
    "JPEG 2000 (jp2, j2k)": _pictures(_picture("JPEG2000"),
                                      _picture("JPEG2000", no_jp2=True)),
    "PCX": _pictures(_picture("PCX"), _picture("PCX", "P")),
    "PPM / PGM / PBM": _pictures(_picture("PPM"), _picture("PPM", "L"), _picture("PPM", "1")),
    "ICO / ICNS": _pictures(_picture("ICO"), _picture("ICNS")),
    "QOI, SGI, DDS, BLP, XBM": _pictures(_picture("QOI"), _picture("SGI"), _picture("DDS"),
                                         _picture("BLP", "P"), _picture("XBM", "1")),
    "MP4 / MOV / M4V / 3GP": _ffmpeg("mp4:-c:v libx264", "mov:-c:v libx264",
                                     "3gp:-c:v libx264 -c:a aac"),
    "Matroska / WebM": _ffmpeg("matroska:-c:v libx264", "webm:-c:v libvpx -c:a libopus"),
    "AVI": _ffmpeg("avi:-c:v mpeg4"),
    "MPEG-PS (mpg, vob)": _ffmpeg("vob:-c:v mpeg2video -c:a mp2", "mpeg:-c:v mpeg1video -c:a mp2"),
    "MPEG-TS / MTS / M2TS (AVCHD)": _ffmpeg("mpegts:-c:v libx264 -c:a aac",
                                            "mpegts:-c:v libx264 -c:a ac3 -mpegts_m2ts_mode 1"),
    "WMV / ASF": _ffmpeg("asf:-c:v wmv2 -c:a wmav2", "asf:-c:v msmpeg4 -c:a wmav2"),
    "FLV": _ffmpeg("flv:-c:v flv1 -c:a libmp3lame"),
    "DV": _ffmpeg("dv:-c:v dvvideo -s 720x480 -r 30000/1001 -pix_fmt yuv411p -c:a pcm_s16le "
                  "-ac 2"),
    "MP3, AAC, M4A, WAV, FLAC, Ogg, Opus": _ffmpeg("mp3:-c:a libmp3lame", "adts:-c:a aac",
                                                   "ipod:-c:a aac", "wav:", "flac:",
                                                   "ogg:-c:a libvorbis", "opus:-c:a libopus"),
    "PDF": lambda folder: _bytes(_pdf())(folder),
    "TGA": _tga,
    "EPS / PostScript": _eps,
    "SVG": _bytes(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
                  b'height="10"><rect width="10" height="10"/></svg>\n'),
    "ZIP / Office documents": _bytes(_zip()),
    "Plain text": _bytes("Comunicado de prensa: la conferencia será mañana.\n".encode() * 20),
    "Unknown bytes": _bytes(os.urandom(4096), bytes(range(256)) * 40),
}
#: Rows tested on the shared corpus instead (no generator can make a camera's RAW file).
CORPUS_ROWS = {"Camera RAW (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2)"}


def readme_rows() -> dict[str, str]:
    """The README's supported-types table: type -> what it is catalogued as."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Supported file types", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("Type", "---") and not re.match(r"^-+$", cells[0]):
            rows[cells[0]] = cells[3]
    return rows


def test_every_row_has_a_sample_and_every_sample_a_row() -> None:
    assert set(readme_rows()) == set(SAMPLES) | CORPUS_ROWS


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Every row's sample files, made once for the module."""
    made = {}
    for index, (row, make) in enumerate(SAMPLES.items()):
        folder = tmp_path_factory.mktemp(f"row{index}")
        made[row] = make(folder)
    return made


@pytest.mark.parametrize("row", sorted(SAMPLES))
def test_row_is_catalogued_as_the_readme_says(samples: dict[str, list[Path]], row: str) -> None:
    expected = MediaType(readme_rows()[row])
    for path in samples[row]:
        kind = sniff_file(path)
        assert kind.media_type == expected, (row, path.name, kind)
        if expected == MediaType.PHOTO:
            result = make_photo_renditions(path, kind.mime_type, {"preview": 400})
            with Image.open(io.BytesIO(result.images[0].data)) as preview:
                assert preview.size == SIZE or "ICO" in row  # icons are stored square


def test_other_is_exactly_the_documented_list(samples: dict[str, list[Path]]) -> None:
    documented = {row for row, kind in readme_rows().items() if kind == "other"}
    became_other = {row for row, paths in samples.items()
                    if any(sniff_file(path).media_type == MediaType.OTHER for path in paths)}
    assert became_other == documented


@pytest.mark.parametrize("row", sorted(r for r in SAMPLES if r not in ("PDF",)))
def test_row_reads_what_the_readme_promises(samples: dict[str, list[Path]], row: str) -> None:
    """Photos: their size (metadata or decoder); video and audio: duration and codecs."""
    expected = MediaType(readme_rows()[row])
    for path in samples[row]:
        kind = sniff_file(path)
        if expected == MediaType.PHOTO:
            meta = extract_metadata(path, kind.mime_type)
            size = (meta.width, meta.height)
            if None in size:
                result = make_photo_renditions(path, kind.mime_type, {"preview": 64})
                size = (result.source_width, result.source_height)
            assert size == SIZE or "ICO" in row, (row, path.name, size)
        elif expected in (MediaType.VIDEO, MediaType.AUDIO):
            info = probe_media(path)
            assert info.duration == pytest.approx(1.0, abs=0.25), (row, path.name)
            stream = info.video if expected == MediaType.VIDEO else info.audio
            assert stream is not None and stream.codec, (row, path.name)


def test_multi_page_tiff_renders_its_first_page_and_counts_pages(tmp_path: Path) -> None:
    first = quadrant_image(SIZE)
    path = tmp_path / "scan"
    first.save(path, "TIFF", save_all=True, append_images=[first.rotate(180)] * 2)
    result = make_photo_renditions(path, "image/tiff", {"preview": 400})
    assert result.pages == 3
    with Image.open(io.BytesIO(result.images[0].data)) as preview:
        assert preview.convert("RGB").getpixel((5, 5))[0] > 150  # red top-left: page 1
