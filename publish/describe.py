"""What an exported file says about itself: the asset's description, credit, licence, facts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dam.config import Settings
from dam.enums import MediaType
from dam.models import Asset
from publish.embed import PressInfo

if TYPE_CHECKING:  # publish.export loads the picture stack; describing an asset needs none of it
    from publish.export import FileFacts


def licence_urls(settings: Settings) -> dict[str, str]:
    """The ``licence_urls`` setting as code -> URL."""
    pairs = (part.partition("=") for part in settings.licence_urls.split(";"))
    return {code.strip(): url.strip() for code, sep, url in pairs if sep and url.strip()}


def licence_of(asset: Asset, settings: Settings) -> tuple[str | None, str | None, str | None]:
    """(code, label, url) of the asset's licence, else of the default licence."""
    code = asset.licence or settings.default_licence or None
    if not code:
        return None, None, None
    return code, settings.licences.label(code), licence_urls(settings).get(code)


def credit_line(asset: Asset, agency: str) -> str | None:
    """The credit as the press prints it: the asset's own, else "Foto: <creator> / <agency>"."""
    if asset.credit:
        return asset.credit
    if asset.creator:
        word = "Video" if asset.media_type == MediaType.VIDEO else "Foto"
        return f"{word}: {asset.creator} / {agency}"
    return agency


def copyright_line(asset: Asset, agency: str) -> str:
    if asset.copyright_notice:
        return asset.copyright_notice
    year = (asset.taken_at or asset.created_at).year
    return f"© {year} {agency}"


def usage_terms(terms: str | None, licence_label: str | None) -> str | None:
    """The asset's usage terms, naming its licence when they do not already (readers such as
    newsroom systems show only this field)."""
    if not licence_label or (terms and licence_label in terms):
        return terms or licence_label
    if not terms:
        return licence_label
    terms = terms.rstrip()
    return f"{terms}{'' if terms[-1] in '.;:!?' else '.'} Licencia: {licence_label}."


def press_info(asset: Asset, settings: Settings) -> PressInfo:
    """The asset's current description, as every download and export carries it."""
    _code, label, url = licence_of(asset, settings)
    return PressInfo(
        caption=asset.caption, headline=asset.headline,
        credit=credit_line(asset, settings.agency_name), creator=asset.creator,
        copyright=copyright_line(asset, settings.agency_name),
        usage_terms=usage_terms(asset.usage_terms, label), licence=label, licence_url=url,
        alt_text=asset.alt_text, keywords=list(asset.keywords or []),
        persons=list(asset.persons_shown or []), event=asset.event,
        sublocation=asset.sublocation, city=asset.city, state_province=asset.state_province,
        country=asset.country, country_code=asset.country_code,
    )


def file_facts(asset: Asset) -> FileFacts:
    """What the catalog recorded of the capture (profiles decide what of it to keep)."""
    from publish.export import FileFacts  # noqa: PLC0415 - see the import above

    return FileFacts(
        camera_make=asset.camera_make, camera_model=asset.camera_model,
        lens_model=asset.lens_model, exposure_time=asset.exposure_time,
        f_number=asset.f_number, iso=asset.iso, focal_length=asset.focal_length,
        taken_at=asset.taken_at, gps_latitude=asset.gps_latitude,
        gps_longitude=asset.gps_longitude, gps_altitude=asset.gps_altitude,
        taken_at_offset_minutes=asset.taken_at_offset_minutes,
    )
