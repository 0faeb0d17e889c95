"""Share links for journalists: made by editors, opened without an account, audited, revocable.

A link names a selection (asset ids in order) or a collection, an expiry, an optional password
(Argon2, as accounts), the download size (press JPEG or original) and an optional watermark.
Its token (``secrets.token_urlsafe(32)``) is shown once; the catalog keeps its SHA-256 only.
Which of the named assets the recipient sees is decided when the link is opened (publish.shares
applies the export clearance then), so material held back later disappears from the link.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.collection_reads import collection_assets
from dam.curation.rights import as_utc
from dam.enums import Role
from dam.errors import DamError, NotFoundError
from dam.models import Collection, ShareLink

SIZES = ("press", "original")  # press JPEG (caption and credit embedded), or the original file
MAX_DAYS = 90  # a link lives at most this long
MAX_ITEMS = 500
MAX_MEMBERS = 5_000
_hasher = PasswordHasher()


class ShareError(DamError):
    """A share link that cannot be made or changed (the message says why)."""


class ShareState(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class NewShare:
    """What an editor asks for when making a link."""

    title: str
    expires_at: dt.datetime
    asset_ids: Sequence[int] = ()
    collection_id: int | None = None
    password: str = ""
    size: str = "press"
    watermark: str = ""
    message: str = ""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def _checked(session: Session, actor: Actor, new: NewShare, now: dt.datetime) -> None:
    if not actor.at_least(Role.EDITOR):
        raise ShareError("only editors may share material with a link")
    if new.size not in SIZES:
        raise ShareError(f"unknown download size {new.size!r}")
    expires = as_utc(new.expires_at)
    if expires is None or expires <= now or expires > now + dt.timedelta(days=MAX_DAYS + 1):
        raise ShareError(f"the link must end in the future, within {MAX_DAYS} days")
    if new.collection_id is None and not new.asset_ids:
        raise ShareError("nothing to share: choose material or a collection")
    if len(new.asset_ids) > MAX_ITEMS:
        raise ShareError(f"a link shares at most {MAX_ITEMS} items")
    if new.collection_id is not None and session.get(Collection, new.collection_id) is None:
        raise NotFoundError(f"collection {new.collection_id} does not exist")


def create_share(session: Session, actor: Actor, new: NewShare, now: dt.datetime
                 ) -> tuple[ShareLink, str]:
    """Make the link (audited); returns it and its token, which is not kept anywhere."""
    _checked(session, actor, new, now)
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        token_sha256=token_digest(token), title=_clean(new.title, 200) or "Material compartido",
        message=new.message.strip()[:2000] or None, collection_id=new.collection_id,
        asset_ids=list(dict.fromkeys(new.asset_ids)), expires_at=as_utc(new.expires_at),
        password_hash=_hasher.hash(new.password) if new.password else None, size=new.size,
        watermark=_clean(new.watermark, 100), created_by=actor.user_id, created_at=now)
    session.add(link)
    session.flush()
    audit.record(session, actor, "share_create", collection_id=new.collection_id,
                 detail=link.title,
                 new={"share_id": link.id, "asset_ids": link.asset_ids, "size": link.size,
                      "expires_at": link.expires_at, "password": bool(new.password),
                      "watermark": link.watermark})
    return link, token


def find_share(session: Session, token: str) -> ShareLink | None:
    """The link a token opens, whatever its state (None: no such token)."""
    if not token or len(token) > 100:
        return None
    return session.scalars(select(ShareLink).where(
        ShareLink.token_sha256 == token_digest(token))).first()


def share_state(link: ShareLink, now: dt.datetime) -> ShareState:
    if link.revoked_at is not None:
        return ShareState.REVOKED
    if as_utc(link.expires_at) <= now:  # type: ignore[operator]
        return ShareState.EXPIRED
    return ShareState.ACTIVE


def password_matches(link: ShareLink, password: str) -> bool:
    if link.password_hash is None:
        return True
    try:
        return _hasher.verify(link.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def revoke_share(session: Session, actor: Actor, share_id: int, now: dt.datetime) -> ShareLink:
    if not actor.at_least(Role.EDITOR):
        raise ShareError("only editors may revoke share links")
    link = session.get(ShareLink, share_id)
    if link is None:
        raise NotFoundError(f"share link {share_id} does not exist")
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = now, actor.user_id
        audit.record(session, actor, "share_revoke", collection_id=link.collection_id,
                     detail=link.title, new={"share_id": link.id})
    return link


def recipient(link: ShareLink) -> Actor:
    """Who the log names for what a link's recipient does (nobody signed in)."""
    return Actor(user_id=None, username=f"enlace {link.id}", role=Role.VIEWER)


def note_use(session: Session, link: ShareLink, kind: str, now: dt.datetime, *,
             asset_ids: Sequence[int] = (), detail: str | None = None) -> None:
    """Count a view or a download of ``link`` and log it (``kind``: view | download | zip)."""
    if kind == "view":
        link.views += 1
    else:
        link.downloads += 1
    link.last_used_at = now
    audit.record(session, recipient(link), f"share_{kind}",
                 asset_id=asset_ids[0] if len(asset_ids) == 1 else None,
                 collection_id=link.collection_id, detail=detail or link.title,
                 new={"share_id": link.id, "asset_ids": list(asset_ids),
                      "views": link.views, "downloads": link.downloads})


def named_asset_ids(session: Session, link: ShareLink) -> list[int]:
    """The ids the link names, in order (a collection's members as they are now)."""
    if link.collection_id is not None:
        collection = session.get(Collection, link.collection_id)
        if collection is None:
            return []
        return collection_assets(session, collection, limit=MAX_MEMBERS).asset_ids
    return [int(i) for i in link.asset_ids or []]


def list_shares(session: Session, limit: int = 200) -> list[ShareLink]:
    return list(session.scalars(select(ShareLink).order_by(ShareLink.id.desc()).limit(limit)))
