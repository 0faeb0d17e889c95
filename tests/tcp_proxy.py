"""A TCP proxy for tests that cut a node off from a server (the object store) and reconnect it.

``stop()`` closes the listening socket and every live connection (both ends), so clients get
"connection refused" or a reset, as when the network path goes away; ``start()`` listens again
on the same port. ``hang()`` keeps accepting connections but forwards nothing (a path that drops
packets), so clients wait for their own timeouts; ``start()`` ends that too. Threads, one pair
per connection; everything is on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

BUFFER = 65536


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``target`` (host, port) until stopped."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        self.connections = 0  # accepted since the proxy was made
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._hanging = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> TcpProxy:
        """Listen (again, on the same port once one was chosen) and forward."""
        self.stop()
        self._hanging = False
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,),
                                        name=f"tcp-proxy-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every live connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._close_live()

    def hang(self) -> None:
        """Keep accepting, forward nothing: live and new connections stall (no answer)."""
        self._hanging = True
        self._close_live()

    def _close_live(self) -> None:
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            self.connections += 1
            if self._hanging:
                self._track(client)  # held open, never answered, closed by start() or stop()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._track(client, upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._live.update(sockets)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(BUFFER):
                if self._hanging:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._live.discard(source)
                self._live.discard(sink)
            source.close()


@contextlib.contextmanager
def tcp_proxy(target: tuple[str, int]) -> Iterator[TcpProxy]:
    """A running proxy to ``target``, stopped at the end."""
    proxy = TcpProxy(target).start()
    try:
        yield proxy
    finally:
        proxy.stop()
