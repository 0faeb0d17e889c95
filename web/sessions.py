"""Web sessions kept in the catalog: made at sign-in, checked per request, deleted on sign-out.

The cookie (signed by Flask) carries a random id; the catalog keeps only its SHA-256, so a copy
of the catalog opens no session. Any serving process or node sees a deleted row at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from dam.db import Catalog
from dam.models import WebSession, utcnow

# How often a session's last_seen_at moves forward: one write every few minutes, not per request.
TOUCH_EVERY = dt.timedelta(minutes=5)


def session_key(token: str) -> str:
    """The catalog's key of a session: the SHA-256 of the cookie's id."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(catalog: Catalog, user_id: int, *, max_age: dt.timedelta,
                  user_agent: str = "", address: str = "") -> str:
    """A new session of ``user_id``; returns the id for the cookie. Expired rows go meanwhile."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with catalog.write() as db:
        db.execute(delete(WebSession).where(WebSession.last_seen_at < now - max_age))
        db.add(WebSession(id=session_key(token), user_id=user_id, created_at=now,
                          last_seen_at=now, user_agent=user_agent[:200], address=address[:64]))
    return token


def end_session(catalog: Catalog, token: str) -> None:
    with catalog.write() as db:
        db.execute(delete(WebSession).where(WebSession.id == session_key(token)))


def end_sessions(db: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of ``user_id`` (but the one whose cookie id is ``keep``), in ``db``'s
    transaction."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep:
        query = query.where(WebSession.id != session_key(keep))
    db.execute(query)


def touch_session(catalog: Catalog, key: str, now: dt.datetime) -> None:
    with catalog.write() as db:
        db.execute(update(WebSession).where(WebSession.id == key).values(last_seen_at=now))
