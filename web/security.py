"""Request hygiene: CSRF tokens, sign-in rate limits, request ids, security headers."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
import uuid
from collections import deque

from flask import Flask, Response, abort, g, request, session

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
    """At most ``limit`` failures per key within ``window`` seconds (kept in this process)."""

    def __init__(self, limit: int, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures.setdefault(key, deque())
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        return stamps

    def retry_after(self, *keys: str) -> int:
        """Seconds until one more try is allowed for every key (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                stamps = self._recent(key, now)
                if len(stamps) >= self.limit:
                    wait = max(wait, self.window - (now - stamps[0]))
        return int(wait) + 1 if wait else 0

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # a flood of made-up names must not grow memory
                self._failures.clear()

    def succeed(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


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
