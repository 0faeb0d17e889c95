"""Request hygiene: CSRF tokens, sign-in rate limits, request ids, security headers."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
import time
import uuid

from flask import Flask, Response, abort, g, request, session
from sqlalchemy import delete, select

from dam.db import Catalog
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


def check_csrf() -> None:
    """Refuse a state-changing request whose CSRF token is missing or not this session's."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf", "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="csrf")


class AttemptLimiter:
    """At most ``limit`` failures per key within ``window`` seconds, counted in the catalog.

    Every serving process and node reads and writes the same rows, so running several
    processes does not multiply the attempts an attacker gets.
    """

    def __init__(self, catalog: Catalog, limit: int, window: float = 900.0) -> None:
        self.catalog, self.limit, self.window = catalog, limit, window

    def retry_after(self, *keys: str) -> int:
        """Seconds until one more try is allowed for every key (0: allowed now)."""
        now = dt.datetime.now(dt.UTC)
        since = now - dt.timedelta(seconds=self.window)
        wait = 0.0
        with self.catalog.read() as session:
            for key in keys:
                stamps = session.scalars(
                    select(SignInFailure.failed_at)
                    .where(SignInFailure.key == key, SignInFailure.failed_at > since)
                    .order_by(SignInFailure.failed_at.desc()).limit(self.limit)
                ).all()
                if len(stamps) >= self.limit:
                    oldest = _aware(stamps[-1])
                    wait = max(wait, self.window - (now - oldest).total_seconds())
        return int(wait) + 1 if wait > 0 else 0

    def fail(self, *keys: str) -> None:
        now = dt.datetime.now(dt.UTC)
        with self.catalog.write() as session:
            session.execute(delete(SignInFailure).where(
                SignInFailure.failed_at < now - dt.timedelta(seconds=self.window)))
            session.add_all(SignInFailure(key=key[:200], failed_at=now) for key in keys)

    def succeed(self, key: str) -> None:
        with self.catalog.write() as session:
            session.execute(delete(SignInFailure).where(SignInFailure.key == key[:200]))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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
