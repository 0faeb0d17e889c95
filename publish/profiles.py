"""Export profiles: named settings for every export (publico, prensa, redes, archivo).

The defaults are declared here; admins change them from the UI, and a row of
``export_profiles`` keeps only the values they changed. :func:`load_profile` merges the two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dam.errors import DamError
from dam.models import ExportProfile as ProfileRow

PUBLIC_PROFILES = frozenset({"publico", "redes"})  # seen by anyone: strictest stripping
# What a public profile always removes, whatever an admin sets (the list).
ALWAYS_STRIPPED_PUBLIC = ("gps", "camera_serial", "owner_name", "maker_notes", "software_history")


class ProfileError(DamError):
    """An unknown profile, or a profile value that is not allowed."""


@dataclass(frozen=True)
class ExportProfile:
    """How one kind of export renders and describes a picture."""

    name: str
    label: str  # Spanish, for the UI
    sizes: tuple[int, ...]  # long edges in pixels, largest first; () = the original's size
    format: str = "jpeg"  # jpeg | webp | original (archivo: the stored file, bit-exact pixels)
    quality: int = 85
    # Metadata kept from the file besides the description we always embed (caption, credit,
    # copyright, licence, alt text): camera make/model and exposure, date taken, GPS.
    keep_camera: bool = False
    keep_date: bool = True
    keep_gps: bool = False
    public: bool = True  # public profiles strip ALWAYS_STRIPPED_PUBLIC, whatever else is set
    band: bool = False  # lay the institutional band (pleca) along the bottom edge
    watermark: str = ""  # text drawn in a corner; empty: none
    c2pa: bool = False  # sign C2PA content credentials into the file
    # Which restrictions stop an asset from being exported with this profile: blocker codes of
    # dam.curation.rights (embargoed, internal_only, minors_without_consent, consent_expired,
    # consent_revoked) plus "unapproved" (workflow state not approved or published).
    blocks: frozenset[str] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["sizes"] = list(self.sizes)
        data["blocks"] = sorted(self.blocks)
        return data


ALL_BLOCKS = frozenset({"embargoed", "internal_only", "minors_without_consent",
                        "consent_expired", "consent_revoked", "unapproved"})

DEFAULT_PROFILES: dict[str, ExportProfile] = {
    "publico": ExportProfile(
        "publico", "Público (ciudadanía)", sizes=(1600, 800), quality=82, keep_camera=False,
        public=True, c2pa=True, blocks=ALL_BLOCKS),
    "prensa": ExportProfile(
        "prensa", "Prensa (medios)", sizes=(3000,), quality=90, keep_camera=True, public=True,
        c2pa=True, blocks=ALL_BLOCKS),
    "redes": ExportProfile(
        "redes", "Redes sociales", sizes=(1080,), quality=88, public=True, band=True, c2pa=True,
        blocks=ALL_BLOCKS),
    "archivo": ExportProfile(
        "archivo", "Archivo (fidelidad completa, interno)", sizes=(), format="original",
        quality=95, keep_camera=True, keep_gps=True, public=False,
        blocks=frozenset()),
}
EDITABLE = ("label", "sizes", "format", "quality", "keep_camera", "keep_date", "keep_gps",
            "band", "watermark", "c2pa", "blocks")


def _checked(base: ExportProfile, changes: Mapping[str, Any]) -> ExportProfile:
    """``base`` with ``changes`` applied and validated (ProfileError names the bad value)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ProfileError(f"not a profile setting: {', '.join(unknown)}")
    values = dict(changes)
    if "sizes" in values:
        sizes = tuple(sorted({int(s) for s in values["sizes"]}, reverse=True))
        if any(s < 64 or s > 12000 for s in sizes):
            raise ProfileError("sizes must be between 64 and 12000 pixels")
        values["sizes"] = sizes
    if "quality" in values and not 1 <= int(values["quality"]) <= 100:
        raise ProfileError("quality must be between 1 and 100")
    if "format" in values and values["format"] not in {"jpeg", "webp", "original"}:
        raise ProfileError("format must be jpeg, webp or original")
    if "blocks" in values:
        blocks = frozenset(values["blocks"])
        if blocks - ALL_BLOCKS:
            raise ProfileError(f"unknown restriction: {', '.join(sorted(blocks - ALL_BLOCKS))}")
        values["blocks"] = blocks
    profile = dataclasses.replace(base, **values)
    if profile.public and profile.format == "original":
        raise ProfileError("a public profile cannot export the original file")
    if profile.public and profile.keep_gps:
        raise ProfileError("a public profile never keeps GPS positions")
    return profile


def load_profile(session: Session, name: str) -> ExportProfile:
    """The profile ``name`` as in force: the default with the admin's changes applied."""
    base = DEFAULT_PROFILES.get(name)
    if base is None:
        raise ProfileError(f"unknown export profile {name!r}; use one of "
                           f"{', '.join(DEFAULT_PROFILES)}")
    row = session.get(ProfileRow, name)
    return _checked(base, row.settings) if row is not None and row.settings else base


def load_profiles(session: Session) -> dict[str, ExportProfile]:
    return {name: load_profile(session, name) for name in DEFAULT_PROFILES}
