"""Benchmark: video probe, poster, proxy transcode speed and peak memory.

Generates (once, cached in --workdir) the clips the issue asks for, from FFmpeg's ``testsrc2``
with temporal noise so the encoders have real work:

* ``h264_1080p_60s.mp4``: 60 s, 1920x1080, 30 fps, H.264 + AAC, a keyframe every second
  (as phones and cameras write them);
* ``hevc_2160p_10s.mp4``: 10 s, 3840x2160, 30 fps, HEVC, a keyframe every second;
* ``h264_1080p_2gb.mp4`` (``--big``): the first clip re-encoded at a high bit rate and
  repeated (stream copy) past 2 GB, to show that memory does not grow with the file.

For each clip, in a fresh process each time so peak memory is its own:

* ``probe_ms``: ``probe_media`` (PyAV in-process), median of 20; ``ffprobe_ms``: an ffprobe
  subprocess (``-show_format -show_streams`` as JSON) for comparison, when ffprobe exists.
* ``poster_ms``: open, find the poster, make poster + preview + thumbnail JPEGs, median of 5;
  ``analysis_ms``: the whole analysis step as the worker runs it (forked child, storyboard too).
* ``proxy_x_realtime``: the proxy transcode (ffmpeg, H.264/AAC 720p) as a multiple of real
  time, with each available ffmpeg (system, imageio-ffmpeg).
* ``*_peak_mb``: the largest resident memory of the worker process itself, of its analysis
  child (which counts the pages it shares with the worker it was forked from), and of ffmpeg.

Prints a table, then one JSON object on the last line.
Usage: python bench/video.py [--workdir /tmp/acervo-bench-video] [--big] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Camera-like bit rates (the noise would otherwise make the encoder keep ~50 Mb/s of grain).
CLIPS = {
    "h264_1080p_60s.mp4": (
        "testsrc2=size=1920x1080:rate=30:duration=60,noise=alls=6:allf=t",
        ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "16M", "-maxrate", "20M",
         "-bufsize", "32M", "-g", "30"],
    ),
    "hevc_2160p_10s.mp4": (
        "testsrc2=size=3840x2160:rate=30:duration=10,noise=alls=6:allf=t",
        ["-c:v", "libx265", "-preset", "ultrafast", "-b:v", "40M", "-x265-params",
         "keyint=30:log-level=error"],
    ),
}  # fmt: skip
BIG = "h264_1080p_2gb.mp4"
BIG_BYTES = 2 * 1024**3


def ffmpeg_exe() -> str:
    from ingest.media.ffmpeg import pip_ffmpeg_path

    return shutil.which("ffmpeg") or pip_ffmpeg_path() or "ffmpeg"


def make_clip(folder: Path, name: str) -> Path:
    path = folder / name
    if path.exists():
        return path
    source, codec = CLIPS[name]
    duration = source.split("duration=")[1].split(",")[0]
    args = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", source, "-f", "lavfi"]
    args += ["-i", f"sine=frequency=440:duration={duration}", *codec, "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart", str(path)]
    subprocess.run(args, check=True)
    return path


def make_big(folder: Path) -> Path:
    """A 1080p clip of ~100 Mb/s, repeated by stream copy until the file passes 2 GB."""
    path = folder / BIG
    if path.exists():
        return path
    chunk = folder / "h264_1080p_10s_100mbps.mp4"
    source = "testsrc2=size=1920x1080:rate=30:duration=10,noise=alls=30:allf=t"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", source, "-f", "lavfi", "-i",
         "sine=duration=10", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "100M", "-g", "30",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(chunk)],
        check=True,
    )  # fmt: skip
    loops = BIG_BYTES // chunk.stat().st_size + 1
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(chunk),
         "-c", "copy", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _peak_children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _peak_self_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_probe(path: str, runs: int) -> dict[str, float]:
    from ingest.media.probe import probe_media

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        probe_media(Path(path))
        times.append((time.perf_counter() - started) * 1000)
    result = {"probe_ms": statistics.median(times)}
    ffprobe = shutil.which("ffprobe")
    if ffprobe:
        times = []
        for _ in range(min(runs, 10)):
            started = time.perf_counter()
            subprocess.run(
                [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                 path], check=True, capture_output=True,
            )  # fmt: skip
            times.append((time.perf_counter() - started) * 1000)
        result["ffprobe_ms"] = statistics.median(times)
    return result


def measure_poster(path: str, runs: int) -> dict[str, float]:
    from ingest.media.frames import find_poster, open_video, to_picture
    from ingest.media.probe import probe_media
    from ingest.stills import sized_renditions

    info = probe_media(Path(path))
    assert info.video is not None
    sizes = {"preview": 1440, "poster": 720, "thumbnail": 400}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        container, stream = open_video(path, info.video)
        frame = find_poster(container, stream, info.video, info.duration)
        picture = to_picture(frame, info.video, 1440)
        sized_renditions(picture.image, sizes, "jpeg", 82)
        container.close()
        times.append((time.perf_counter() - started) * 1000)
    return {"poster_ms": statistics.median(times)}


def measure_analysis(path: str) -> dict[str, float]:
    """The worker's analysis step (forked child with limits: poster, renditions, storyboard)."""
    from dam.config import load_settings
    from ingest.sandbox import run_limited
    from ingest.video import analyse_video

    settings = load_settings(env={})
    started = time.perf_counter()
    run_limited(analyse_video, path, settings, label="analysis", timeout=600, memory_mb=2048)
    return {
        "analysis_ms": (time.perf_counter() - started) * 1000,
        "analysis_peak_mb": _peak_children_mb(),
        "worker_before_fork_mb": _peak_self_mb(),
    }


