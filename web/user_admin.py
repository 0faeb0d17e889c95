"""Account changes from the shell and by mail: reset a password, change a role, disable, list.

Every change is one transaction with its bitácora entry. A password reset and a disabling end
every web session of the account and revoke its API tokens (older invitation and reset links
end too: the account's session epoch moves on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.db import Catalog
from dam.enums import Role
from dam.errors import NotFoundError
from dam.models import ApiToken, User, utcnow
from web.accounts import AccountError, check_password, check_username
from web.queries import reading
from web.sessions import end_sessions

_hasher = PasswordHasher()


@dataclass(frozen=True)
class AccountChange:
    """What to change of an account; None leaves a part as it is."""

    password: str | None = None
    role: Role | None = None
    active: bool | None = None
    display_name: str | None = None


def end_access(session: Session, user: User) -> None:
    """End every session and API token of ``user`` and the links made for it, in ``session``."""
    user.session_epoch += 1
    end_sessions(session, user.id)
    session.execute(update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
    ).values(revoked_at=utcnow()))


def _check_last_admin(session: Session, user: User, change: AccountChange) -> None:
    demoted = change.role is not None and change.role != Role.ADMIN
    if user.role != Role.ADMIN or not (demoted or change.active is False) or not user.active:
        return
    admins = session.scalar(
        select(func.count()).where(User.role == Role.ADMIN, User.active.is_(True)))
    if (admins or 0) <= 1:
        raise AccountError("last_admin", "the last active admin cannot be demoted or disabled")


def change_account(catalog: Catalog, username: str, change: AccountChange,
                   actor: Actor) -> list[str]:
    """Apply ``change`` to the account ``username``; returns what changed, in words."""
    name = check_username(username)
    done: list[str] = []
    with catalog.write() as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        if user is None:
            raise NotFoundError(f"no account named {name!r}")
        _check_last_admin(session, user, change)
        if change.password is not None:
            check_password(change.password, user.username)
            user.password_hash = _hasher.hash(change.password)
            end_access(session, user)
            audit.record(session, actor, "account_password_reset", detail=user.username)
            done.append("password reset; sessions and API tokens ended")
        if change.role is not None and change.role != user.role:
            audit.record(session, actor, "account_role", detail=user.username, old=user.role,
                         new=change.role)
            done.append(f"role {user.role.value} -> {change.role.value}")
            user.role = change.role
        if change.active is not None and change.active != user.active:
            if not change.active:
                end_access(session, user)
            user.active = change.active
            audit.record(session, actor,
                         "account_enabled" if change.active else "account_disabled",
                         detail=user.username)
            done.append("enabled" if change.active else "disabled; sessions and tokens ended")
        if change.display_name is not None and change.display_name.strip() != user.display_name:
            user.display_name = change.display_name.strip()[:200]
            done.append("name changed")
    return done


def reset_password_by_id(catalog: Catalog, user_id: int, epoch: int, password: str) -> User:
    """Set the password of the account a reset link was made for, if the link is still current
    (the epoch moves on with this change, so the link works once); AccountError otherwise."""
    with catalog.write() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_epoch != epoch:
            raise AccountError("link", "the link is not valid or was already used")
        check_password(password, user.username)
        user.password_hash = _hasher.hash(password)
        end_access(session, user)
        audit.record(session, Actor(user.id, user.username, user.role),
                     "account_password_reset", detail=f"{user.username} (by mail)")
        session.flush()
        session.expunge(user)
        return user


def account_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """Every account, for ``dam users``."""
    with reading(catalog) as session:
        users = session.scalars(select(User).order_by(User.username))
        return [{
            "username": u.username, "name": u.display_name, "email": u.email,
            "role": u.role.value, "active": u.active, "password_set": u.password_hash is not None,
            "created_at": u.created_at.isoformat() if u.created_at else None,
            "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
        } for u in users]
