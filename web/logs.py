"""Log lines of the web server: time, level, request id, logger, message."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def configure_logging() -> None:
    """Every record names the request it belongs to (``-`` outside requests)."""
    from web.security import RequestIdFilter

    root = logging.getLogger()
    if not root.handlers:  # a serving child process starts with none
        logging.basicConfig(level=logging.WARNING)
    for handler in root.handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RequestIdFilter())
    for name in ("web", "waitress", "dam", "ingest"):
        logging.getLogger(name).setLevel(logging.INFO)
