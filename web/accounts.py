"""Local accounts: Argon2 password hashes, roles, invitations, API tokens for scripts."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from dam.db import Catalog
from dam.enums import Role
from dam.errors import DamError, NotFoundError
from dam.models import ApiToken, User, WebSession, utcnow
from web.queries import reading
from web.sessions import TOUCH_EVERY, end_sessions, session_key, touch_session

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "acv_"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_hasher = PasswordHasher()
# Verified when the account does not exist, so a missing name costs the same time as a bad one.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(DamError):
    """An account change that cannot be made; ``code`` names the reason for the UI."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CurrentUser:
    """Who is making a request, detached from any session."""

    id: int
    username: str
    display_name: str
    role: Role
    epoch: int
    locale: str | None = None

    @property
    def name(self) -> str:
        return self.display_name or self.username


def _current(user: User) -> CurrentUser:
    return CurrentUser(
        user.id, user.username, user.display_name, user.role, user.session_epoch, user.locale
    )


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise AccountError(
            "username", "username: 2-64 characters, lowercase letters, digits, '.', '_' or '-'"
        )
    return name


def check_password(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_short", f"password shorter than {MIN_PASSWORD_LENGTH}")
    if username and password.lower() == username.lower():
        raise AccountError("password_username", "password equal to the username")


def create_user(
    catalog: Catalog,
    username: str,
    role: Role,
    *,
    password: str | None = None,
    display_name: str = "",
    email: str | None = None,
) -> CurrentUser:
    """A new account; without a password it waits for its invitation to be accepted."""
    name = check_username(username)
    if password is not None:
        check_password(password, name)
    with catalog.write() as session:
        if session.scalar(select(User.id).where(User.username == name)) is not None:
            raise AccountError("username_taken", f"username {name!r} is taken")
        user = User(
            username=name,
            role=role,
            display_name=display_name.strip()[:200],
            email=(email or "").strip()[:320] or None,
            password_hash=_hasher.hash(password) if password else None,
        )
        session.add(user)
        session.flush()
        return _current(user)


def authenticate(catalog: Catalog, username: str, password: str) -> CurrentUser | None:
    """The active account whose password this is, or None (in about the same time either way)."""
    with catalog.write() as session:
        user = session.scalars(
            select(User).where(User.username == username.strip().lower())
        ).first()
        stored = user.password_hash if user is not None and user.active else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None or user is None:
            return None
        if _hasher.check_needs_rehash(stored):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = utcnow()
        return _current(user)


# What a request needs of its account, read with its session in one query (built once: making
# the statement cost more CPU than running it).
_SESSION_USER = (
    select(User.id, User.username, User.display_name, User.role, User.session_epoch,
           User.locale, WebSession.last_seen_at)
    .join(WebSession, WebSession.user_id == User.id)
    .where(WebSession.id == bindparam("key"), User.active.is_(True),
           WebSession.last_seen_at > bindparam("since"))
)


def user_for_session(catalog: Catalog, token: str, max_age: dt.timedelta,
                     on_touch: Callable[[], None] | None = None) -> CurrentUser | None:
    """The active account of a web session that was not ended nor left unused for ``max_age``.

    One indexed lookup per request (the session by its key, joined to its account), on a bare
    connection: no ORM session or objects, so it costs what the old signed-cookie check did. The
    session's last use is written at most every few minutes (then ``on_touch`` is called).
    """
    now = utcnow()
    key = session_key(token)
    with catalog.glance_engine.connect() as conn:
        row = conn.execute(_SESSION_USER, {"key": key, "since": now - max_age}).first()
    if row is None:
        return None
    if now - _aware(row.last_seen_at) > TOUCH_EVERY:
        touch_session(catalog, key, now)
        if on_touch is not None:
            on_touch()
    return CurrentUser(row.id, row.username, row.display_name, row.role, row.session_epoch,
                       row.locale)


def load_user(catalog: Catalog, user_id: int, epoch: int) -> CurrentUser | None:
    """An invitation's account, if it is still active and its password was not set since."""
    with reading(catalog) as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_epoch != epoch:
            return None
        return _current(user)


def change_password(catalog: Catalog, user_id: int, current: str | None, new: str, *,
                    keep_session: str | None = None) -> CurrentUser:
    """Set a new password (checking the current one unless None); every session of the account
    ends but ``keep_session`` (the cookie id of the one that changed it), and so do invitation
    links."""
    with catalog.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        check_password(new, user.username)
        if current is not None:
            try:
                _hasher.verify(user.password_hash or _DUMMY_HASH, current)
            except (VerificationError, InvalidHashError):
                raise AccountError("password_wrong", "the current password is wrong") from None
        user.password_hash = _hasher.hash(new)
        user.session_epoch += 1
        end_sessions(session, user.id, keep=keep_session)
        return _current(user)


def update_user(
    catalog: Catalog, user_id: int, *, role: Role, active: bool, display_name: str, email: str
) -> None:
    with catalog.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        if user.role == Role.ADMIN and (role != Role.ADMIN or not active):
            admins = session.scalar(
                select(func.count()).where(User.role == Role.ADMIN, User.active.is_(True))
            )
            if admins <= 1:
                raise AccountError("last_admin", "the last active admin cannot be demoted")
        if user.active and not active:  # it ends everything: re-enabling brings none back
            user.session_epoch += 1
            end_sessions(session, user.id)
            session.execute(update(ApiToken).where(
                ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
            ).values(revoked_at=utcnow()))
        user.role, user.active = role, active
        user.display_name = display_name.strip()[:200]
        user.email = email.strip()[:320] or None


def set_locale(catalog: Catalog, user_id: int, locale: str) -> None:
    with catalog.write() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.locale = locale


def list_users(catalog: Catalog) -> list[User]:
    with reading(catalog) as session:
        return list(session.scalars(select(User).order_by(User.username)))


def get_user(catalog: Catalog, user_id: int) -> User:
    with reading(catalog) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        return user


def has_users(catalog: Catalog) -> bool:
    with reading(catalog) as session:
        return session.scalar(select(User.id).limit(1)) is not None


def ensure_first_admin(catalog: Catalog, password: str | None) -> str | None:
    """Create the ``admin`` account when there is none; returns a generated password, once."""
    if has_users(catalog):
        return None
    generated = None if password else secrets.token_urlsafe(12)
    try:
        create_user(catalog, "admin", Role.ADMIN, password=password or generated,
                    display_name="Administrador")
    except (AccountError, IntegrityError):
        # Another node starting at the same moment made it first: theirs is the account.
        with reading(catalog) as session:
            if session.scalar(select(User.id).where(User.username == "admin")) is None:
                raise
        return None
    return generated


# -- API tokens ----------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(catalog: Catalog, user_id: int, name: str) -> str:
    """A new token for scripts; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with catalog.write() as session:
        session.add(ApiToken(user_id=user_id, name=name.strip()[:200] or "token",
                             token_sha256=_digest(token)))
    return token


def list_tokens(catalog: Catalog, user_id: int) -> list[ApiToken]:
    with reading(catalog) as session:
        query = select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        return list(session.scalars(query.order_by(ApiToken.id)))


def revoke_token(catalog: Catalog, user_id: int, token_id: int) -> bool:
    with catalog.write() as session:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user_id or token.revoked_at is not None:
            return False
        token.revoked_at = utcnow()
        return True


def user_for_token(catalog: Catalog, token: str) -> CurrentUser | None:
    """The active account a token belongs to; notes when it was last used (once a minute)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with catalog.glance() as session:  # one plain read: every API request comes here
        row = session.execute(
            select(ApiToken.id.label("token_id"), ApiToken.last_used_at, User.active, User.id,
                   User.username, User.display_name, User.role, User.session_epoch,
                   User.locale)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked_at.is_(None))
        ).first()
    if row is None or not row.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - _aware(row.last_used_at) > dt.timedelta(minutes=1):
        with catalog.write() as session:
            session.execute(update(ApiToken).where(ApiToken.id == row.token_id)
                            .values(last_used_at=now))
    return CurrentUser(row.id, row.username, row.display_name, row.role, row.session_epoch,
                       row.locale)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
