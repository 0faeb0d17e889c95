"""The gallery's pages, feed and sitemap from a hand-built Site: escaping, links, tags, notice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import posixpath
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pytest
from defusedxml import ElementTree

from publish.gallery.render import json_for_html, render_site
from publish.gallery.site import Site
from publish.gallery.urls import human_size, relative_url, spanish_date
from tests.publish.gallery_site import (
    ARABIC,
    BASE_URL,
    HEBREW,
    INJECTED_ATTRIBUTE,
    TRICKY,
    make_site,
    media_paths,
)

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
LINK_ATTRIBUTES = ("href", "src", "poster")


class Page(HTMLParser):
    """A parsed page: its elements (tag, attributes), text by element, scripts, ids."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, list[str]] = {}
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "script":
            self.scripts.append((attributes, ""))
        if tag not in {"img", "meta", "link", "source", "br", "input"}:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "script":
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)
        for tag in set(self._open):
            self.texts.setdefault(tag, []).append(data)

    def text_of(self, tag: str) -> str:
        return " ".join("".join(self.texts.get(tag, [])).split())

    def all(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements
                if name == tag and all(attrs.get(k) == v for k, v in wanted.items())]

    def meta(self, key: str) -> str:
        found = [attrs["content"] for attrs in self.all("meta")
                 if key in (attrs.get("property"), attrs.get("name"))]
        assert len(found) == 1, (key, found)
        return found[0]


@pytest.fixture(scope="module")
def site() -> Site:
    return make_site()


@pytest.fixture(scope="module")
def files(site: Site) -> dict[str, bytes]:
    return render_site(site)


def pages_of(files: dict[str, bytes]) -> dict[str, Page]:
    return {path: Page(data.decode("utf-8")) for path, data in files.items()
            if path.endswith(".html")}


def test_every_file_of_the_site_is_rendered(files: dict[str, bytes]) -> None:
    assert set(files) >= {
        "index.html", "colecciones/jornada-de-salud/index.html", "colecciones/mercados/index.html",
        "fotos/1/index.html", "fotos/3/index.html", "fotos/4/index.html", "fotos/7/index.html",
        "videos/9/index.html", "feed.atom", "sitemap.xml", "robots.txt", "404.html",
        "estilo.css", "datos/catalogo.csv", "datos/catalogo.json", "datos/dcat.jsonld",
        "datos/index.html",
    }
    assert not any(path.startswith("media/") for path in files)


def test_pages_are_spanish_accessible_and_free_of_scripts(files: dict[str, bytes]) -> None:
    for path, page in pages_of(files).items():
        assert page.all("html")[0]["lang"] == "es-MX", path
        assert page.all("a", href="#contenido"), path  # the skip link
        assert page.all("main", id="contenido") and page.all("header") and page.all("footer")
        for attributes, text in page.scripts:  # JSON-LD only: no JavaScript at all
            assert attributes == {"type": "application/ld+json"}, path
            json.loads(text)
        for tag, attributes in page.elements:
            assert not any(name.startswith("on") for name in attributes), (path, tag)
        for image in page.all("img"):
            assert image.get("alt", "").strip(), (path, image)


def test_tricky_text_is_escaped_and_round_trips(files: dict[str, bytes]) -> None:
    raw = files["fotos/7/index.html"].decode()
    assert "<script>alert" not in raw and 'onerror="alert' not in raw
    page = Page(raw)
    assert page.text_of("h1") == f"{TRICKY} {ARABIC}"
    assert f"Pie {TRICKY}" in page.text_of("figcaption")
    assert f"{HEBREW} {INJECTED_ATTRIBUTE}" in page.text_of("figcaption")
    image = page.all("img")[0]
    assert image["alt"] == f"Alt {INJECTED_ATTRIBUTE} & <b>negritas</b>"
    assert page.meta("og:title") == f"{TRICKY} {ARABIC}"
    assert page.meta("og:image:alt") == image["alt"]
    assert "+Crédito & <Compañía>" in page.text_of("dd")
    assert [li for li in page.all("li") if li.get("dir") == "auto"]  # RTL text isolates itself
    collection = Page(files["colecciones/jornada-de-salud/index.html"].decode())
    assert collection.text_of("h1") == f"Jornada {TRICKY} {HEBREW}"


def test_structured_data_cannot_close_its_script() -> None:
    text = str(json_for_html({"x": "</script><script>alert(1)</script> & \u2028"}))
    assert "</" not in text and "<" not in text and "&" not in text
    assert json.loads(text) == {"x": "</script><script>alert(1)</script> & \u2028"}


