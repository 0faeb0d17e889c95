"""Proxies play in a real browser: Debian's Chromium, driven by Playwright, plays them to the end.

HEVC from an iPhone does not play in Chromium on Linux; its H.264/AAC proxy must. Skipped when
Chromium or Playwright is missing (``.ci/run`` installs Debian's chromium).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dam.context import Context
from dam.enums import MediaType
from ingest.proxy import transcode
from tests.conftest import FIXTURES

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
PLAY = """async () => {
  const video = document.querySelector('video');
  await new Promise((done, fail) => {
    video.onended = done;
    video.onerror = () => fail(new Error('media error ' + (video.error && video.error.code)));
    video.muted = true;
    video.play().catch(fail);
  });
  return {width: video.videoWidth, height: video.videoHeight, time: video.currentTime,
          decoded: video.getVideoPlaybackQuality().totalVideoFrames};
}"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def test_proxies_play_to_the_end_in_chromium(ctx: Context, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    proxies = {}
    for clip in ("fade_rotated.mp4", "hlg_iphone.mov"):
        folder = tmp_path / clip.replace(".", "_")
        folder.mkdir()
        proxy = transcode(ctx, FIXTURES / "video" / clip, folder, MediaType.VIDEO)
        page_file = folder / "player.html"
        page_file.write_text(f'<!doctype html><video src="{proxy.path.name}"></video>')
        proxies[clip] = (proxy, page_file)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_page()
            for clip, (proxy, page_file) in proxies.items():
                page.goto(page_file.as_uri())
                played = page.evaluate(PLAY)
                assert (played["width"], played["height"]) == (proxy.width, proxy.height), clip
                assert played["time"] > 0.8 and played["decoded"] >= 20, (clip, played)
        finally:
            browser.close()
