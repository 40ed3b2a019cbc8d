"""Response bodies that stream a file, never reading it whole into memory.

Two shapes, both closing the file when the response ends (or is abandoned):

* with the server's ``wsgi.file_wrapper`` (PEP 3333), a :class:`FileSlice` of the file is
  handed to it, so a server that receives the wrapper can send the bytes with
  ``os.sendfile`` (cherrypy-server, gunicorn, uWSGI);
* otherwise :func:`iter_slice` yields chunks of :data:`CHUNK_SIZE` bytes (a
  :class:`FileChunks`, which closes the file even if the iteration never starts).

Either way no more than the announced number of bytes is read, even if the file grows
while it is being sent.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["CHUNK_SIZE", "FileChunks", "FileSlice", "file_body", "iter_slice", "read_chunks"]

CHUNK_SIZE = 256 * 1024
"""Bytes read per chunk when a file is streamed by iteration."""


class FileSlice(io.RawIOBase):
    """A read-only view of ``length`` bytes of ``file`` from ``start`` (for ``wsgi.file_wrapper``).

    ``fileno()`` and ``tell()`` are those of the underlying file, so a server may ``sendfile``
    from the current position for the response's ``Content-Length``; ``read()`` stops at the
    end of the slice.  Closing the slice closes the file.
    """

    def __init__(self, file: Any, start: int, length: int) -> None:
        super().__init__()
        self._file = file
        self._end = start + length
        file.seek(start)
        self._pos = start

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always True."""
        return True

    def fileno(self) -> int:
        """The descriptor of the underlying file."""
        return int(self._file.fileno())

    def tell(self) -> int:
        """The position in the underlying file."""
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move within the underlying file (absolute offsets, as ``tell()`` reports them)."""
        self._pos = int(self._file.seek(offset, whence))
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes, never past the end of the slice."""
        room = self._end - self._pos
        if room <= 0:
            return b""
        if size is None or size < 0 or size > room:
            size = room
        data: bytes = self._file.read(size)
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer`` (for :class:`io.RawIOBase` helpers)."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Close the slice and the underlying file."""
        if not self.closed:
            try:
                self._file.close()
            finally:
                super().close()


class FileChunks:
    """An iterator over what ``produce(file)`` yields, that always closes the file.

    ``source`` is an open binary file, or a path opened only when iteration starts (the body
    of a HEAD response is never iterated, so it never opens the file).  The file is closed
    at the end of the iteration or by :meth:`close`, even if iteration never started, which
    a generator cannot promise.
    """

    def __init__(self, source: Any, produce: Callable[[Any], Iterator[bytes]]) -> None:
        self._source = source
        self._produce = produce
        self._chunks: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunks = self._chunks
        if chunks is None:
            if isinstance(self._source, str):
                self._source = open(self._source, "rb")  # noqa: SIM115 - closed by close()
            chunks = self._chunks = self._produce(self._source)
        try:
            return next(chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the iteration and close the file (if it was opened)."""
        chunks, self._chunks = self._chunks, iter(())
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        source = self._source
        if not isinstance(source, str):
            source.close()


def read_chunks(
    file: Any, start: int | None, length: int | None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield ``length`` bytes (all that is left if None) of ``file`` from ``start`` (the
    current position if None), in chunks of at most ``chunk_size`` bytes."""
    if start is not None:
        file.seek(start)
    read = file.read
    if length is None:
        while chunk := read(chunk_size):
            yield chunk
        return
    remaining = length
    while remaining > 0:
        chunk = read(chunk_size if remaining > chunk_size else remaining)
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def iter_slice(
    source: Any, start: int | None, length: int | None, chunk_size: int = CHUNK_SIZE
) -> FileChunks:
    """A :class:`FileChunks` body of ``length`` bytes of ``source`` from ``start``."""
    return FileChunks(source, lambda file: read_chunks(file, start, length, chunk_size))


def file_body(
    file: Any,
    start: int,
    length: int,
    wrapper: Callable[..., Any] | None,
    chunk_size: int = CHUNK_SIZE,
) -> Any:
    """The response body for ``length`` bytes of the open ``file`` from ``start``.

    ``wrapper`` is the environ's ``wsgi.file_wrapper`` (or None); it is used when the file
    has a real descriptor.
    """
    if wrapper is not None:
        try:
            file.fileno()
        except (AttributeError, OSError, ValueError):
            pass
        else:
            return wrapper(FileSlice(file, start, length), chunk_size)
    return iter_slice(file, start, length, chunk_size)