def test_photo_page_shows_credit_licence_downloads_and_open_graph(
        files: dict[str, bytes], site: Site) -> None:
    page = Page(files["fotos/1/index.html"].decode())
    item = site.collections[0].items[1]
    assert page.all("link", rel="canonical")[0]["href"] == BASE_URL + "fotos/1/index.html"
    assert page.meta("og:url") == BASE_URL + "fotos/1/index.html"
    assert page.meta("og:type") == "article" and page.meta("og:locale") == "es_MX"
    assert page.meta("og:image") == BASE_URL + "media/1/a0001-1600.jpg"
    assert (page.meta("og:image:width"), page.meta("og:image:height")) == ("1600", "1067")
    assert page.meta("og:image:alt") == item.alt_text
    assert page.meta("twitter:card") == "summary_large_image"
    main = page.all("img")[0]
    assert main["srcset"] == "../../media/1/a0001-640.jpg 640w, ../../media/1/a0001-1600.jpg 1600w"
    assert main["sizes"] and (main["width"], main["height"]) == ("1600", "1067")
    licence = page.all("a", rel="license")[0]
    assert licence["href"] == "https://creativecommons.org/licenses/by/4.0/deed.es"
    text = page.text_of("main")
    for expected in ("Foto: Ana López / Alcaldía Iztapalapa", "© 2025 Alcaldía Iztapalapa",
                     "CC BY 4.0", "12 de marzo de 2025", "Colonia Santa Cruz Meyehualco",
                     "Jornada de salud", "vacunación", "1600 × 1067 px", "640 × 427 px", "KB"):
        assert expected in text, expected
    downloads = [a["href"] for a in page.all("a") if "download" in a]
    assert downloads == ["../../media/1/a0001-1600.jpg", "../../media/1/a0001-640.jpg"]
    crumbs = [a["href"] for a in page.all("a") if a.get("href", "").startswith("../../colecciones")]
    assert crumbs == ["../../colecciones/jornada-de-salud/index.html",
                      "../../colecciones/mercados/index.html"]  # in both collections


def test_video_page_plays_the_proxy_with_its_poster(files: dict[str, bytes]) -> None:
    page = Page(files["videos/9/index.html"].decode())
    video = page.all("video")[0]
    assert "controls" in video and video["preload"] == "metadata"
    assert video["poster"] == "../../media/9/a0009-1600.jpg"
    assert page.all("source")[0] == {"src": "../../media/9/v0009.mp4", "type": "video/mp4"}
    assert page.meta("og:type") == "video.other"
    assert page.meta("og:video") == BASE_URL + "media/9/v0009.mp4"
    assert "3.2 MB" in page.text_of("main")


def test_index_lists_collections_newest_first_with_spanish_dates(files: dict[str, bytes]) -> None:
    page = Page(files["index.html"].decode())
    titles = [" ".join(text.split()) for text in page.texts["h3"]]
    assert titles == [f"Jornada {TRICKY} {HEBREW}", "Mercados sobre ruedas"]
    text = page.text_of("main")
    assert "12 de marzo de 2025 · 3 fotos y 1 video" in text  # 02:30 UTC on the 13th
    assert "1 de febrero de 2025 · 2 fotos" in text
    assert page.all("a", href="feed.atom") and page.all("a", href="datos/index.html")
    assert page.all("link", rel="alternate")[0]["href"] == "feed.atom"
    covers = page.all("img")
    assert covers[0]["src"] == "media/1/a0001-640.jpg" and "640w" in covers[0]["srcset"]


def test_collection_grid_avoids_layout_shift(files: dict[str, bytes]) -> None:
    page = Page(files["colecciones/jornada-de-salud/index.html"].decode())
    images = page.all("img")
    assert len(images) == 4
    for image in images:
        assert image["width"] and image["height"] and image["sizes"] and image["srcset"]
    links = [a["href"] for a in page.all("a") if a["href"].startswith(("../../fotos", "../../vid"))]
    assert links == ["../../fotos/7/index.html", "../../fotos/1/index.html",
                     "../../videos/9/index.html", "../../fotos/3/index.html"]
    assert "Segundo párrafo." in page.text_of("main")


def test_links_resolve_to_rendered_files_or_media(files: dict[str, bytes], site: Site) -> None:
    existing = set(files) | media_paths(site)
    for path, page in pages_of(files).items():
        ids = {attrs["id"] for _tag, attrs in page.elements if "id" in attrs}
        for tag, attrs in page.elements:
            targets = [attrs[name] for name in LINK_ATTRIBUTES if name in attrs]
            targets += [entry.split()[0] for entry in attrs.get("srcset", "").split(",") if entry]
            for target in targets:
                assert_resolves(path, target, existing, ids, tag)


def assert_resolves(page: str, target: str, existing: set[str], ids: set[str], tag: str) -> None:
    if target.startswith("#"):
        assert target[1:] in ids, (page, target)
        return
    if target.startswith(BASE_URL):
        assert unquote(target[len(BASE_URL):]) in existing, (page, target)
        return
    if urlsplit(target).scheme:
        assert tag == "a" and target.startswith("https://creativecommons.org/"), (page, target)
        return
    assert page != "404.html", target  # served at any depth: absolute links only
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(target)))
    assert resolved in existing, (page, target)


