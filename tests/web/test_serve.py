"""`dam serve`: the production server answers, the first admin is made once, SIGTERM stops all."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from tests.web.live import start_server


def test_serve_creates_the_first_admin_once_and_stops_cleanly(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=1)
    try:
        with urllib.request.urlopen(f"{server.url}/entrar") as response:
            page = response.read().decode()
            assert "Iniciar sesión" in page and response.headers["Server"] == "Acervo"
        with urllib.request.urlopen(f"{server.url}/healthz") as response:
            assert json.load(response)["checks"]["catalog"]["status"] == "ok"
    finally:
        assert server.stop() == 0
    first = server.output()
    assert re.search(r"account 'admin' created with password \S{12,}", first)
    again = start_server(tmp_path, workers=0)
    assert again.stop() == 0
    assert "created with password" not in again.output()  # only on the first start
