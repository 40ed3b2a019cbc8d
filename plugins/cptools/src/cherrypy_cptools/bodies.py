"""``tools.flatten``: let a handler yield generators that yield more output."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import cherrypy
from cherrypy.lib import is_iterator
from cherrypy.plugin import serving

__all__ = ["flatten"]


def _flattened(chunks: Iterable[Any], counter: list[int]) -> Iterator[Any]:
    for chunk in chunks:
        if is_iterator(chunk):
            yield from _flattened(chunk, counter)
        else:
            counter[0] += 1
            yield chunk


def flatten(debug: bool = False) -> None:
    """Wrap the response body so nested iterators are iterated through, depth first."""
    response = serving.response

    def flattener(body: Iterable[Any]) -> Iterator[Any]:
        counter = [0]
        yield from _flattened(body, counter)
        if debug:
            cherrypy.log(f"Flattened {counter[0]} chunks", "TOOLS.FLATTEN")

    response.body = flattener(response.body)
