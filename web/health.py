"""/healthz: whether the catalog, the store, the search index, the queue and the disk answer.

Anyone gets the verdict only: ``ok``, ``degraded`` (everything answers, but free disk space is
under ``upload_reserve_bytes``) or ``unavailable`` (503). Counts, sizes, errors and addresses
are for signed-in admins, and for the log.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flask import Blueprint, Response, g, jsonify
from sqlalchemy import text

from dam import queue
from dam.db import check_ready
from dam.fixity_schedule import fixity_status
from storage import StoreUnavailableError
from web.access import Need, allowed
from web.i18n import fmt_bytes
from web.state import get_ctx, get_search
from web.uploads import free_bytes, uploads_dir

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


class Degraded(Exception):
    """The part answers but is close to failing; the message says why."""


def _catalog() -> str:
    ctx = get_ctx()
    with ctx.catalog.read() as session:
        session.execute(text("SELECT 1"))
    check_ready(ctx.catalog)
    return "ok"


#: A store silent for longer is reported unavailable at once (under Caddy's 5 s health timeout),
#: whatever the S3 client's own timeouts and tries (which may add up to minutes).
STORE_PROBE_SECONDS = 4.0
_probe_lock = threading.Lock()
_probe: tuple[int, cf.ThreadPoolExecutor, cf.Future[bool] | None] | None = None


def _store_probe() -> cf.Future[bool]:
    """The probe of the store in flight, or a new one: one at a time per process, so a silent
    store holds one thread, not one per health check."""
    global _probe
    store = get_ctx().store
    with _probe_lock:
        if _probe is None or _probe[0] != os.getpid():  # threads do not survive a fork
            _probe = (os.getpid(), cf.ThreadPoolExecutor(1, "store-probe"), None)
        pid, pool, future = _probe
        if future is None or future.done():
            # reaches the backend; the answer does not matter
            future = pool.submit(store.exists, "healthz/probe")
            _probe = (pid, pool, future)
        return future


def _store() -> str:
    try:
        _store_probe().result(timeout=STORE_PROBE_SECONDS)
    except cf.TimeoutError:
        raise StoreUnavailableError(f"{get_ctx().store.url} is unavailable: no answer in "
                                    f"{STORE_PROBE_SECONDS:g} s") from None
    return "ok"


def _index() -> str:
    return f"ok ({get_search().engine().doc_count()} documents)"


def _queue() -> str:
    counts = queue.counts(get_ctx().catalog)
    return f"ok (queued {counts.get('queued', 0)}, running {counts.get('running', 0)})"


def _disk() -> str:
    """Free space where uploads land and, for a local store, where originals go."""
    ctx = get_ctx()
    folders = {"uploads": uploads_dir(ctx)}
    store = urlparse(ctx.settings.store_url)
    if store.scheme == "file":
        folders["store"] = Path(unquote(store.path))
    reserve = ctx.settings.upload_reserve_bytes
    free = {name: free_bytes(folder) for name, folder in folders.items()}
    detail = ", ".join(f"{name} {fmt_bytes(size)} free" for name, size in free.items())
    low = [name for name, size in free.items() if size < reserve]
    if low:
        raise Degraded(f"under the reserve of {fmt_bytes(reserve)}: {detail}")
    return f"ok ({detail})"


def _fixity() -> str:
    """The rolling fixity check's progress this cycle, and any damaged original."""
    ctx = get_ctx()
    status = fixity_status(ctx.catalog, ctx.settings.fixity_cycle_days)
    if status["damaged"]:
        ids = ", ".join(str(asset_id) for asset_id in status["damaged"])  # type: ignore[attr-defined]
        raise Degraded(f"damaged or missing originals: assets {ids}")
    return (f"ok (checked {status['checked_this_cycle']} of {status['assets']} originals in the "
            f"last {status['cycle_days']} days; {status['never_checked']} never checked)")


CHECKS: dict[str, Callable[[], str]] = {
    "catalog": _catalog, "store": _store, "index": _index, "queue": _queue, "disk": _disk,
}
# Only for admins: it counts the whole catalog, too much for a load balancer's probe.
ADMIN_CHECKS: dict[str, Callable[[], str]] = {"fixity": _fixity}


def _run(name: str, check: Callable[[], str]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result: dict[str, Any] = {"status": check()}
    except Degraded as exc:
        log.warning("health: %s degraded: %s", name, exc)
        result = {"status": "degraded", "error": str(exc)}
    except Exception as exc:  # a health check reports every failure, whatever it is
        log.error("health: %s failed: %s: %s", name, type(exc).__name__, exc)
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@bp.get("/healthz")
def healthz() -> Response:
    admin = allowed(g.get("user"), Need.ADMIN)
    checks = {**CHECKS, **ADMIN_CHECKS} if admin else CHECKS
    results = {name: _run(name, check) for name, check in checks.items()}
    states = {result["status"].split(" ")[0] for result in results.values()}
    verdict = "unavailable" if "error" in states else "degraded" if "degraded" in states else "ok"
    response = jsonify(status=verdict, checks=results) if admin else jsonify(status=verdict)
    response.status_code = 503 if verdict == "unavailable" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
