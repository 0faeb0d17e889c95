"""The rendered gallery in Debian's Chromium, JavaScript off: index, collection, photo, phone."""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from publish.gallery.render import render_site
from publish.gallery.site import Site
from tests.publish.gallery_site import make_site
from tests.web.live import CHROMIUM, chromium_page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
BROKEN_IMAGES = "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length"
PAGE_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


def write_site(site: Site, root: Path) -> None:
    """The rendered files and, for each picture the Site names, a real JPEG of its size."""
    for path, data in render_site(site).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    for index, collection in enumerate(site.collections):
        for item in collection.items:
            for image in item.images:
                target = root / image.path
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    picture(image.width, image.height, item.asset_id + index).save(target,
                                                                                   quality=80)


def picture(width: int, height: int, seed: int) -> Image.Image:
    image = Image.new("RGB", (width, height), ((seed * 70) % 256, 120, (seed * 30) % 256))
    draw = ImageDraw.Draw(image)
    draw.ellipse([width // 4, height // 4, width * 3 // 4, height * 3 // 4], fill=(240, 230, 210))
    return image


@pytest.fixture
def gallery(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "galeria"
    write_site(make_site(), root)
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/prensa/", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def gallery_under_prefix(gallery: tuple[str, Path]) -> tuple[str, Path]:
    """The site served from a sub-folder, as on a bucket prefix (relative links must hold)."""
    url, root = gallery
    nested = root / "prensa"
    nested.mkdir()
    for child in list(root.iterdir()):
        if child != nested:
            child.rename(nested / child.name)
    return url, nested


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Every picture loaded (lazy ones too), none without alt text; a screenshot."""
    page.mouse.wheel(0, 20_000)  # brings lazy pictures into view
    page.wait_for_load_state("networkidle")
    assert page.evaluate(BROKEN_IMAGES) == 0, name
    for image in page.locator("img").all():
        assert (image.get_attribute("alt") or "").strip(), name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"gallery-{name}.png"), full_page=True)


def test_a_visitor_goes_from_the_index_to_a_photo(gallery_under_prefix: tuple[str, Path]) -> None:
    url, _root = gallery_under_prefix
    with chromium_page(java_script_enabled=False) as page:
        page.goto(url + "index.html")
        assert page.title() == "Galería de la Alcaldía Iztapalapa"
        check_page(page, "inicio")
        page.get_by_role("link", name="Mercados sobre ruedas").click()
        page.wait_for_url(url + "colecciones/mercados/index.html")
        check_page(page, "coleccion")
        page.get_by_role("link", name="Arranque de la campaña").click()
        page.wait_for_url(url + "fotos/1/index.html")
        check_page(page, "foto")
        assert page.locator("main img").evaluate("i => i.currentSrc").startswith(url + "media/1/")
        assert page.get_by_role("link", name="CC BY 4.0").get_attribute("rel") == "license"
        assert page.locator("script:not([type='application/ld+json'])").count() == 0


def test_pages_fit_a_phone(gallery_under_prefix: tuple[str, Path]) -> None:
    url, _root = gallery_under_prefix
    phone = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
             "device_scale_factor": 2, "java_script_enabled": False}
    with chromium_page(**phone) as page:
        for path, name in (("index.html", "movil-inicio"),
                           ("colecciones/jornada-de-salud/index.html", "movil-coleccion"),
                           ("fotos/7/index.html", "movil-foto"),
                           ("datos/index.html", "movil-datos")):
            page.goto(url + path)
            check_page(page, name)
            width, viewport = page.evaluate(PAGE_WIDTH)
            assert width <= viewport, f"{path}: {width} px wide on a {viewport} px screen"


def test_the_site_works_opened_from_disk(gallery: tuple[str, Path]) -> None:
    _url, root = gallery
    with chromium_page(java_script_enabled=False) as page:
        page.goto((root / "index.html").as_uri())
        page.get_by_role("link", name="Mercados sobre ruedas").click()
        page.wait_for_url((root / "colecciones" / "mercados" / "index.html").as_uri())
        page.get_by_role("link", name="Arranque de la campaña").click()
        page.wait_for_url((root / "fotos" / "1" / "index.html").as_uri())
        assert page.evaluate(BROKEN_IMAGES) == 0
        page.get_by_role("link", name="Datos abiertos", exact=True).first.click()
        page.wait_for_url((root / "datos" / "index.html").as_uri())


def test_the_notice_replaces_the_gallery(tmp_path: Path) -> None:
    notice = ("Por la veda electoral, esta galería suspende la difusión hasta el 2 de junio.\n\n"
              "Se mantiene la información de protección civil y salud.")
    site = make_site(notice=notice)
    site = dataclasses.replace(site, collections=site.collections[1:])
    write_site(site, tmp_path)
    with chromium_page(java_script_enabled=False) as page:
        page.goto((tmp_path / "index.html").as_uri())
        notice_box = page.get_by_role("region", name="Aviso")
        assert "suspende la difusión" in notice_box.inner_text()
        assert page.locator(".tarjeta").count() == 1
        check_page(page, "veda")
