"""Request hygiene: CSRF tokens, sign-in rate limits, request ids, security headers."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import Flask, Response, abort, current_app, g, request, session
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dam.db import Catalog, serialize_on
from dam.models import SignInFailure

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def csrf_token() -> str:
    """This session's CSRF token (made on first use); forms and the upload script send it."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


#: Plain HTML forms that send a whole file (not the chunked upload): their body may be as
#: large as ``upload_max_bytes``, so the limit is raised before the form is read.
FILE_FORMS = frozenset({"versions.replace"})


def check_csrf() -> None:
    """Refuse a state-changing request whose CSRF token is missing or not this session's."""
    if request.method in SAFE_METHODS:
        return
    if request.endpoint in FILE_FORMS:
        request.max_content_length = current_app.config["DAM_SETTINGS"].upload_max_bytes
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf", "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="csrf")


@dataclass(frozen=True)
class Reservation:
    """One sign-in attempt counted before its password is checked (``retry_after`` 0), or the
    seconds to wait when a limit is reached (nothing is counted then)."""

    ids: tuple[int, ...] = ()
    retry_after: int = 0
    clear: tuple[str, ...] = ()  # the counts a right password starts over


class AttemptLimiter:
    """Sign-in failures per key within ``window`` seconds, counted in the catalog.

    Three keys for each attempt: the account (``login_attempts``), the account at this address
    (the same limit; a success elsewhere does not clear it, so it keeps an attacker's count when
    the owner signs in from the office), and the address (``login_attempts_per_address``, much
    higher: an office behind one public address shares it). An attempt is counted as a failure
    *before* its password is checked, in one serialized transaction, and the row removed when the
    password was right: parallel tries cannot check more passwords than the limit, in any number
    of serving processes and nodes.
    """

    def __init__(self, catalog: Catalog, per_account: int, per_address: int | None = None,
                 window: float = 900.0) -> None:
        self.catalog, self.window = catalog, window
        self.per_account = per_account
        self.per_address = per_address or per_account * 10

    def limits(self, username: str, address: str) -> dict[str, int]:
        """The keys one sign-in attempt is counted against, and the limit of each."""
        address = address[:64]
        return {f"user:{username}"[:200]: self.per_account,
                f"user:{username}@{address}"[:200]: self.per_account,
                f"ip:{address}": self.per_address}

    def attempt(self, username: str, address: str) -> Reservation:
        """Count a sign-in attempt of ``username`` from ``address`` before checking it."""
        limits = self.limits(username, address)
        return self.reserve(limits, clear=tuple(limits)[:2])

    def reserve(self, limits: Mapping[str, int], clear: Sequence[str] = ()) -> Reservation:
        """Count one attempt against every key, unless one of them has reached its limit."""
        now = dt.datetime.now(dt.UTC)
        since = now - dt.timedelta(seconds=self.window)
        with self.catalog.write() as session:
            serialize_on(session, "sign-in attempts")  # SQLite: BEGIN IMMEDIATE does it
            session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= since))
            wait = max(self._wait(session, key, limit, now, since)
                       for key, limit in limits.items())
            if wait > 0:
                return Reservation(retry_after=int(wait) + 1)
            rows = [SignInFailure(key=key, failed_at=now) for key in limits]
            session.add_all(rows)
            session.flush()
            return Reservation(ids=tuple(row.id for row in rows), clear=tuple(clear))

    def _wait(self, session: Session, key: str, limit: int, now: dt.datetime,
              since: dt.datetime) -> float:
        stamps = session.scalars(
            select(SignInFailure.failed_at)
            .where(SignInFailure.key == key, SignInFailure.failed_at > since)
            .order_by(SignInFailure.failed_at.desc()).limit(limit)
        ).all()
        if len(stamps) < limit:
            return 0.0
        return self.window - (now - _aware(stamps[-1])).total_seconds()

    def succeed(self, reservation: Reservation) -> None:
        """The password was right: the attempt is no failure, and the account's counts (here
        and in all) start over; the address's stays."""
        with self.catalog.write() as session:
            session.execute(delete(SignInFailure).where(
                SignInFailure.id.in_(reservation.ids)
                | SignInFailure.key.in_(reservation.clear)))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def client_address() -> str:
    """The client's address: the connection's, or what the trusted proxies said (ProxyFix)."""
    return (request.remote_addr or "-")[:64]


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record (``-`` outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id", "-")
        except RuntimeError:
            record.request_id = "-"
        return True


def _content_security_policy(extra_sources: str) -> str:
    media = f"'self' data: blob: {extra_sources}".strip()
    return (
        f"default-src 'self'; img-src {media}; media-src {media}; script-src 'self'; "
        "style-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
        "form-action 'self'"
    )


def init_security(app: Flask, *, extra_media_sources: str = "") -> None:
    csp = _content_security_policy(extra_media_sources)

    @app.before_request
    def _request_id() -> None:
        sent = request.headers.get("X-Request-Id", "")
        g.request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", csp)
            response.headers.setdefault("Cache-Control", "no-store")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"  # read by bench/web.py
        log.info(
            "%s %s %s %.1f ms", request.method, request.path, response.status_code, elapsed
        )
        return response
