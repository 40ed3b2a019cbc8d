"""``tools.expires``: the ``Expires`` header (and, for ``secs=0``, no-cache headers)."""

from __future__ import annotations

import datetime

import cherrypy
from cherrypy.plugin import HTTPDate, serving

__all__ = ["expires"]

_CACHEABLE_HINTS = ("Etag", "Last-Modified", "Age", "Expires")
_LONG_AGO = 1169942400.0  # a fixed date in the past, as CherryPy sends


def expires(
    secs: int | float | datetime.timedelta = 0, force: bool = False, debug: bool = False
) -> None:
    """Set ``Expires`` to ``secs`` after the response time.

    Without ``force`` the headers are only set on responses that already carry a validator
    or caching header (``ETag``, ``Last-Modified``, ``Age`` or ``Expires``), as CherryPy does;
    ``force`` sets them on every response.  ``secs`` is a number or a ``timedelta``; 0 means
    "do not cache": ``Expires`` in the past, ``Pragma: no-cache`` and, for HTTP/1.1,
    ``Cache-Control: no-cache, must-revalidate``.  Existing headers are kept unless ``force``.
    """
    response = serving.response
    headers = response.headers
    if not force and not any(hint in headers for hint in _CACHEABLE_HINTS):
        if debug:
            cherrypy.log("request is not cacheable", "TOOLS.EXPIRES")
        return
    if isinstance(secs, datetime.timedelta):
        secs = 86400 * secs.days + secs.seconds
    if secs == 0:
        if force or "Pragma" not in headers:
            headers["Pragma"] = "no-cache"
        if serving.request.protocol >= (1, 1) and (force or "Cache-Control" not in headers):
            headers["Cache-Control"] = "no-cache, must-revalidate"
        expiry = HTTPDate(_LONG_AGO)
    else:
        expiry = HTTPDate((response.time or 0) + secs)
    if force or "Expires" not in headers:
        headers["Expires"] = expiry
