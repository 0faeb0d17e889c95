"""Finding the files to ingest under the paths people give, safely (symlink loops, hidden files)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Files cameras and operating systems leave beside photos; never anyone's material.
SYSTEM_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Found:
    path: Path
    problem: str | None = None  # set when the path cannot be taken (reported, not dropped)


def _skip(name: str, exclude: Iterable[str]) -> bool:
    if name in SYSTEM_FILES or name.startswith("."):
        return True
    return any(fnmatch.fnmatch(name.casefold(), pattern.casefold()) for pattern in exclude)


def find_files(
    paths: list[Path], *, recursive: bool, exclude: Iterable[str] = ()
) -> Iterator[Found]:
    """Yield each regular file under ``paths``; folders need ``recursive`` past the first level.

    Symbolic links are followed, but a folder is entered once only (by device and inode), so a
    link loop ends instead of recursing forever. Missing paths come back with a problem. Names
    matching an ``exclude`` pattern (shell-style, case-insensitive) inside folders are skipped;
    a file named explicitly is always taken.
    """
    exclude = tuple(exclude)
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    for root in paths:
        try:
            st = root.stat()
        except OSError as exc:
            yield Found(root, f"cannot read the path: {exc.strerror or exc}")
            continue
        if root.is_file():
            key = (st.st_dev, st.st_ino)
            if key not in seen_files:
                seen_files.add(key)
                yield Found(root)
            continue
        yield from _walk(root, recursive, seen_dirs, seen_files, exclude)


def _walk(
    root: Path, recursive: bool, seen_dirs: set, seen_files: set, exclude: tuple[str, ...]
) -> Iterator[Found]:
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=errors.append):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        for name in sorted(filenames):
            if _skip(name, exclude):
                continue
            path = Path(dirpath) / name
            try:
                fst = path.stat()
            except OSError as exc:
                yield Found(path, f"cannot read the file: {exc.strerror or exc}")
                continue
            if not path.is_file() or (fst.st_dev, fst.st_ino) in seen_files:
                continue
            seen_files.add((fst.st_dev, fst.st_ino))
            yield Found(path)
    for exc in errors:
        yield Found(Path(exc.filename or root), f"cannot read the folder: {exc.strerror or exc}")
