"""The gallery's files: a :class:`Site` becomes pages, a feed, a sitemap and open data (pure).

Nothing here reads the catalog or a store: the same Site always gives the same bytes, so the
engine rewrites only what changed. Links between pages are relative (the site works from any
folder, prefix or ``file://``); absolute URLs appear only where the reader is elsewhere: Open
Graph, the canonical link, the feed, the sitemap, the open data and the 404 page (served at any
depth).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from publish.gallery.site import MediaFile, Site, SiteCollection, SiteItem
from publish.gallery.urls import (
    absolute_url,
    human_size,
    local_day,
    relative_url,
    rfc3339,
    spanish_date,
)
from publish.opendata import collections_by_item, item_licence, open_data_files

STATIC_FILES = ("estilo.css", "favicon.svg")
FEED_LIMIT = 50
GRID_SIZES = "(min-width: 72rem) 22rem, (min-width: 40rem) 45vw, 100vw"
PAGE_SIZES = "(min-width: 72rem) 46rem, (min-width: 64rem) 64vw, 100vw"  # see estilo.css
EAGER_THUMBNAILS = 4  # the first row loads at once (it is what the reader sees first)


@functools.cache
def gallery_environment() -> Environment:
    """Jinja2 for the gallery's templates; HTML and XML are escaped unless marked safe."""
    environment = Environment(
        loader=PackageLoader("publish", "gallery_templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "xml")),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        fecha=spanish_date, tamano=human_size, rfc3339=rfc3339, parrafos=paragraphs,
        cuenta=count_label, extracto=excerpt,
    )
    return environment


@dataclass(frozen=True)
class SiteView:
    """The Site with what its pages need to know across collections."""

    site: Site
    items: tuple[SiteItem, ...]  # each item once, in the order of first appearance
    memberships: dict[int, tuple[SiteCollection, ...]]  # asset id -> collections holding it

    @classmethod
    def of(cls, site: Site) -> SiteView:
        items, memberships = collections_by_item(site)
        return cls(site, tuple(items.values()), memberships)

    def render(self, template: str, page: str, *, absolute_links: bool = False,
               **values: Any) -> bytes:
        """The file at ``page`` made from ``template``, its links relative to ``page``."""
        base = self.site.base_url

        def link(target: str) -> str:
            return absolute_url(base, target) if absolute_links else relative_url(page, target)

        html = gallery_environment().get_template(template).render(
            site=self.site, page=page, link=link,
            url=functools.partial(absolute_url, base),
            srcset=functools.partial(srcset, link),
            pick=pick_image, grid_sizes=GRID_SIZES, page_sizes=PAGE_SIZES, **values,
        )
        return html.encode("utf-8")

    def item_page(self, item: SiteItem) -> bytes:
        collections = self.memberships.get(item.asset_id, ())
        licence_label, licence_url = item_licence(self.site, item)
        return self.render(
            "material.html", item.path, item=item, collections=collections,
            structured_data=structured_data(self.site, item, collections),
            licence_label=licence_label, licence_url=licence_url,
        )

    def last_modified(self, item: SiteItem) -> str:
        moments = [rfc3339(c.updated_at) for c in self.memberships.get(item.asset_id, ())]
        if item.updated_at is not None:
            moments.append(rfc3339(item.updated_at))
        return max(moments)


def render_site(site: Site) -> dict[str, bytes]:
    """Every file of the gallery except the media and the manifest, by path."""
    view = SiteView.of(site)
    files: dict[str, bytes] = {
        "index.html": view.render("index.html", "index.html"),
        "datos/index.html": view.render("datos.html", "datos/index.html",
                                        metadata_licence=site.data_licence),
        "404.html": view.render("404.html", "404.html", absolute_links=True),
        "feed.atom": render_feed(view),
        "sitemap.xml": render_sitemap(view),
        "robots.txt": render_robots(site),
    }
    for collection in site.collections:
        files[collection.path] = view.render("coleccion.html", collection.path,
                                             collection=collection, eager=EAGER_THUMBNAILS)
    for item in view.items:
        files[item.path] = view.item_page(item)
    files.update(static_files())
    files.update(open_data_files(site))
    return dict(sorted(files.items()))


def render_feed(view: SiteView) -> bytes:
    """The Atom feed of the newest collections (the Site lists them newest first)."""
    site = view.site
    entries = site.collections[:FEED_LIMIT]
    updated = max((rfc3339(c.updated_at) for c in entries), default=rfc3339(site.generated_at))
    return view.render("feed.xml", "feed.atom", absolute_links=True, entries=entries,
                       updated=updated, feed_id=absolute_url(site.base_url, "feed.atom"),
                       entry_id=functools.partial(collection_tag, site.base_url))


def render_sitemap(view: SiteView) -> bytes:
    """Every page with its last change (the newest of its collections' or its own)."""
    site = view.site
    newest = max((rfc3339(c.updated_at) for c in site.collections),
                 default=rfc3339(site.generated_at))
    pages = [("index.html", newest), ("datos/index.html", newest)]
    pages += [(c.path, rfc3339(c.updated_at)) for c in site.collections]
    pages += [(item.path, view.last_modified(item)) for item in view.items]
    return view.render("sitemap.xml", "sitemap.xml", absolute_links=True, pages=pages)


def render_robots(site: Site) -> bytes:
    sitemap = absolute_url(site.base_url, "sitemap.xml")
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n".encode()


def static_files() -> dict[str, bytes]:
    folder = resources.files("publish").joinpath("gallery_static")
    return {name: folder.joinpath(name).read_bytes() for name in STATIC_FILES}


def collection_tag(base_url: str, collection: SiteCollection) -> str:
    """A stable Atom id: ``tag:host,YYYY-MM-DD:coleccion/<id>`` (RFC 4151), dated by publication."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    day = local_day(collection.published_at).isoformat()
    return f"tag:{host},{day}:coleccion/{collection.collection_id}"


def srcset(link: Callable[[str], str], images: Iterable[MediaFile]) -> str:
    """``a-640.jpg 640w, a-1600.jpg 1600w``: every size of a picture, smallest first."""
    ordered = sorted(images, key=lambda image: image.width)
    return ", ".join(f"{link(image.path)} {image.width}w" for image in ordered)


def pick_image(images: tuple[MediaFile, ...], min_width: int) -> MediaFile:
    """The smallest image at least ``min_width`` wide, else the largest."""
    wide_enough = [image for image in images if image.width >= min_width]
    return min(wide_enough, key=lambda image: image.width) if wide_enough else images[0]


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of a text (separated by blank lines), each on one line."""
    blocks = (text or "").replace("\r\n", "\n").split("\n\n")
    return [" ".join(block.split()) for block in blocks if block.strip()]


def count_label(items: tuple[SiteItem, ...]) -> str:
    """``1 foto``, ``12 fotos``, ``5 fotos y 2 videos``."""
    photos = sum(1 for item in items if item.kind != "video")
    videos = len(items) - photos
    parts = [f"{photos} foto{'s' if photos != 1 else ''}"] if photos or not videos else []
    if videos:
        parts.append(f"{videos} video{'s' if videos != 1 else ''}")
    return " y ".join(parts)


def excerpt(text: str | None, limit: int = 200) -> str:
    """The text's start, at most ``limit`` characters, cut at a word."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def structured_data(site: Site, item: SiteItem, collections: tuple[SiteCollection, ...]) -> Markup:
    """schema.org JSON-LD of the picture (credit and licence, as search engines show them)."""
    page = absolute_url(site.base_url, item.path)
    label, licence_url = item_licence(site, item)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject" if item.kind == "video" else "ImageObject",
        "@id": page, "url": page, "name": item.title, "caption": item.caption or None,
        "description": item.caption or item.title, "creditText": item.credit,
        "copyrightNotice": item.copyright, "license": licence_url,
        "dateCreated": item.taken_on.isoformat() if item.taken_on else None,
        "contentLocation": item.place, "keywords": list(item.keywords) or None,
        "publisher": {"@type": "Organization", "name": site.agency},
    }
    if item.images:
        largest = item.images[0]
        data.update(thumbnailUrl=absolute_url(site.base_url, pick_image(item.images, 640).path),
                    width=largest.width, height=largest.height)
        data["contentUrl"] = absolute_url(site.base_url, largest.path)
    if item.video is not None:
        data["contentUrl"] = absolute_url(site.base_url, item.video.path)
        data["encodingFormat"] = item.video.mime_type
        if collections:
            data["uploadDate"] = min(rfc3339(c.published_at) for c in collections)
    if label and not licence_url:
        data["license"] = None
        data["usageInfo"] = label
    return json_for_html({key: value for key, value in data.items() if value is not None})


def json_for_html(data: object) -> Markup:
    """JSON safe in ``<script>``: ``<``, ``>``, ``&`` escaped, so ``</script>`` cannot end it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))