def test_feed_is_valid_atom_with_escaped_titles(files: dict[str, bytes]) -> None:
    feed = ElementTree.fromstring(files["feed.atom"])
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == BASE_URL + "feed.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        f"Jornada {TRICKY} {HEBREW}", "Mercados sobre ruedas"]
    first = entries[0]
    assert first.findtext(f"{ATOM}id") == "tag:galeria.example.mx,2025-03-12:coleccion/20"
    assert first.findtext(f"{ATOM}updated") == "2025-03-13T03:00:00Z"
    assert first.find(f"{ATOM}link").get("href") == (
        BASE_URL + "colecciones/jornada-de-salud/index.html")
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html"
    html = Page(content.text or "")
    assert html.all("img")[0]["src"] == BASE_URL + "media/1/a0001-1600.jpg"
    assert TRICKY in html.text_of("p") and not html.all("script")
    assert feed.findtext(f"{ATOM}updated") == "2025-03-13T03:00:00Z"


def test_feed_keeps_the_fifty_newest(site: Site) -> None:
    template = site.collections[1]
    many = tuple(dataclasses.replace(template, collection_id=100 + n, slug=f"c{n}",
                                     path=f"colecciones/c{n}/index.html") for n in range(60))
    feed = ElementTree.fromstring(render_site(dataclasses.replace(site, collections=many))
                                  ["feed.atom"])
    ids = [entry.findtext(f"{ATOM}id") for entry in feed.findall(f"{ATOM}entry")]
    assert len(ids) == 50 and ids[0].endswith("coleccion/100") and len(set(ids)) == 50


def test_sitemap_lists_every_page_and_robots_points_to_it(files: dict[str, bytes]) -> None:
    sitemap = ElementTree.fromstring(files["sitemap.xml"])
    listed = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
              for url in sitemap.findall(f"{SITEMAP}url")}
    pages = {BASE_URL + path for path in files if path.endswith(".html") and path != "404.html"}
    assert set(listed) == pages
    assert listed[BASE_URL + "fotos/1/index.html"] == "2025-03-13T03:00:00Z"  # newest holder
    assert listed[BASE_URL + "colecciones/mercados/index.html"] == "2025-02-02T18:00:00Z"
    assert files["robots.txt"].decode().splitlines()[-1] == f"Sitemap: {BASE_URL}sitemap.xml"


def test_output_is_deterministic_and_ignores_the_run_time(site: Site) -> None:
    later = dataclasses.replace(site, generated_at=dt.datetime(2030, 1, 1))
    assert render_site(site) == render_site(make_site()) == render_site(later)


def test_notice_mode_shows_the_notice_and_only_the_excepted(site: Site) -> None:
    notice = "Veda electoral <b>2027</b>: la difusión se suspende.\n\nArtículo 41 & más."
    excepted = dataclasses.replace(site, notice=notice, collections=site.collections[1:])
    files = render_site(excepted)
    index = Page(files["index.html"].decode())
    assert index.all("section", **{"aria-labelledby": "aviso-titulo"})
    assert "Veda electoral <b>2027</b>: la difusión se suspende." in index.text_of("section")
    assert [" ".join(t.split()) for t in index.texts["h3"]] == ["Mercados sobre ruedas"]
    assert "colecciones/jornada-de-salud/index.html" not in files
    assert "fotos/7/index.html" not in files and "videos/9/index.html" not in files
    assert "Jornada" not in files["feed.atom"].decode()
    for path, page in pages_of(files).items():
        if path != "index.html":
            assert "Veda electoral <b>2027</b>" in page.text_of("aside"), path


def test_empty_gallery_still_renders(site: Site) -> None:
    files = render_site(dataclasses.replace(site, collections=()))
    assert "Aún no hay colecciones publicadas." in files["index.html"].decode()
    assert ElementTree.fromstring(files["feed.atom"]).findtext(f"{ATOM}updated") == (
        "2025-04-01T12:00:00Z")


@pytest.mark.parametrize(("moment", "expected"), [
    (dt.date(2025, 3, 12), "12 de marzo de 2025"),
    (dt.datetime(2025, 1, 1, 5, 59), "31 de diciembre de 2024"),  # UTC, 23:59 in Mexico City
    (dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC), "1 de septiembre de 2025"),
    (None, ""),
])
def test_spanish_dates(moment: dt.date | None, expected: str) -> None:
    assert spanish_date(moment) == expected


def test_sizes_and_relative_links() -> None:
    assert [human_size(n) for n in (300, 250_000, 3_400_000)] == ["1 KB", "244 KB", "3.2 MB"]
    assert relative_url("index.html", "fotos/1/index.html") == "fotos/1/index.html"
    assert relative_url("fotos/1/index.html", "media/1/a b.jpg") == "../../media/1/a%20b.jpg"
    assert relative_url("colecciones/x/index.html", "colecciones/x/index.html") == "index.html"
