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

from dam.curation import audit
from dam.curation.actor import Actor
from dam.enums import Role
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


MAX_SIZES = 6
MAX_TEXT = 100
_FLAGS = ("keep_camera", "keep_date", "keep_gps", "band", "c2pa")


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ProfileError(f"{what} must be a whole number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ProfileError(f"{what} must be a whole number, not {value!r}") from None


def _sizes(value: Any) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise ProfileError("sizes must be a list of long edges in pixels")
    sizes = tuple(sorted({_integer(s, "a size") for s in value}, reverse=True))
    if any(s < 64 or s > 12000 for s in sizes):
        raise ProfileError("sizes must be between 64 and 12000 pixels")
    if len(sizes) > MAX_SIZES:
        raise ProfileError(f"at most {MAX_SIZES} sizes")
    return sizes


def _text_value(value: Any, what: str, *, required: bool) -> str:
    if not isinstance(value, str):
        raise ProfileError(f"{what} must be text")
    text = " ".join(value.split())
    if required and not text:
        raise ProfileError(f"{what} cannot be empty")
    if len(text) > MAX_TEXT:
        raise ProfileError(f"{what} must be at most {MAX_TEXT} characters")
    return text


def _values(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` converted to the profile's types, each checked on its own."""
    values = dict(changes)
    if "sizes" in values:
        values["sizes"] = _sizes(values["sizes"])
    if "quality" in values:
        values["quality"] = _integer(values["quality"], "quality")
        if not 1 <= values["quality"] <= 100:
            raise ProfileError("quality must be between 1 and 100")
    if "format" in values and values["format"] not in {"jpeg", "webp", "original"}:
        raise ProfileError("format must be jpeg, webp or original")
    for flag in _FLAGS:
        if flag in values and not isinstance(values[flag], bool):
            raise ProfileError(f"{flag} must be true or false")
    if "label" in values:
        values["label"] = _text_value(values["label"], "the name", required=True)
    if "watermark" in values:
        values["watermark"] = _text_value(values["watermark"], "the watermark", required=False)
    if "blocks" in values:
        if isinstance(values["blocks"], str) or not hasattr(values["blocks"], "__iter__"):
            raise ProfileError("blocks must be a list of restrictions")
        blocks = frozenset(values["blocks"])
        if blocks - ALL_BLOCKS:
            unknown = ", ".join(sorted(map(str, blocks - ALL_BLOCKS)))
            raise ProfileError(f"unknown restriction: {unknown}")
        values["blocks"] = blocks
    return values


def _checked(base: ExportProfile, changes: Mapping[str, Any]) -> ExportProfile:
    """``base`` with ``changes`` applied and validated (ProfileError names the bad value)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ProfileError(f"not a profile setting: {', '.join(unknown)}")
    profile = dataclasses.replace(base, **_values(changes))
    if profile.public and profile.format == "original":
        raise ProfileError("a public profile cannot export the original file")
    if profile.public and profile.keep_gps:
        raise ProfileError("a public profile never keeps GPS positions")
    if profile.format != "original" and not profile.sizes:
        raise ProfileError("give at least one size (only the original format keeps the "
                           "picture's own size)")
    return profile


def default_profile(name: str) -> ExportProfile:
    """The built-in profile ``name`` (ProfileError when there is none)."""
    base = DEFAULT_PROFILES.get(name)
    if base is None:
        raise ProfileError(f"unknown export profile {name!r}; use one of "
                           f"{', '.join(DEFAULT_PROFILES)}")
    return base


def load_profile(session: Session, name: str) -> ExportProfile:
    """The profile ``name`` as in force: the default with the admin's changes applied."""
    base = default_profile(name)
    row = session.get(ProfileRow, name)
    return _checked(base, row.settings) if row is not None and row.settings else base


def _differences(base: ExportProfile, profile: ExportProfile) -> dict[str, Any]:
    """The editable values of ``profile`` that differ from ``base``, as JSON."""
    old, new = base.to_json(), profile.to_json()
    return {key: new[key] for key in EDITABLE if new[key] != old[key]}


def _require_admin(actor: Actor) -> None:
    if not actor.at_least(Role.ADMIN):
        raise ProfileError("only administrators change export profiles")


def _store(session: Session, actor: Actor, name: str, before: ExportProfile,
           after: ExportProfile) -> None:
    """Write ``after`` as the row of ``name`` (only what differs from the default), audited."""
    changed = _differences(before, after)
    if not changed:
        return
    stored = _differences(default_profile(name), after)
    row = session.get(ProfileRow, name)
    if row is None:
        session.add(ProfileRow(name=name, settings=stored, updated_by=actor.user_id))
    else:
        row.settings, row.updated_by = stored, actor.user_id
    old = before.to_json()
    audit.record(session, actor, "export_profile", field=name,
                 old={key: old[key] for key in changed}, new=changed)


def save_profile(session: Session, actor: Actor, name: str,
                 changes: Mapping[str, Any]) -> ExportProfile:
    """Apply an admin's ``changes`` to the profile ``name``: validated, stored as differences
    from the default, written to the audit log with the old and new values. Returns the
    profile now in force (nothing is written when nothing changes)."""
    _require_admin(actor)
    before = load_profile(session, name)
    row = session.get(ProfileRow, name)
    current = dict(row.settings) if row is not None and row.settings else {}
    after = _checked(default_profile(name), {**current, **changes})
    _store(session, actor, name, before, after)
    return after


def reset_profile(session: Session, actor: Actor, name: str) -> ExportProfile:
    """Put the profile ``name`` back to its built-in defaults (audited when it changes)."""
    _require_admin(actor)
    before = load_profile(session, name)
    base = default_profile(name)
    _store(session, actor, name, before, base)
    return base


def load_profiles(session: Session) -> dict[str, ExportProfile]:
    return {name: load_profile(session, name) for name in DEFAULT_PROFILES}
