"""OCR of scanned pages: Spanish text of known content, straight, turned, tilted, soiled and in
two columns, read with a word error rate under a threshold, accents and ñ kept."""

from __future__ import annotations

import pytest
from PIL import Image

from ingest.ocr import BOX_SCALE, PageText, Reader, reader_for, tessdata_path
from tests.scans import TEXT_A, TEXT_B, draw_page, soiled, tilted, turned, word_error_rate

MAX_WER = 0.05  # at most one word in twenty wrong (accents count)


@pytest.fixture(scope="module")
def reader() -> Reader:
    try:
        tessdata_path()
    except Exception as exc:  # noqa: BLE001 - no Tesseract models on this machine
        pytest.skip(str(exc))
    return reader_for("spa")


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return draw_page(TEXT_A)


@pytest.fixture(scope="module")
def straight(reader: Reader, page: Image.Image) -> PageText:
    return reader.read(page)


def test_a_straight_page_is_read_with_its_accents(straight: PageText) -> None:
    assert word_error_rate(TEXT_A, straight.text) <= MAX_WER, straight.text
    for word in ("Iztapalapa", "niñas", "Peñón", "Alcaldía", "útiles"):
        assert word in straight.text
    assert straight.confidence is not None and straight.confidence > 80
    assert straight.rotation == 0 and straight.skew == 0


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_turned_page_is_turned_upright_before_reading(reader: Reader, page: Image.Image,
                                                        degrees: int) -> None:
    found = reader.read(turned(page, degrees))
    assert found.rotation == (360 - degrees) % 360
    assert word_error_rate(TEXT_A, found.text) <= MAX_WER, found.text


@pytest.mark.parametrize("degrees", [3.0, -3.0])
def test_a_tilted_page_is_straightened(reader: Reader, page: Image.Image, degrees: float) -> None:
    found = reader.read(tilted(page, degrees))
    assert found.skew == pytest.approx(-degrees, abs=0.3)
    assert word_error_rate(TEXT_A, found.text) <= MAX_WER, found.text


def test_a_soiled_photocopy_is_read(reader: Reader, page: Image.Image) -> None:
    found = reader.read(soiled(tilted(page, 1.5)))
    assert word_error_rate(TEXT_A, found.text) <= 0.1, found.text


def test_two_columns_are_read_one_after_the_other(reader: Reader) -> None:
    text = f"{TEXT_A} {TEXT_B}"
    found = reader.read(draw_page(text, columns=2, points=9))
    assert word_error_rate(text, found.text) <= MAX_WER, found.text


def test_a_blank_page_is_blank_not_unreadable(reader: Reader) -> None:
    found = reader.read(Image.new("L", (1240, 1748), 255))
    assert found.blank and found.text == "" and found.words == []


def _box_of(found: PageText, word: str) -> list[int]:
    return next(w[1:5] for w in found.words if w[0].strip(".,") == word)


def test_word_boxes_are_on_the_page_as_shown(reader: Reader, page: Image.Image,
                                              straight: PageText) -> None:
    """A word's box is where the word is printed on the page as given, whatever turn or tilt
    was needed to read it (fractions of the page x 10,000)."""
    x0, y0, x1, y1 = _box_of(straight, "Iztapalapa")
    ink = page.crop((x0 * page.width // BOX_SCALE, y0 * page.height // BOX_SCALE,
                     x1 * page.width // BOX_SCALE, y1 * page.height // BOX_SCALE))
    assert ink.getextrema()[0] == 0  # black ink inside the box
    upside_down = reader.read(turned(page, 180))
    u0, v0, u1, v1 = _box_of(upside_down, "Iztapalapa")
    assert abs((BOX_SCALE - u1) - x0) < 60 and abs((BOX_SCALE - v1) - y0) < 60
    quarter = reader.read(turned(page, 90))  # turned left: the first line runs up the left side
    q0, r0, q1, r1 = _box_of(quarter, "Iztapalapa")
    assert q1 - q0 < r1 - r0  # the word stands upright on the turned page
    assert abs(q0 - y0) < 100 and abs((BOX_SCALE - r1) - x0) < 100
