"""A TCP proxy for tests that cut a node off from a server (the object store) and reconnect it.

``stop()`` closes the listening socket and every live connection (both ends), so clients get
"connection refused" or a reset, as when the network path goes away; ``start()`` listens again
on the same port. ``pause()`` keeps connections open and accepts new ones but forwards nothing
(a path that stalls), so clients wait, up to their own timeouts; ``resume()`` lets what was held
through. Threads, one per connection and direction; everything is on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

BUFFER = 65536
POLL = 0.05


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
        self._flowing = threading.Event()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> TcpProxy:
        """Listen (again, on the same port once one was chosen) and forward."""
        self.stop()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._flowing.set()
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
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            _close(sock)

    def pause(self) -> None:
        """Forward nothing (connections stay open and new ones are accepted) until resumed."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            self.connections += 1
            self._track(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _wait_flowing(self, sock: socket.socket) -> bool:
        """Wait while paused; False once ``sock`` was closed by stop()."""
        while not self._flowing.wait(POLL):
            if sock.fileno() == -1:
                return False
        return sock.fileno() != -1

    def _connect(self, client: socket.socket) -> None:
        if not self._wait_flowing(client):
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._untrack(client)
            _close(client)
            return
        upstream.settimeout(None)
        self._track(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._live.add(sock)

    def _untrack(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._live.difference_update(sockets)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(BUFFER):
                if not self._wait_flowing(sink):
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._untrack(source, sink)
            source.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextlib.contextmanager
def tcp_proxy(target: tuple[str, int]) -> Iterator[TcpProxy]:
    """A running proxy to ``target``, stopped at the end."""
    proxy = TcpProxy(target).start()
    try:
        yield proxy
    finally:
        proxy.stop()
