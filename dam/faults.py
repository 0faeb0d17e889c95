"""One place that tells trouble worth waiting out (store, catalog or disk away) from a bad job.

A transient failure says nothing about the job: the object store or the catalog did not answer,
the disk is full, a connection dropped. The queue retries such a job with a capped backoff for
as long as it takes, without using up its tries. Everything else is permanent: the file is bad,
a decoder failed, the job hit a bug; trying again will not help.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

from dam.errors import IngestError
from storage import LocalStore, ObjectStore, StoreUnavailableError

#: OS errors about the machine or the network, not about the file being processed.
TRANSIENT_ERRNOS = frozenset(
    {
        errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.ENOMEM, errno.EAGAIN,
        errno.EBUSY, errno.EMFILE, errno.ENFILE, errno.ESTALE, errno.ETIMEDOUT,
        errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE,
        errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETUNREACH, errno.ENETDOWN,
        errno.ENOTCONN, errno.EACCES, errno.EPERM,
    }
)
#: The catalog did not answer (down, busy, locked, connection dropped or pool exhausted).
CATALOG_ERRORS = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


@dataclass(frozen=True)
class Fault:
    """What went wrong, for people, and whether waiting may fix it."""

    reason: str
    transient: bool


def classify(exc: BaseException, store: ObjectStore | None = None) -> Fault:
    """Classify a job's failure; ``store`` tells a missing original from a missing store."""
    if isinstance(exc, IngestError):
        return Fault(str(exc), exc.transient)
    if isinstance(exc, StoreUnavailableError):
        return Fault(f"the object store is unavailable: {exc}", True)
    if is_catalog_error(exc):
        return Fault(f"catalog database unavailable: {getattr(exc, 'orig', None) or exc}", True)
    if isinstance(exc, OSError) and _store_folder_missing(store):
        return Fault(f"the store folder is missing (not mounted?): {exc}", True)
    if isinstance(exc, FileNotFoundError):
        return Fault(f"the original is missing from the store: {exc}", False)
    if isinstance(exc, ConnectionError | TimeoutError) or (
        isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS
    ):
        return Fault(f"{type(exc).__name__}: {exc}", True)
    if isinstance(exc, OSError):
        return Fault(f"{type(exc).__name__}: {exc}", False)
    return Fault(f"internal error ({type(exc).__name__}): {exc}", False)


def is_catalog_error(exc: BaseException) -> bool:
    """True when ``exc`` means the catalog did not answer (worth waiting for)."""
    return isinstance(exc, CATALOG_ERRORS) or (
        isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)
    )


def _store_folder_missing(store: ObjectStore | None) -> bool:
    """A local store whose folder is gone (an unmounted disk): no original can be found."""
    return isinstance(store, LocalStore) and not store.root.is_dir()
