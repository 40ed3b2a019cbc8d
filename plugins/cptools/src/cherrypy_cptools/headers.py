"""Header tools: ``tools.response_headers``, ``tools.ignore_headers``, ``tools.referer``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import cherrypy
from cherrypy.plugin import HTTPError, serving

__all__ = ["ignore_headers", "referer", "response_headers"]


def response_headers(headers: Iterable[tuple[str, str]] | None = None, debug: bool = False) -> None:
    """Set each ``(name, value)`` pair of ``headers`` on the response.

    Failsafe: the headers are set even when an earlier hook at the same point failed.
    """
    if debug:
        cherrypy.log(f"Setting response headers: {headers!r}", "TOOLS.RESPONSE_HEADERS")
    target = serving.response.headers
    for name, value in headers or ():
        target[name] = value


response_headers.failsafe = True  # type: ignore[attr-defined]


def ignore_headers(headers: Iterable[str] = ("Range",), debug: bool = False) -> None:
    """Delete the named request headers (by default ``Range``) before anything reads them.

    Useful behind a server that already applies them, such as Apache with ``Range``.
    """
    request_headers = serving.request.headers
    for name in headers:
        if name in request_headers:
            if debug:
                cherrypy.log(f"Ignoring request header {name!r}", "TOOLS.IGNORE_HEADERS")
            del request_headers[name]


@lru_cache(maxsize=128)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def referer(
    pattern: str,
    accept: bool = True,
    accept_missing: bool = False,
    error: int = 403,
    message: str = "Forbidden Referer header.",
    debug: bool = False,
) -> None:
    """Refuse requests by their ``Referer`` header (``error``, by default 403).

    With ``accept`` true the Referer must match the regular expression ``pattern`` (matched
    at the start, as :func:`re.match` does); with ``accept`` false it must not.  A request
    without Referer passes only when ``accept_missing`` is true.
    """
    ref = serving.request.headers.get("Referer")
    if ref is None:
        if debug:
            cherrypy.log("No Referer header", "TOOLS.REFERER")
        if accept_missing:
            return
    else:
        matched = _compiled(pattern).match(ref) is not None
        if debug:
            cherrypy.log(f"Referer {ref!r} matches {pattern!r}: {matched}", "TOOLS.REFERER")
        if matched == bool(accept):
            return
    raise HTTPError(error, message)
