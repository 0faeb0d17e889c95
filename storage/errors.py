"""Exceptions raised by object stores."""

from __future__ import annotations


class StoreError(Exception):
    """A store operation failed for a reason other than a missing object."""


class StoreUnavailableError(StoreError, OSError):
    """The backend could not be reached or failed; the message names the endpoint and the cause."""
