"""Finding files: sub-folders only when asked, system files and excluded names skipped."""

from __future__ import annotations

from pathlib import Path

from ingest.discover import find_files


def _names(found) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(f.path.name for f in found)


def test_recursion_exclusion_and_system_files(tmp_path: Path) -> None:
    for rel in ("a.jpg", "NOTICE.md", ".DS_Store", "._a.jpg", "Thumbs.db", "sub/b.JPG",
                "sub/léame.MD", ".oculta/c.jpg"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    assert _names(find_files([tmp_path], recursive=False)) == ["NOTICE.md", "a.jpg"]
    assert _names(find_files([tmp_path], recursive=True, exclude=["*.md"])) == ["a.jpg", "b.JPG"]
    # A file named explicitly is taken even if a pattern would skip it.
    assert _names(find_files([tmp_path / "NOTICE.md"], recursive=False, exclude=["*.md"])) == [
        "NOTICE.md"
    ]
