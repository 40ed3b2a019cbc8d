"""``cherrypy._json``: the JSON helpers CherryPy keeps in its private ``_json`` module.

``json`` is the standard library module; :func:`encode` and :func:`decode` use the codec that
the tools use (ujson by default).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .codec import get_codec

__all__ = ["decode", "encode", "json"]


def encode(value: Any) -> Iterator[bytes]:
    """Encode ``value`` as JSON, yielding UTF-8 bytes (one chunk)."""
    yield get_codec()[0](value).encode("utf-8")


def decode(text: str | bytes) -> Any:
    """Parse the JSON document ``text``."""
    return get_codec()[1](text)