def measure_proxy(path: str, ffmpeg_path: str) -> dict[str, float | str]:
    from dam.config import load_settings
    from dam.enums import MediaType
    from ingest.proxy import transcode

    with tempfile.TemporaryDirectory(prefix="acervo-bench-") as folder:
        settings = load_settings(env={}, base_dir=folder, ffmpeg_path=ffmpeg_path)
        settings = settings.replace(job_timeout_seconds=7200)
        context = SimpleNamespace(settings=settings)  # transcode() only reads the settings
        proxy = transcode(context, Path(path), Path(folder), MediaType.VIDEO)  # type: ignore[arg-type]
        report = proxy.report
    return {
        "tool": str(report["tool"]),
        "proxy_x_realtime": float(report["speed"] or 0),
        "proxy_seconds": float(report["seconds"]),
        "ffmpeg_peak_mb": _peak_children_mb(),
        "worker_peak_mb": _peak_self_mb(),
    }


def _call(results, func, args) -> None:  # type: ignore[no-untyped-def]
    results.put(func(*args))


def in_fresh_process(func, *args):  # type: ignore[no-untyped-def]
    """Run ``func(*args)`` in a new interpreter, so its peak memory is its own.

    A plain (non-daemonic) process, since the analysis forks children of its own.
    """
    context = mp.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_call, args=(results, func, args))
    process.start()
    result = results.get()
    process.join()
    return result


def tools() -> list[tuple[str, str]]:
    from ingest.media.ffmpeg import pip_ffmpeg_path

    found = []
    if shutil.which("ffmpeg"):
        found.append(("system", shutil.which("ffmpeg")))
    if pip_ffmpeg_path():
        found.append(("imageio-ffmpeg", pip_ffmpeg_path()))
    return found  # type: ignore[return-value]


def bench_clip(path: Path, runs: int, proxy_tools: list[tuple[str, str]]) -> dict[str, object]:
    row: dict[str, object] = {"clip": path.name, "mb": round(path.stat().st_size / 1024**2)}
    row.update(in_fresh_process(measure_probe, str(path), runs))
    row.update(in_fresh_process(measure_poster, str(path), max(3, runs // 4)))
    row.update(in_fresh_process(measure_analysis, str(path)))
    for origin, exe in proxy_tools:
        result = in_fresh_process(measure_proxy, str(path), exe)
        row[f"proxy_{origin}"] = result
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir", default=str(Path(tempfile.gettempdir()) / "acervo-bench-video")
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--big", action="store_true", help="also the 2 GB file")
    parser.add_argument("--system-only", action="store_true", help="proxy with one ffmpeg only")
    parser.add_argument("--only", help="only the clips whose name contains this")
    args = parser.parse_args()
    folder = Path(args.workdir)
    folder.mkdir(parents=True, exist_ok=True)
    clips = [make_clip(folder, name) for name in CLIPS]
    if args.big:
        clips.append(make_big(folder))
    if args.only:
        clips = [clip for clip in clips if args.only in clip.name]
    proxy_tools = tools()[:1] if args.system_only else tools()
    rows = [bench_clip(clip, args.runs, proxy_tools) for clip in clips]
    for row in rows:
        print(json.dumps(row, indent=1))
    print(json.dumps({"video": rows}))


if __name__ == "__main__":
    main()
