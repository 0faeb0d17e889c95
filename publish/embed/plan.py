"""A rewrite plan: new bytes and byte ranges of the original, streamed without loading the file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from publish.embed.info import EmbedError

CHUNK = 256 * 1024


@dataclass(frozen=True)
class Span:
    """``length`` bytes of the original from ``offset``."""

    offset: int
    length: int


@dataclass
class Plan:
    """The output in order: inserted bytes and spans of the original (ascending, disjoint)."""

    parts: list[bytes | Span] = field(default_factory=list)

    def add(self, part: bytes | Span) -> None:
        if isinstance(part, Span) and part.length == 0:
            return
        last = self.parts[-1] if self.parts else None
        if (isinstance(part, Span) and isinstance(last, Span)
                and last.offset + last.length == part.offset):
            self.parts[-1] = Span(last.offset, last.length + part.length)  # one long copy
        else:
            self.parts.append(part)

    @property
    def length(self) -> int:
        return sum(p.length if isinstance(p, Span) else len(p) for p in self.parts)


def read_exact(stream: BinaryIO, size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EmbedError(f"the file ends inside {what}: truncated")
    return data


def skip(stream: BinaryIO, size: int, what: str) -> None:
    """Move ``size`` bytes forward: seek when the stream can, else read and drop."""
    if stream.seekable():
        start = stream.tell()
        stream.seek(size, 1)
        if stream.tell() - start != size:
            raise EmbedError(f"the file ends inside {what}: truncated")
        return
    while size > 0:
        data = stream.read(min(CHUNK, size))
        if not data:
            raise EmbedError(f"the file ends inside {what}: truncated")
        size -= len(data)


def stream_plan(stream: BinaryIO, plan: Plan) -> Iterator[bytes]:
    """The planned output, reading ``stream`` (the original, from its start) once, in chunks."""
    position = 0
    for part in plan.parts:
        if isinstance(part, bytes):
            yield part
            continue
        skip(stream, part.offset - position, "the image data")
        left = part.length
        while left > 0:
            data = stream.read(min(CHUNK, left))
            if not data:
                raise EmbedError("the stored file is shorter than when it was planned")
            left -= len(data)
            yield data
        position = part.offset + part.length
