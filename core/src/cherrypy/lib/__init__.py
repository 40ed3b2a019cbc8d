"""``cherrypy.lib``: CherryPy's library namespace, kept for compatibility.

Its modules live in the kernel (``httputil``, ``reprconf``) or in plugin distributions
(``sessions``, ``static``, ``encoding``, ...); they resolve through the ``cherrypy.compat``
entry-point table, and a missing one names the distribution to install.  The small helpers
CherryPy defines here are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cherrypy.kernel.compat import module_getattr

__all__ = [
    "file_generator",
    "file_generator_limited",
    "is_closable_iterator",
    "is_iterator",
    "set_vary_header",
]


def is_iterator(obj: Any) -> bool:
    """True if ``obj`` is an iterator (has ``__next__`` and is its own iterator)."""
    from collections.abc import Iterator as _Iterator

    if isinstance(obj, (list, tuple, dict, str, bytes)):
        return False
    return isinstance(obj, _Iterator)


def is_closable_iterator(obj: Any) -> bool:
    """True if ``obj`` is a generator or an iterator with a ``close()`` method."""
    import inspect

    if inspect.isgenerator(obj):
        return True
    return is_iterator(obj) and callable(getattr(obj, "close", None))


class file_generator:
    """Iterate over a file object in chunks, closing it at the end."""

    def __init__(self, input: Any, chunkSize: int = 65536) -> None:
        self.input = input
        self.chunkSize = chunkSize

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = self.input.read(self.chunkSize)
        if chunk:
            return chunk
        close = getattr(self.input, "close", None)
        if close is not None:
            close()
        raise StopIteration()

    next = __next__


def file_generator_limited(fileobj: Any, count: int, chunk_size: int = 65536) -> Iterator[bytes]:
    """Yield at most ``count`` bytes of ``fileobj`` in chunks."""
    remaining = count
    while remaining > 0:
        chunk = fileobj.read(min(chunk_size, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def set_vary_header(response: Any, header_name: str) -> None:
    """Add ``header_name`` to the response's Vary header (once)."""
    varies = response.headers.get("Vary", "")
    names = [name.strip() for name in varies.split(",") if name.strip()]
    if header_name not in names:
        names.append(header_name)
    response.headers["Vary"] = ", ".join(names)


def __getattr__(name: str) -> Any:
    return module_getattr(__name__, name)
