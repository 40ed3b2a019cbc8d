"""HTTP statuses: reason phrases and descriptions, and :func:`valid_status`.

A leaf module (standard library only), so that both :mod:`cherrypy.kernel.errors` and
:mod:`cherrypy.kernel.httputil` can use it; ``cherrypy.lib.httputil`` re-exports it.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

__all__ = ["response_codes", "valid_status"]

response_codes: dict[int, tuple[str, str]] = {
    status: (status.phrase, status.description) for status in HTTPStatus
}
"""Reason phrase and long description for each status code the standard library knows."""

# CherryPy replaces two of the standard library's descriptions (its issue #361).
response_codes[HTTPStatus.INTERNAL_SERVER_ERROR] = (
    "Internal Server Error",
    "The server encountered an unexpected condition which prevented it from fulfilling "
    "the request.",
)
response_codes[HTTPStatus.SERVICE_UNAVAILABLE] = (
    "Service Unavailable",
    "The server is currently unable to handle the request due to a temporary overloading "
    "or maintenance of the server.",
)

_UNSAFE_CHARS = re.compile("[\r\n\x00]")


def valid_status(status: Any) -> tuple[int, str, str]:
    """Return ``(code, reason, message)`` for a response status.

    ``status`` may be an int (or ``http.HTTPStatus``), a string starting with the code and
    optionally followed by a reason phrase (``"404 Gone away"``), or empty/None for 200.
    A missing reason becomes the standard phrase; ``message`` is the long description
    ('' for codes the table does not know). Raises ``ValueError`` for a non-numeric code,
    a code outside 100-599 or (unlike CherryPy) a reason holding CR, LF or NUL.
    """
    if status.__class__ is int and 100 <= status <= 599:
        # The common case (HTTPError(404), a status assigned as an int), in one look-up.
        default_reason, message = response_codes.get(status, _UNKNOWN)
        return status, default_reason, message
    if status.__class__ is str:
        parsed = _parsed.get(status)
        if parsed is not None:
            known_code, given = parsed
            default_reason, message = response_codes.get(known_code, _UNKNOWN)
            return known_code, default_reason if given is None else given, message
    if not status:
        status = 200
    code: Any = status
    reason: str | None = None
    if isinstance(status, str):
        code, _, reason = status.partition(" ")
        reason = reason.strip() or None
    try:
        code = int(code)
    except (TypeError, ValueError):
        raise ValueError(f"Illegal response status from server ({code!r} is non-numeric).")
    if not 100 <= code <= 599:
        raise ValueError(f"Illegal response status from server ({code!r} is out of range).")
    if reason is not None and _UNSAFE_CHARS.search(reason):
        raise ValueError(f"Illegal response status from server ({reason!r} has a line break).")
    if status.__class__ is str:
        if len(_parsed) >= 256:
            _parsed.clear()
        _parsed[status] = (code, reason)
    default_reason, message = response_codes.get(code, _UNKNOWN)
    return code, default_reason if reason is None else reason, message


_UNKNOWN = ("", "")
_parsed: dict[str, tuple[int, str | None]] = {}
"""Status strings already found valid: their (code, reason given or None)."""
