"""A tiny round-robin HTTP proxy for the several-node test: each request to the next node.

As deploy/Caddyfile does: every request to the next node, uploads' chunks too (they are kept
in the object store, so any node takes the next one). Requests and answers pass
through unchanged (cookies, redirects, bodies), with X-Forwarded-For and X-Forwarded-Proto
added; it counts what each node answered.
"""

from __future__ import annotations

import http.client
import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade"}


class RoundRobinProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstreams: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstreams = upstreams
        self._next = itertools.cycle(range(len(upstreams)))
        self._lock = threading.Lock()
        self.answered: Counter[str] = Counter()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_upstream(self) -> str:
        with self._lock:
            upstream = self.upstreams[next(self._next)]
            self.answered[upstream] += 1
            return upstream


class _Handler(BaseHTTPRequestHandler):
    server: RoundRobinProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass

    def _forward(self) -> None:
        target = urlsplit(self.server.next_upstream())
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = self.client_address[0]
        headers["X-Forwarded-Proto"] = "http"
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _forward


@contextmanager
def round_robin(upstreams: list[str]) -> Iterator[RoundRobinProxy]:
    proxy = RoundRobinProxy(upstreams)
    thread = threading.Thread(target=proxy.serve_forever, name="round-robin", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(5)
