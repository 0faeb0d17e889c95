"""The test TCP proxy: forwards, refuses when stopped (closing live connections), comes back on
the same port, holds everything while paused."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.tcp_proxy import tcp_proxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address  # type: ignore[misc]
    server.shutdown()
    server.server_close()


def _round_trip(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(1024)


def test_stop_refuses_and_cuts_live_connections_start_comes_back_on_the_same_port(
    echo: tuple[str, int],
) -> None:
    with tcp_proxy(echo) as proxy:
        port = proxy.port
        live = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert _round_trip(live, b"hola") == b"hola"
        proxy.stop()
        assert live.recv(1024) == b""  # closed by the proxy
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        proxy.start()
        assert proxy.port == port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as again:
            assert _round_trip(again, b"de nuevo") == b"de nuevo"
        live.close()


def test_pause_holds_everything_and_resume_lets_it_through(echo: tuple[str, int]) -> None:
    with tcp_proxy(echo) as proxy:
        live = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        assert _round_trip(live, b"hola") == b"hola"
        proxy.pause()
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as new:
            for sock, data in ((live, b"sigue"), (new, b"nueva")):
                sock.settimeout(0.3)
                sock.sendall(data)
                with pytest.raises(TimeoutError):
                    sock.recv(1024)
            proxy.resume()
            for sock, data in ((live, b"sigue"), (new, b"nueva")):
                sock.settimeout(5)
                assert sock.recv(1024) == data
        live.close()
