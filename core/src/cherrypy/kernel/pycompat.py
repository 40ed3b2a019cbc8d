"""Small text helpers CherryPy applications import from ``cherrypy._cpcompat``."""

from __future__ import annotations

import html
import urllib.parse
from http.client import HTTPConnection, HTTPSConnection
from typing import Any

from cherrypy.kernel.dispatch import expose, popargs
from cherrypy.kernel.urls import normalize_path, url

__all__ = [
    "HTTPConnection",
    "HTTPSConnection",
    "escape_html",
    "expose",
    "normalize_path",
    "ntob",
    "ntou",
    "popargs",
    "quote",
    "text_or_bytes",
    "tonative",
    "unquote",
    "url",
]

text_or_bytes = (str, bytes)
quote = urllib.parse.quote
unquote = urllib.parse.unquote


def ntob(n: str, encoding: str = "ISO-8859-1") -> bytes:
    """Encode a native string to bytes."""
    return n.encode(encoding)


def ntou(n: str, encoding: str = "ISO-8859-1") -> str:
    """Return a native string as text (it already is on Python 3)."""
    return n


def tonative(n: Any, encoding: str = "ISO-8859-1") -> str:
    """Decode bytes to a native string; pass str through."""
    if isinstance(n, bytes):
        return n.decode(encoding)
    return n


def escape_html(s: str, escape_quote: bool = False) -> str:
    """HTML-escape ``s`` (quotes too when ``escape_quote``)."""
    return html.escape(s, quote=escape_quote)


class classproperty(property):
    """A read-only property of the class."""

    def __get__(self, cls: Any, owner: Any = None) -> Any:
        return classmethod(self.fget).__get__(None, owner)()  # type: ignore[arg-type]
