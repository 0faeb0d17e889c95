"""In Debian's Chromium through Playwright: sign in, upload, see them ready, search, play, sign out.

Runs against a real `dam serve` (waitress, worker processes, search sync). Screenshots of the
main pages are kept under tests/artifacts/ for CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media import make_photo
from tests.web.live import CHROMIUM, LiveServer, chromium_page, start_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ADMIN_PASSWORD = "clave-de-prueba-2025"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at "
                       "/usr/bin/chromium (.ci/run installs it: apt-get install chromium)"),
]


def _ffmpeg() -> str | None:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None


def make_video(path: Path) -> Path | None:
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        return None
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=duration=2:size=320x240:rate=25", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)], check=True)
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path / "site", workers=2,
                        env={"DAM_ADMIN_PASSWORD": ADMIN_PASSWORD})
    yield live
    live.stop()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    with chromium_page(bypass_csp=True) as opened:  # lets the test evaluate scripts
        yield opened


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _files(folder: Path) -> tuple[list[str], bool]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [str(make_photo(folder / f"mercado_{i}.jpg", (1200, 800), seed=40 + i))
             for i in range(2)]
    video = make_video(folder / "recorrido.mp4")
    if video is None:
        files.append(str(make_photo(folder / "mercado_2.jpg", (1200, 800), seed=42)))
    else:
        files.append(str(video))
    return files, video is not None


def test_sign_in_upload_search_play_sign_out(server: LiveServer, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/")
    assert "/entrar" in page.url
    shot(page, "01-iniciar-sesion")
    page.get_by_label("Usuario").fill("admin")
    page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(server.url + "/")

    page.get_by_role("link", name="Subir", exact=True).click()
    page.get_by_label("Evento").fill("Inauguración del mercado")
    page.get_by_label("Fecha").fill("2025-03-14")
    page.get_by_label("Fotógrafo(a)").fill("Ana Peña")
    page.get_by_label("Pie de foto").fill("Inauguración del mercado de Santa Cruz Meyehualco")
    files, has_video = _files(tmp_path / "tarjeta")
    page.set_input_files("#files", files)
    assert page.locator("#file-list progress").count() == 3
    page.get_by_role("button", name="Subir", exact=True).click()
    page.locator("#batch-link").wait_for()
    assert page.locator("#batch-bar").get_attribute("value") == "100"
    statuses = page.locator("#file-list .status").all_inner_texts()
    assert statuses == ["Nuevo"] * 3, statuses
    shot(page, "02-subir")

    page.locator("#batch-link").click()
    page.wait_for_function("document.querySelectorAll('#batch-files img').length === 3",
                           timeout=90_000)
    shot(page, "03-carga")

    page.get_by_label("Buscar en el acervo").first.fill("inauguracion")
    page.get_by_label("Buscar en el acervo").first.press("Enter")
    page.wait_for_url(re.compile(r".*/buscar\?q=inauguracion"))
    page.wait_for_function("document.querySelectorAll('.hits .cell').length === 3",
                           timeout=30_000)
    shot(page, "04-buscar")

    cells = page.locator(".hits .cell a")
    if has_video:
        cells = cells.filter(has=page.locator(".badge .ico-play"))  # the video's running time
    cells.first.click()
    assert "Inauguración del mercado de Santa Cruz Meyehualco" in page.inner_text(".panel")
    if has_video:
        for _ in range(60):  # the proxy is made by a later, lower-priority job
            if page.locator("video#player").count():
                break
            page.wait_for_timeout(1000)
            page.reload()
        page.locator("video#player").wait_for()
        page.evaluate("document.getElementById('player').muted = true")
        page.evaluate("document.getElementById('player').play()")
        page.wait_for_function("document.getElementById('player').currentTime > 0.3")
        page.evaluate("document.getElementById('player').currentTime = 1.5")  # seek: Range
        page.wait_for_function("document.getElementById('player').currentTime >= 1.5")
    shot(page, "05-material")
    asset_url = page.url

    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url(re.compile(r".*/entrar"))
    response = page.goto(asset_url)
    assert response.status == 404 and "No hay nada aquí" in page.content()
    shot(page, "06-publico")
    assert os.path.exists(ARTIFACTS / "05-material.png")
