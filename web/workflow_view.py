"""What the asset page shows of workflow and rights, and the plain-word reasons of refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import g
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation.actor import Actor
from dam.curation.consent import consents_of
from dam.curation.rights import (
    OFFICE_TZ,
    Blocker,
    Refusal,
    as_utc,
    consent_blockers,
    consent_is_valid,
    linked_consents,
    office_today,
    owns,
    restriction_blockers,
    warnings,
)
from dam.curation.workflow import blackout_blockers, next_states
from dam.enums import Role, WorkflowState
from dam.models import Asset, ConsentForm, utcnow
from web.accounts import CurrentUser
from web.curation_common import actor_of
from web.i18n import fmt_date, fmt_moment
from web.queries import reading
from web.state import get_ctx


def workflow_names(_: Callable[[str], str]) -> dict[str, str]:
    """The workflow states' names in the UI, translated by ``_``."""
    return {
        WorkflowState.DRAFT: _("Draft"), WorkflowState.REVIEWED: _("Reviewed"),
        WorkflowState.APPROVED: _("Approved for publication"),
        WorkflowState.PUBLISHED: _("Published"), WorkflowState.WITHDRAWN: _("Withdrawn"),
    }


def workflow_label(state: str | None) -> str:
    """The state's name in the UI (msgids in English, translated)."""
    return workflow_names(_).get(state, state or "")  # type: ignore[arg-type]


def blocker_text(blocker: Blocker) -> str:
    if blocker.code == "embargoed":
        return _("it is under embargo until %(when)s", when=fmt_moment(blocker.until))
    if blocker.code == "internal_only":
        return _("it is for internal use only")
    if blocker.code == "minors_without_consent":
        return _("it shows minors and no valid consent covers it")
    if blocker.code == "consent_expired":
        return _("consent form #%(id)s expired on %(date)s", id=blocker.consent_id,
                 date=fmt_date(blocker.on))
    if blocker.code == "consent_revoked":
        return _("consent form #%(id)s was revoked on %(date)s", id=blocker.consent_id,
                 date=fmt_date(blocker.on))
    if blocker.code == "blackout":
        return _("an electoral blackout is in force until %(when)s: only civil-protection and "
                 "health information may be published", when=fmt_moment(blocker.until))
    return blocker.detail or blocker.code


def refusal_text(refusal: Refusal) -> str:
    if refusal.reason == "blocked":
        return "; ".join(blocker_text(b) for b in refusal.blockers)
    return {
        "not_found": _("it does not exist"),
        "not_allowed": _("your role may not make this change"),
        "not_owner": _("it is not from one of your batches"),
        "needs_editor": _("only an editor may lift a restriction"),
        "invalid_step": _("that is not a valid step from its current state"),
    }.get(refusal.reason, refusal.reason)


def refusals_text(refusals: Sequence[Refusal], limit: int = 10) -> str:
    shown = [f"#{r.asset_id}: {refusal_text(r)}" for r in refusals[:limit]]
    if len(refusals) > limit:
        shown.append(_("and %(n)d more", n=len(refusals) - limit))
    return " · ".join(shown)


@dataclass
class ConsentLine:
    form: ConsentForm
    valid: bool


@dataclass
class RightsPanel:
    """Everything _asset_status.html and _asset_rights.html show for one asset."""

    state_label: str
    blockers: list[str] = field(default_factory=list)
    blackout: str | None = None  # why it cannot move to published now (electoral blackout)
    sensitive: bool = False
    moves: list[tuple[str, str]] = field(default_factory=list)  # (state, label)
    consents: list[ConsentLine] = field(default_factory=list)
    licences: list[tuple[str, str]] = field(default_factory=list)
    licence_label: str | None = None
    licence_is_default: bool = False
    embargo_local: str = ""  # for <input type="datetime-local">
    edit_all: bool = False  # editors: every rights field
    edit_flags: bool = False  # photographers on their own assets: minors, sensitive


def embargo_input(moment: dt.datetime | None) -> str:
    utc = as_utc(moment)
    return utc.astimezone(OFFICE_TZ).strftime("%Y-%m-%dT%H:%M") if utc else ""


