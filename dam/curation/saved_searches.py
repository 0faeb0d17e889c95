"""Saved searches: a named query string, kept for oneself or shared with the team.

``last_seen_at`` moves when the search is opened from the list, so the list can say how much
material matching it arrived since (for a shared search: since anyone last opened it).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dam.errors import DamError, NotFoundError
from dam.models import SavedSearch

MAX_PER_USER = 100
# Parts of the search page's address that are not the search itself.
NOT_THE_SEARCH = frozenset({"pagina", "csrf_token", "volver"})


class SavedSearchError(DamError):
    """A saved search that cannot be kept or changed (the message says why)."""


def clean_query(raw: str) -> str:
    """The search page's query string without paging, normalised (at most 2000 characters)."""
    pairs = [(k, v) for k, v in parse_qsl(raw.lstrip("?"), keep_blank_values=False)
             if k not in NOT_THE_SEARCH]
    text = urlencode(pairs)
    if len(text) > 2000:
        raise SavedSearchError("the search is too long to keep")
    return text


def save_search(session: Session, owner_id: int, name: str, query: str, *, shared: bool,
                now: dt.datetime) -> SavedSearch:
    name = " ".join(name.split())[:200]
    if not name:
        raise SavedSearchError("a saved search needs a name")
    count = len(session.scalars(select(SavedSearch.id).where(
        SavedSearch.owner_id == owner_id)).all())
    if count >= MAX_PER_USER:
        raise SavedSearchError(f"at most {MAX_PER_USER} saved searches per person")
    saved = SavedSearch(owner_id=owner_id, name=name, query=clean_query(query), shared=shared,
                        created_at=now, last_seen_at=now)
    session.add(saved)
    session.flush()
    return saved


def visible_searches(session: Session, user_id: int) -> list[SavedSearch]:
    """One's own searches, then those the team shares, by name."""
    rows = session.scalars(select(SavedSearch).where(
        or_(SavedSearch.owner_id == user_id, SavedSearch.shared.is_(True)))
        .order_by(SavedSearch.name, SavedSearch.id))
    return sorted(rows, key=lambda s: s.owner_id != user_id)


def get_saved(session: Session, search_id: int, user_id: int) -> SavedSearch:
    saved = session.get(SavedSearch, search_id)
    if saved is None or (saved.owner_id != user_id and not saved.shared):
        raise NotFoundError(f"saved search {search_id} does not exist")
    return saved


def mark_seen(session: Session, search_id: int, user_id: int, now: dt.datetime) -> SavedSearch:
    saved = get_saved(session, search_id, user_id)
    saved.last_seen_at = now
    return saved


def delete_search(session: Session, search_id: int, user_id: int) -> None:
    saved = get_saved(session, search_id, user_id)
    if saved.owner_id != user_id:
        raise SavedSearchError("only its owner may delete a saved search")
    session.delete(saved)
