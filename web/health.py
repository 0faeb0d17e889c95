"""/healthz: whether the catalog, the store, the search index and the queue answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from dam import queue
from dam.db import check_ready
from web.state import get_ctx, get_search

bp = Blueprint("health", __name__)


def _catalog() -> str:
    ctx = get_ctx()
    with ctx.catalog.read() as session:
        session.execute(text("SELECT 1"))
    check_ready(ctx.catalog)
    return "ok"


def _store() -> str:
    get_ctx().store.exists("healthz/probe")  # reaches the backend; the answer does not matter
    return "ok"


def _index() -> str:
    return f"ok ({get_search().engine().doc_count()} documents)"


def _queue() -> str:
    counts = queue.counts(get_ctx().catalog)
    return f"ok (queued {counts.get('queued', 0)}, running {counts.get('running', 0)})"


CHECKS: dict[str, Callable[[], str]] = {
    "catalog": _catalog, "store": _store, "index": _index, "queue": _queue,
}


@bp.get("/healthz")
def healthz() -> Response:
    results: dict[str, Any] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            results[name] = {"status": check()}
        except Exception as exc:  # a health check reports every failure, whatever it is
            healthy = False
            results[name] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    response = jsonify(status="ok" if healthy else "error", checks=results)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