def _editing(actor: Actor, asset: Asset) -> tuple[bool, bool]:
    edit_all = actor.at_least(Role.EDITOR)
    return edit_all, edit_all or (actor.at_least(Role.PHOTOGRAPHER) and owns(actor, asset))


def rights_panel(asset: Asset) -> RightsPanel | None:
    """The panel for the signed-in user (None for the public: they see none of this)."""
    user = g.get("user")
    if user is None:
        return None
    panels = g.setdefault("rights_panels", {})  # the page asks twice: status, then the form
    if asset.id not in panels:
        panels[asset.id] = _panel(user, asset)
    return panels[asset.id]


def prepare_rights_panel(session: Session, asset: Asset, *, blackout: bool = True) -> None:
    """Build the page's panel in the view's own session: the consent forms are read once
    (for the blockers and the list), the blackout only when one is in force (``blackout``)
    and publishing is a next step."""
    user = g.get("user")
    if user is not None:
        forms = linked_consents(session, [asset.id]).get(asset.id, [])
        g.setdefault("rights_panels", {})[asset.id] = _panel(user, asset, session, forms,
                                                             blackout=blackout)


def _panel(user: CurrentUser, asset: Asset, session: Session | None = None,
           forms: list[ConsentForm] | None = None, *, blackout: bool = True) -> RightsPanel:
    if session is None:
        with reading(get_ctx().catalog) as own:
            return _panel(user, asset, own, consents_of(own, asset.id))
    settings, now = get_ctx().settings, utcnow()
    actor = actor_of(user)
    moves = next_states(actor, asset)
    forms = forms or []
    blockers = restriction_blockers(asset, now) + consent_blockers(asset, forms, now)
    held = blackout_blockers(session, [asset], now).get(asset.id, []) if (
        blackout and WorkflowState.PUBLISHED in moves) else []  # say so before the editor tries
    code = asset.licence or settings.default_licence or None
    edit_all, edit_flags = _editing(actor, asset)
    today = office_today(now)
    return RightsPanel(
        state_label=workflow_label(asset.workflow_state),
        blockers=[blocker_text(b) for b in blockers],
        blackout=blocker_text(held[0]) if held else None,
        sensitive="sensitive" in warnings(asset),
        moves=[(str(s), workflow_label(s)) for s in moves],
        consents=[ConsentLine(f, consent_is_valid(f, today)) for f in forms],
        licences=list(settings.licences), licence_label=settings.licences.label(code),
        licence_is_default=asset.licence is None and code is not None,
        embargo_local=embargo_input(asset.embargo_until), edit_all=edit_all,
        edit_flags=edit_flags,
    )


# The editorial order: a bulk move never takes an asset back down it (withdrawing and the fresh
# start to draft are moves of their own, asked for by name).
FORWARD = (WorkflowState.DRAFT, WorkflowState.REVIEWED, WorkflowState.APPROVED,
           WorkflowState.PUBLISHED)


def forward_only(session: Session, ids: Sequence[int], target: WorkflowState
                 ) -> tuple[list[int], dict[str, int]]:
    """Of a selection, the ids a bulk move to ``target`` may take, and how many of the rest are
    in each state ahead of it (they are skipped, never demoted)."""
    if target not in FORWARD or target is WorkflowState.DRAFT:
        return list(ids), {}
    ahead = {str(s) for s in FORWARD[FORWARD.index(target) + 1:]}
    skipped: dict[str, int] = {}
    keep: list[int] = []
    rows = {asset_id: state for asset_id, state in session.execute(
        select(Asset.id, Asset.workflow_state).where(Asset.id.in_(list(ids))))}
    for asset_id in ids:
        state = rows.get(asset_id)
        if state is not None and str(state) in ahead:
            skipped[str(state)] = skipped.get(str(state), 0) + 1
        else:
            keep.append(asset_id)
    return keep, skipped


def skipped_text(skipped: dict[str, int]) -> str:
    """"2 already Approved for publication, 1 already Published" (in the page's language)."""
    return ", ".join(_("%(n)d already %(state)s", n=n, state=workflow_label(state))
                     for state, n in skipped.items())
