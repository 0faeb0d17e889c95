"""The text files of a press kit: captions and credits (pies_de_foto.txt) and the licence.

Spanish only (they go to newsrooms, like the public gallery). UTF-8 with a byte-order mark and
CRLF line ends, for Windows Notepad and Word (see publish.presskit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dam.config import Settings
from dam.curation.rights import OFFICE_TZ, as_utc
from dam.enums import MediaType
from dam.models import Asset
from publish.describe import copyright_line, credit_line, licence_of

BOM = "\ufeff"
MEDIA_WORDS = {MediaType.VIDEO: "Video", MediaType.AUDIO: "Audio",
               MediaType.DOCUMENT: "Documento", MediaType.OTHER: "Archivo"}


@dataclass(frozen=True)
class CaptionEntry:
    """What pies_de_foto.txt says of one item (``name``: its file in the ZIP, if any)."""

    asset_id: int
    name: str | None
    media: str
    original_filename: str
    headline: str | None
    caption: str | None
    credit: str | None
    copyright: str
    taken: str | None
    place: str | None
    licence_code: str | None
    licence_label: str | None
    licence_url: str | None
    alt_text: str | None

    @classmethod
    def of(cls, asset: Asset, name: str | None, settings: Settings) -> CaptionEntry:
        code, label, url = licence_of(asset, settings)
        return cls(
            asset_id=asset.id, name=name, media=MEDIA_WORDS.get(asset.media_type, "Foto"),
            original_filename=asset.original_filename or "", headline=asset.headline,
            caption=asset.caption, credit=credit_line(asset, settings.agency_name),
            copyright=copyright_line(asset, settings.agency_name),
            taken=f"{asset.taken_at:%Y-%m-%d %H:%M}" if asset.taken_at else None,
            place=place_of(asset), licence_code=code, licence_label=label, licence_url=url,
            alt_text=asset.alt_text,
        )


def place_of(asset: Asset) -> str | None:
    parts = [asset.sublocation, asset.city, asset.state_province, asset.country]
    seen: list[str] = []
    for part in parts:
        if part and part.strip() and part.strip() not in seen:
            seen.append(part.strip())
    return ", ".join(seen) or None


def _one_line(text: str | None) -> str:
    """Line breaks inside a field would look like a new field: keep each field on one line."""
    return " ".join((text or "").split())


def _lines_of(entry: CaptionEntry) -> list[str]:
    lines = [entry.name or f"{entry.media}: {entry.original_filename} (no incluido en el ZIP)"]
    if entry.headline:
        lines.append(f"Titular: {_one_line(entry.headline)}")
    lines.append(f"Pie de foto: {_one_line(entry.caption) or '(sin pie de foto)'}")
    lines.append(f"Crédito: {_one_line(entry.credit)}")
    lines.append(f"Fecha: {entry.taken or 'sin fecha'}")
    lines.append(f"Lugar: {_one_line(entry.place) or 'sin lugar'}")
    licence = entry.licence_label or "sin licencia declarada (consulte a la oficina)"
    if entry.licence_url:
        licence = f"{licence} <{entry.licence_url}>"
    lines.append(f"Licencia: {licence}")
    lines.append(f"Derechos: {_one_line(entry.copyright)}")
    if entry.alt_text:
        lines.append(f"Texto alternativo: {_one_line(entry.alt_text)}")
    lines.append(f"Archivo original: {entry.original_filename}")
    return lines


def _crlf(lines: Sequence[str]) -> bytes:
    return (BOM + "\r\n".join(lines) + "\r\n").encode("utf-8")


def captions_text(title: str, agency: str, made_at: dt.datetime,
                  photos: Sequence[CaptionEntry], others: Sequence[CaptionEntry],
                  failed: Sequence[str]) -> bytes:
    """pies_de_foto.txt: a header, then every photo's captions and credit, blank-line apart."""
    local = (as_utc(made_at) or made_at).astimezone(OFFICE_TZ)
    lines = [f"Paquete para prensa: {_one_line(title)}", f"{agency}",
             f"Generado: {local:%Y-%m-%d %H:%M} (hora de la Ciudad de México)",
             f"Fotografías: {len(photos)}", "",
             "Publique cada imagen con su crédito tal como aparece aquí.", ""]
    for entry in photos:
        lines += [*_lines_of(entry), ""]
    if others:
        lines += ["Material no incluido en el ZIP (el kit lleva solo fotografías); "
                  "solicítelo a la oficina de prensa:", ""]
        for entry in others:
            lines += [*_lines_of(entry), ""]
    if failed:
        lines += ["No se pudieron generar estos archivos; solicítelos a la oficina de prensa: "
                  + ", ".join(failed), ""]
    return _crlf(lines)


def licence_text(agency: str, entries: Sequence[CaptionEntry]) -> bytes:
    """LICENCIA.txt: each licence used, with its address and how to give credit."""
    used: dict[str | None, CaptionEntry] = {}
    for entry in entries:
        used.setdefault(entry.licence_code, entry)
    lines = ["Licencias del material de este kit", ""]
    for code, entry in sorted(used.items(), key=lambda item: item[0] or "~"):
        count = sum(1 for e in entries if e.licence_code == code)
        if code is None:
            lines += [f"Sin licencia declarada ({count} archivo(s)):",
                      "  Todos los derechos reservados. Antes de reutilizar este material "
                      f"fuera de la cobertura informativa, consulte a {agency}.", ""]
            continue
        lines.append(f"{entry.licence_label} ({code}), {count} archivo(s):")
        if entry.licence_url:
            lines.append(f"  Texto de la licencia: {entry.licence_url}")
        lines += ["  Atribución: cite el crédito de cada imagen tal como aparece en "
                  "pies_de_foto.txt (por ejemplo «" + _one_line(entry.credit) + "»), "
                  "e indique la licencia.", ""]
    lines += ["Las imágenes llevan incrustados su pie de foto, crédito, derechos y licencia "
              "(IPTC y XMP); se les retiraron la ubicación GPS y los datos privados de la cámara."]
    return _crlf(lines)
