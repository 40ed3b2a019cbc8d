"""Charsets of request entities (``tools.decode``) and :class:`UTF8StreamEncoder`.

The kernel decodes request entities (form fields, ``fullvalue()``) with the charsets listed
in ``request.body.attempt_charsets``; ``tools.decode`` replaces or extends that list per path.
Encoding the response is the kernel's default-on ``tools.encode``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cherrypy.lib import is_closable_iterator
from cherrypy.plugin import serving

__all__ = ["UTF8StreamEncoder", "decode"]


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def decode(
    encoding: str | list[str] | None = None, default_encoding: str | list[str] = "utf-8"
) -> None:
    """Set the charsets tried to decode the request entity (``tools.decode``).

    ``encoding`` (a charset or a list) *replaces* the list, even over a ``charset`` the
    client declared in Content-Type.  Otherwise ``default_encoding`` is *appended* to it, as a
    fallback after the declared charset.
    """
    body = serving.request.body
    if encoding is not None:
        body.attempt_charsets = _as_list(encoding)
    elif default_encoding:
        body.attempt_charsets = body.attempt_charsets + _as_list(default_encoding)


class UTF8StreamEncoder:
    """Wrap an iterator so that the str chunks it yields come out UTF-8 encoded."""

    def __init__(self, iterator: Iterator[Any]) -> None:
        self._iterator = iterator

    def __iter__(self) -> UTF8StreamEncoder:
        return self

    def __next__(self) -> Any:
        chunk = next(self._iterator)
        if isinstance(chunk, str):
            return chunk.encode("utf-8")
        return chunk

    def next(self) -> Any:
        """The next chunk (the old iterator protocol name)."""
        return self.__next__()

    def close(self) -> None:
        """Close the wrapped iterator if it can be closed."""
        if is_closable_iterator(self._iterator):
            self._iterator.close()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._iterator, name)
