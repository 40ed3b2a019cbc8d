"""Byte ranges: which ones to honour, and the ``multipart/byteranges`` body that carries several.

The ``Range`` header is parsed by the kernel (:func:`cherrypy.plugin.get_ranges`,
which already refuses other units, syntax errors and more than 100 pieces).  On top of it,
this module caps what one request may cost (RFC 9110 §14.3 lets a server ignore or coalesce
abusive range sets):

* more than :data:`MAX_RANGES` ranges: the header is ignored and the whole file is sent;
* overlapping (or touching) ranges are merged, in ascending order, so no byte is sent twice:
  ``bytes=0-,0-,0-`` costs one copy of the file, not three.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cherrypy.plugin import get_ranges

from .bodies import FileChunks, read_chunks

__all__ = ["MAX_RANGES", "MultipartBody", "plan_ranges"]

MAX_RANGES = 32
"""The most ranges one request may ask for; beyond it the whole file is sent (200)."""

Range = tuple[int, int]


def _coalesce(ranges: list[Range]) -> list[Range]:
    """``ranges`` unchanged if no two overlap or touch, else sorted and merged."""
    ordered = sorted(ranges)
    if all(ordered[i][1] < ordered[i + 1][0] for i in range(len(ordered) - 1)):
        return ranges
    merged = [ordered[0]]
    for start, stop in ordered[1:]:
        last_start, last_stop = merged[-1]
        if start <= last_stop:
            merged[-1] = (last_start, max(last_stop, stop))
        else:
            merged.append((start, stop))
    return merged


def plan_ranges(header: str | None, length: int) -> list[Range] | None:
    """The ``(start, stop)`` slices to send for ``Range: header`` on ``length`` bytes.

    None means "send everything with 200" (no header, one this server ignores, or too many
    ranges); an empty list means none of the ranges can be satisfied (416).
    """
    ranges = get_ranges(header, length)
    if not ranges:
        return ranges
    if len(ranges) > MAX_RANGES:
        return None
    if len(ranges) > 1:
        ranges = _coalesce(ranges)
    return ranges


class MultipartBody:
    """A ``multipart/byteranges`` body for several ranges of one file, with its length known
    in advance so it can be streamed with a ``Content-Length``."""

    ranges: list[Range]
    """The ``(start, stop)`` slices of the entity, in the order they are sent."""
    total: int
    """The entity's length, for the parts' ``Content-Range``."""
    content_type: str | None
    """The entity's media type, repeated in each part (left out when None)."""
    offset: int
    """Where the entity starts in the file (ranges are relative to it)."""
    boundary: str
    """The multipart boundary; a random one when empty."""

    def __init__(
        self,
        ranges: list[Range],
        total: int,
        content_type: str | None,
        offset: int = 0,
        boundary: str = "",
    ) -> None:
        self.ranges = ranges
        self.total = total
        self.content_type = content_type
        self.offset = offset
        if not boundary:
            from secrets import token_hex  # here, not at start-up: secrets loads OpenSSL

            boundary = token_hex(16)
        self.boundary = boundary

    def __repr__(self) -> str:
        return (
            f"MultipartBody(ranges={self.ranges!r}, total={self.total!r}, "
            f"content_type={self.content_type!r}, offset={self.offset!r}, "
            f"boundary={self.boundary!r})"
        )

    @property
    def media_type(self) -> str:
        """The response's ``Content-Type``."""
        return f"multipart/byteranges; boundary={self.boundary}"

    def _part_head(self, start: int, stop: int) -> bytes:
        lines = [f"--{self.boundary}"]
        if self.content_type:
            lines.append(f"Content-Type: {self.content_type}")
        lines.append(f"Content-Range: bytes {start}-{stop - 1}/{self.total}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _closing(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode("latin-1")

    @property
    def content_length(self) -> int:
        """The exact size of the body in bytes."""
        size = 2 + len(self._closing())  # the leading CRLF (as Apache and CherryPy send)
        for start, stop in self.ranges:
            size += len(self._part_head(start, stop)) + (stop - start) + 2
        return size

    def iter_from(self, source: Any, chunk_size: int) -> FileChunks:
        """The body, reading each range from ``source`` (an open file or a path).

        The file is closed when the body ends or is closed.
        """
        return FileChunks(source, lambda file: self._chunks(file, chunk_size))

    def _chunks(self, file: Any, chunk_size: int) -> Iterator[bytes]:
        yield b"\r\n"
        for start, stop in self.ranges:
            yield self._part_head(start, stop)
            yield from read_chunks(file, self.offset + start, stop - start, chunk_size)
            yield b"\r\n"
        yield self._closing()
