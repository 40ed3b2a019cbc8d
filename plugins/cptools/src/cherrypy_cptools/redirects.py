"""``tools.redirect`` and ``tools.err_redirect``: send the request elsewhere."""

from __future__ import annotations

import cherrypy
from cherrypy.plugin import HTTPRedirect, InternalRedirect

__all__ = ["redirect"]

_CONTROL = frozenset("\r\n\0")


def redirect(url: str = "", internal: bool = True, debug: bool = False) -> None:
    """Redirect to ``url``: internally (the default) or with an HTTP 303/302 redirect.

    An internal redirect hands the request to the handler at ``url`` (a path in the same
    application, with an optional query string) without a round trip.  A URL containing CR,
    LF or NUL is refused with ``ValueError`` (a 500), so a redirect can never inject headers.
    """
    if any(char in _CONTROL for char in url):
        raise ValueError(f"redirect URL contains a control character: {url!r}")
    if debug:
        kind = "internal " if internal else ""
        cherrypy.log(f"Redirecting {kind}to: {url}", "TOOLS.REDIRECT")
    if internal:
        raise InternalRedirect(url)
    raise HTTPRedirect(url)
