"""`dam check`: is this node's configuration fit to join the others? Each finding with its reason.

Checks, in order: the catalog answers, its schema is the one this version needs, the store (and
the replica store, if set) can be written, read back and cleaned, this node holds the same
shared secrets as the catalog recorded, its clock agrees with the catalog server's, and its
search index is there (and how far behind the catalog it is).
"""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dam.changes import pending_after
from dam.config import Settings
from dam.context import open_configured_store, signing_key
from dam.db import Catalog, _display, current_revision, head_revision
from dam.search.engine import SCHEMA_VERSION
from dam.search.store import IndexLocation, read_meta
from dam.shared_keys import local_keys, recorded_fingerprints
from storage import ObjectStore

#: The most the node's clock may differ from the catalog server's (signed links, leases, TTLs).
MAX_CLOCK_SKEW_SECONDS = 2.0
PROBE_PREFIX = "checks/"


@dataclass(frozen=True)
class Finding:
    """One check: what was checked, whether it passed, and what was found (the reason)."""

    name: str
    ok: bool
    detail: str
    note: bool = False  # passed, but worth knowing (an index still to build)


def local_now() -> dt.datetime:
    """This machine's clock (tests move it)."""
    return dt.datetime.now(dt.UTC)


def check_node(settings: Settings) -> list[Finding]:
    """Every check for the node with these settings; the catalog's are skipped if it is away."""
    findings: list[Finding] = []
    catalog = Catalog(settings.catalog_url)
    try:
        reachable = _catalog_reachable(catalog)
        findings.append(reachable)
        schema = _schema(catalog) if reachable.ok else None
        if schema is not None:
            findings.append(schema)
        findings.extend(_stores(settings))
        if schema is not None and schema.ok:
            findings.extend(_shared_keys(settings, catalog))
            findings.append(_clock(catalog))
            findings.append(_search_index(settings, catalog))
    finally:
        catalog.dispose()
    return findings


def _catalog_reachable(catalog: Catalog) -> Finding:
    where = _display(catalog.url)
    try:
        with catalog.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        return Finding("catalog", False, f"cannot reach {where}: {' '.join(str(reason).split())}")
    return Finding("catalog", True, f"{where} answers")


def _schema(catalog: Catalog) -> Finding:
    current, head = current_revision(catalog.engine), head_revision()
    if current is None:
        return Finding("schema", False, "the catalog is not initialised: run `dam init`")
    if current != head:
        return Finding("schema", False, f"the catalog is at schema {current}, this version "
                       f"needs {head}: run `dam init` (once, from one node)")
    return Finding("schema", True, f"at {head} (current)")


def _open(url: str, settings: Settings) -> ObjectStore:
    return open_configured_store(settings, url, signing_key=signing_key(settings))


def _stores(settings: Settings) -> Iterator[Finding]:
    try:
        store = _open(settings.store_url, settings)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        yield Finding("store", False, f"cannot open {settings.store_url}: {exc}")
    else:
        yield _probe_store("store", store)
    if settings.replica_store_url:
        try:
            replica = _open(settings.replica_store_url, settings)
        except Exception as exc:  # noqa: BLE001
            yield Finding("replica store", False,
                          f"cannot open {settings.replica_store_url}: {exc}")
        else:
            yield _reach_store("replica store", replica)


def _probe_store(name: str, store: ObjectStore) -> Finding:
    """Write, read back and delete a small object: the node can use the store."""
    key = f"{PROBE_PREFIX}{socket.gethostname()}-{secrets.token_hex(6)}"
    data = secrets.token_bytes(64)
    try:
        store.put_bytes(key, data)
        try:
            if store.read_bytes(key) != data:
                return Finding(name, False, f"{store.url}: a probe object read back different")
        finally:
            store.delete(key)
    except Exception as exc:  # noqa: BLE001 - StoreError, OSError, a permission: the reason
        return Finding(name, False, f"{store.url}: cannot write, read and delete: {exc}")
    return Finding(name, True, f"{store.url}: written, read back and deleted a probe")


def _reach_store(name: str, store: ObjectStore) -> Finding:
    """The replica is only read (to repair originals): it must answer."""
    try:
        store.exists(f"{PROBE_PREFIX}reachable")
    except Exception as exc:  # noqa: BLE001
        return Finding(name, False, f"{store.url}: cannot reach it: {exc}")
    return Finding(name, True, f"{store.url}: answers")


def _shared_keys(settings: Settings, catalog: Catalog) -> Iterator[Finding]:
    recorded = recorded_fingerprints(catalog)
    for key in local_keys(settings):
        name = f"key {key.name}"
        if key.fingerprint is None:
            yield Finding(name, False, f"missing on this node ({key.source}): copy it from "
                          "another node (`dam init` lists what to share)")
        elif key.name not in recorded:
            yield Finding(name, False, "the catalog has no record of it: run `dam init`")
        elif recorded[key.name] != key.fingerprint:
            yield Finding(name, False, f"{key.source} differs from the copy the other nodes "
                          f"use (fingerprint {key.fingerprint[:12]}, the catalog's "
                          f"{recorded[key.name][:12]}): copy theirs")
        else:
            yield Finding(name, True, f"{key.source}: same as the other nodes' "
                          f"({key.fingerprint[:12]})")


def catalog_clock(catalog: Catalog) -> dt.datetime:
    """The catalog server's clock (for SQLite, this machine's, read through SQLite)."""
    with catalog.engine.connect() as conn:
        if catalog.is_sqlite:
            value = conn.scalar(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
            return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
        value = conn.scalar(text("SELECT clock_timestamp()"))
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _clock(catalog: Catalog, clock: Callable[[], dt.datetime] | None = None) -> Finding:
    now = clock or local_now
    started, before = time.monotonic(), now()
    server = catalog_clock(catalog)
    elapsed = time.monotonic() - started
    skew = (server - (before + dt.timedelta(seconds=elapsed / 2))).total_seconds()
    where = "SQLite (this machine)" if catalog.is_sqlite else "the catalog server"
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS + elapsed / 2:
        side = "ahead of" if skew < 0 else "behind"
        return Finding("clock", False, f"this machine's clock is {abs(skew):.1f} s {side} "
                       f"{where}'s (at most {MAX_CLOCK_SKEW_SECONDS:.0f} s): synchronise it "
                       "(NTP, e.g. systemd-timesyncd or chrony)")
    return Finding("clock", True, f"within {abs(skew):.2f} s of {where}")


def _search_index(settings: Settings, catalog: Catalog) -> Finding:
    location = IndexLocation(Path(settings.index_path))
    generation = location.current()
    meta = read_meta(generation) if generation else None
    # A node's index is its own projection, rebuilt on first use: its absence is no fault (a
    # worker-only node never searches), but a serving node should build it before it serves.
    if meta is None:
        return Finding("search index", True, f"none yet at {settings.index_path}: built on the "
                       "first search; on a serving node run `dam reindex` first", note=True)
    if meta.engine != settings.search_engine or meta.schema_version != SCHEMA_VERSION:
        return Finding("search index", True, f"{generation} is {meta.engine} "
                       f"v{meta.schema_version}, the settings need {settings.search_engine} "
                       f"v{SCHEMA_VERSION}: rebuilt on the first search, or run `dam reindex`",
                       note=True)
    behind = pending_after(catalog, meta.last_seq)
    state = "up to date" if behind == 0 else f"{behind} change(s) behind the catalog"
    return Finding("search index", True, f"{generation}: {state}")
