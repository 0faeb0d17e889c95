"""The one runner for declared stage lists: each stage is a small function of a state object."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)


class StageState(Protocol):
    @property
    def done(self) -> bool: ...


S = TypeVar("S", bound=StageState)


def run_stages(stages: Sequence[Callable[[S], None]], state: S) -> S:
    """Run stages in order until one marks the state done; errors propagate to the caller."""
    for stage in stages:
        started = time.perf_counter()
        stage(state)
        log.debug("%s took %.1f ms", stage.__name__, (time.perf_counter() - started) * 1000)
        if state.done:
            break
    return state
