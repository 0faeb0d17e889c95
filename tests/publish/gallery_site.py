"""A hand-built gallery Site with tricky text (HTML, quotes, emoji, RTL, formulas) for the tests."""

from __future__ import annotations

import datetime as dt

from publish.gallery.site import MediaFile, Site, SiteCollection, SiteItem

BASE_URL = "https://galeria.example.mx/prensa/"
TRICKY = "<script>alert(1)</script> \"comillas\" 'simples' & emoji 📷"
ARABIC = "مرحبا بالعالم"
HEBREW = "שלום עולם"
INJECTED_ATTRIBUTE = '" onerror="alert(2)'
SIZES = (1600, 640)


def media(asset_id: int, width: int, height: int) -> tuple[MediaFile, ...]:
    """The renditions of a picture, largest first (as the builder makes them)."""
    files = []
    for size in SIZES:
        scale = size / max(width, height)
        files.append(MediaFile(f"media/{asset_id}/a{asset_id:04x}-{size}.jpg",
                               round(width * scale), round(height * scale), "image/jpeg",
                               size * 150 + asset_id))
    return tuple(files)


def photo(asset_id: int, *, title: str = "", caption: str = "", alt: str = "",
          licence: str | None = "CC-BY-4.0", width: int = 1600, height: int = 1067,
          **extra: object) -> SiteItem:
    values: dict[str, object] = {
        "asset_id": asset_id, "kind": "photo", "path": f"fotos/{asset_id}/index.html",
        "title": title or f"Foto {asset_id}", "caption": caption or f"Pie de la foto {asset_id}",
        "alt_text": alt or f"Descripción de la foto {asset_id}",
        "credit": "Foto: Ana López / Alcaldía Iztapalapa",
        "copyright": "© 2025 Alcaldía Iztapalapa", "licence_code": licence,
        "licence_label": "CC BY 4.0" if licence else None,
        "licence_url": "https://creativecommons.org/licenses/by/4.0/deed.es" if licence else None,
        "taken_on": dt.date(2025, 3, 12), "place": "Colonia Santa Cruz Meyehualco",
        "event": "Jornada de salud", "keywords": ("salud", "vacunación"),
        "images": media(asset_id, width, height),
    }
    values.update(extra)
    return SiteItem(**values)  # type: ignore[arg-type]


def video(asset_id: int) -> SiteItem:
    clip = MediaFile(f"media/{asset_id}/v{asset_id:04x}.mp4", 1280, 720, "video/mp4", 3_400_000)
    return photo(asset_id, title=f"Video {asset_id}", width=1280, height=720, video=clip,
                 kind="video", path=f"videos/{asset_id}/index.html")


def tricky_item() -> SiteItem:
    return photo(
        7, title=f"{TRICKY} {ARABIC}", caption=f"Pie {TRICKY}\n\n{HEBREW} {INJECTED_ATTRIBUTE}",
        alt=f"Alt {INJECTED_ATTRIBUTE} & <b>negritas</b>", place=f"Lugar {ARABIC} <i>",
        event="=HYPERLINK(\"http://malo.example\")", credit="+Crédito & <Compañía>",
        keywords=("<kw>", HEBREW, "@arroba"), licence="ALL", licence_label=None,
        licence_url=None,
    )


def make_site(*, notice: str | None = None) -> Site:
    """Two collections (newest first); photo 1 is in both; photo 7 carries every trap."""
    shared = photo(1, title="Arranque de la campaña")
    newest = SiteCollection(
        collection_id=20, slug="jornada-de-salud", path="colecciones/jornada-de-salud/index.html",
        title=f"Jornada {TRICKY} {HEBREW}", description=f"Descripción {TRICKY}\n\nSegundo párrafo.",
        published_at=dt.datetime(2025, 3, 13, 2, 30),  # still the 12th in Mexico City
        updated_at=dt.datetime(2025, 3, 13, 3, 0),
        items=(tricky_item(), shared, video(9), photo(3)), cover=shared,
    )
    older = SiteCollection(
        collection_id=11, slug="mercados", path="colecciones/mercados/index.html",
        title="Mercados sobre ruedas", description="", published_at=dt.datetime(2025, 2, 1, 18),
        updated_at=dt.datetime(2025, 2, 2, 18), items=(shared, photo(4, licence=None)),
    )
    return Site(
        title="Galería de la Alcaldía Iztapalapa", base_url=BASE_URL,
        agency="Alcaldía Iztapalapa", generated_at=dt.datetime(2025, 4, 1, 12),
        collections=(newest, older), notice=notice,
        licences={"CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/deed.es"),
                  "ALL": ("Todos los derechos reservados", None)},
    )


def media_paths(site: Site) -> set[str]:
    """Every media file the Site names (the builder writes them; render_site does not)."""
    paths: set[str] = set()
    for collection in site.collections:
        for item in collection.items:
            paths.update(image.path for image in item.images)
            if item.video is not None:
                paths.add(item.video.path)
    return paths
