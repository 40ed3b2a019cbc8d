"""What ``tools.caching`` may store and share, and for how long (RFC 9111 §3, §3.5, §5.2).

The cache is a *shared* cache: a stored response is served to every client asking for the
same URL (and the same values of the request headers named in ``Vary``).  These rules keep
a response made for one user's credentials or cookies from being served to another user
unless the response says it may be.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "CACHEABLE_STATUSES",
    "CREDENTIAL_HEADERS",
    "DEFAULT_PRIVATE_HEADERS",
    "cache_control",
    "credentials_allow",
    "freshness_lifetime",
    "shareable",
    "vary_names",
]

CACHEABLE_STATUSES = frozenset({200, 203, 300, 301, 308, 404, 405, 410, 414, 501})
"""Statuses RFC 9110 §15.1 lets a cache store without explicit freshness, minus 204 and 206
(no or partial body): an error page is stored only if it is one of these."""

CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization")
"""Request headers carrying credentials: RFC 9111 §3.5 applies to responses to them."""

DEFAULT_PRIVATE_HEADERS: tuple[str, ...] = ("Cookie",)
"""The default of ``tools.caching.private_headers``: request headers that identify a user."""

# One directive: a token name, optionally "=" and a token or a quoted string (commas inside
# quotes belong to the value, as in ``private="Set-Cookie, X-Foo"``).
_DIRECTIVE = re.compile(r'\s*([^\s,=]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?\s*(?:,|$)')


def cache_control(value: Any) -> dict[str, str | None]:
    """The directives of a ``Cache-Control`` value: lower-cased name -> value (None if bare).

    Quotes around a value are removed; the first occurrence of a directive wins.
    """
    directives: dict[str, str | None] = {}
    if not value:
        return directives
    for match in _DIRECTIVE.finditer(str(value)):
        name, argument = match.group(1).lower(), match.group(2)
        if argument is not None:
            argument = argument.strip()
            if argument.startswith('"') and argument.endswith('"') and len(argument) > 1:
                argument = argument[1:-1]
        directives.setdefault(name, argument)
    return directives


def vary_names(headers: Mapping[str, Any]) -> list[str]:
    """The header names listed in a response's ``Vary`` (as written, in order, no duplicates)."""
    names: list[str] = []
    seen: set[str] = set()
    for part in str(headers.get("Vary") or "").split(","):
        name = part.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def _seconds(value: str | None) -> int | None:
    """A delta-seconds value, or -1 when malformed (treated as already stale)."""
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() else -1


def freshness_lifetime(headers: Mapping[str, Any], delay: float) -> float:
    """How long a response with these headers may be served from the cache, in seconds.

    ``delay`` (the ``tools.caching.delay`` setting), shortened by the response's ``s-maxage``
    or, without one, its ``max-age`` (RFC 9111 §4.2.1: a shared cache prefers ``s-maxage``).
    A malformed value counts as 0: the response is not stored.
    """
    control = cache_control(headers.get("Cache-Control"))
    limit = _seconds(control.get("s-maxage"))
    if limit is None:
        limit = _seconds(control.get("max-age"))
    if limit is None:
        return float(delay)
    return float(min(delay, max(limit, 0)))


def credentials_allow(
    request_headers: Mapping[str, Any],
    headers: Mapping[str, Any],
    private_headers: Iterable[str] = DEFAULT_PRIVATE_HEADERS,
) -> bool:
    """Whether a response with ``headers`` may be shared given the request's credentials.

    Used both to store a response (``request_headers`` are those of the request it answers)
    and to serve a stored one (those of the request asking for it): a request carrying
    credentials or cookies neither leaves its own response for others nor gets a copy made
    for someone else, unless the response says it may be shared.

    - ``Authorization`` / ``Proxy-Authorization`` (RFC 9111 §3.5): the response says
      ``public``, ``s-maxage``, or ``must-revalidate`` with an explicit ``max-age``;
    - each of ``private_headers`` (by default ``Cookie``): the response says ``public`` or
      ``s-maxage``, or names that header in ``Vary`` (so the copy is only ever served to
      requests carrying the same value).
    """
    control = cache_control(headers.get("Cache-Control"))
    if "public" in control or "s-maxage" in control:
        return True
    if any(request_headers.get(name) for name in CREDENTIAL_HEADERS) and not (
        "must-revalidate" in control and "max-age" in control
    ):
        return False
    vary: set[str] | None = None
    for name in private_headers:
        if request_headers.get(name):
            if vary is None:
                vary = {varied.lower() for varied in vary_names(headers)}
            if name.lower() not in vary:
                return False
    return True


def shareable(
    request_headers: Mapping[str, Any],
    headers: Mapping[str, Any],
    status_code: int,
    private_headers: Iterable[str] = DEFAULT_PRIVATE_HEADERS,
) -> bool:
    """Whether a response (``headers``, ``status_code``) to a request may be stored and shared.

    Not stored: a status outside :data:`CACHEABLE_STATUSES`; ``Cache-Control: no-store``,
    ``private`` or ``no-cache`` (with or without a field list), ``Pragma: no-cache``;
    ``Vary: *``; a ``Set-Cookie`` header; a response to a request with credentials or
    cookies that :func:`credentials_allow` does not let others see.
    """
    if status_code not in CACHEABLE_STATUSES:
        return False
    if "no-cache" in cache_control(headers.get("Pragma")):
        return False
    control = cache_control(headers.get("Cache-Control"))
    if "no-store" in control or "private" in control or "no-cache" in control:
        return False
    if any(name == "*" for name in vary_names(headers)) or headers.get("Set-Cookie") is not None:
        return False
    return credentials_allow(request_headers, headers, private_headers)
