"""``cherrypy.lib.caching``: the functions behind ``tools.caching`` and ``tools.expires``.

:func:`get` answers a request from the process-wide cache (``cherrypy._cache``, made on
first use from ``cache_class``, by default :class:`~cherrypy_caching.memory.MemoryCache`);
on a miss :func:`tee_output` stores the response as it is sent.  Only GET and HEAD responses
with a cacheable status are stored; the methods in ``invalid_methods`` drop the URI's copies.
"""

from __future__ import annotations

from typing import Any

import cherrypy
from cherrypy.plugin import (
    HeaderMap,
    HTTPError,
    HTTPRedirect,
    publish,
    published,
    serving,
    valid_status,
)

from .conditional import validate_since
from .expires import expires
from .memory import AntiStampedeCache, Cache, MemoryCache

__all__ = [
    "AntiStampedeCache",
    "Cache",
    "MemoryCache",
    "clear_process_cache",
    "expires",
    "get",
    "process_cache",
    "tee_output",
]

_LOOKUP_METHODS = ("GET", "HEAD")
# Statuses RFC 9110 §15.1 lets a cache store without explicit freshness, minus 204 and 206
# (no or partial body): an error page is cached only if it is one of these.
_CACHEABLE_STATUSES = frozenset({200, 203, 300, 301, 308, 404, 405, 410, 414, 501})


def process_cache() -> Cache | None:
    """The process-wide cache object (``cherrypy._cache``), or None before first use."""
    cache: Cache | None = published("cherrypy._cache")
    return cache


def clear_process_cache() -> None:
    """Forget the process-wide cache (and stop its expiry thread); the next request makes
    a new one from its config."""
    cache = published("cherrypy._cache")
    publish("cherrypy._cache", None)
    stop = getattr(cache, "stop", None)
    if stop is not None:
        stop()


def _make_cache(kwargs: dict[str, Any], debug: bool) -> Cache:
    cache_class = kwargs.pop("cache_class", MemoryCache)
    cache = cache_class()
    for key, value in kwargs.items():
        setattr(cache, key, value)
    cache.debug = debug  # type: ignore[attr-defined]
    publish("cherrypy._cache", cache)
    return cache  # type: ignore[no-any-return]


def _directives(headers: HeaderMap, name: str) -> list[str]:
    return [element.value for element in headers.elements(name)]


def get(
    invalid_methods: tuple[str, ...] | list[str] = ("POST", "PUT", "DELETE"),
    debug: bool = False,
    **kwargs: Any,
) -> bool:
    """Answer the request from the cache if possible; True when it was.

    Sets ``request.cached`` (answered from the cache) and ``request.cacheable`` (the response
    should be stored).  The first call creates the process-wide cache from ``cache_class``
    and the remaining keyword arguments (``delay``, ``maxobj_size``, ``maxsize``,
    ``maxobjects``, ``antistampede_timeout``, ``expire_freq``), set as its attributes.

    A stored copy is not used when the request says ``Pragma: no-cache`` or
    ``Cache-Control: no-cache``, or when it is older than the request's ``max-age``
    (400 for a malformed one).  A used copy gets an ``Age`` header and is checked against
    ``If-Modified-Since`` / ``If-Unmodified-Since`` (304 / 412).
    """
    request = serving.request
    response = serving.response
    cache = process_cache()
    if cache is None:
        cache = _make_cache(dict(kwargs), debug)
    request.cached = False
    request.cacheable = False
    method = request.method
    if method in invalid_methods:
        if debug:
            cherrypy.log(f"request.method {method!r} in invalid_methods", "TOOLS.CACHING")
        cache.delete()
        return False
    if method not in _LOOKUP_METHODS:
        return False
    if "no-cache" in _directives(request.headers, "Pragma"):
        request.cacheable = True
        return False
    cache_data = cache.get()
    if not cache_data:
        request.cacheable = True
        if debug:
            cherrypy.log("request is not cached", "TOOLS.CACHING")
        return False
    max_age = getattr(cache, "delay", 600)
    for directive in _directives(request.headers, "Cache-Control"):
        name, has_value, value = directive.partition("=")
        if name == "max-age":
            if not has_value or not value.isdigit():
                raise HTTPError(400, "Invalid Cache-Control header")
            max_age = int(value)
            break
        if name == "no-cache":
            if debug:
                cherrypy.log("Ignoring cache due to Cache-Control: no-cache", "TOOLS.CACHING")
            request.cacheable = True
            return False
    status, headers, body, created = cache_data
    age = int((response.time or 0) - created)
    if age > max_age:
        if debug:
            cherrypy.log(f"Ignoring cache due to age > {max_age}", "TOOLS.CACHING")
        request.cacheable = True
        return False
    request.cached = True
    replayed = dict.__new__(HeaderMap)
    dict.update(replayed, headers)
    response.headers = replayed
    replayed["Age"] = str(age)
    try:
        validate_since()
    except HTTPRedirect as redirect:
        if redirect.status == 304 and hasattr(cache, "tot_non_modified"):
            cache.tot_non_modified += 1
        raise
    response.status = status
    response.body = body
    return True


def _storable(response: Any) -> bool:
    headers = response.headers
    if "no-cache" in _directives(headers, "Pragma"):
        return False
    control = _directives(headers, "Cache-Control")
    if "no-store" in control or "private" in control:
        return False
    if any(element.value == "*" for element in headers.elements("Vary")):
        return False
    try:
        code = valid_status(response.status)[0]
    except ValueError:
        return False
    return code in _CACHEABLE_STATUSES


def tee_output() -> None:
    """Wrap the response body so that, once sent, it is stored in the cache.

    Nothing is stored when the request says ``Cache-Control: no-store``, when the response
    says ``Pragma: no-cache``, ``Cache-Control: no-store`` or ``private`` or ``Vary: *``,
    when its status is not cacheable, or when its body is empty.
    """
    request = serving.request
    response = serving.response
    cache = process_cache()
    if cache is None or "no-store" in _directives(request.headers, "Cache-Control"):
        return

    def tee(body: Any) -> Any:
        if not _storable(response):
            yield from body
            return
        output = []
        for chunk in body:
            output.append(chunk)
            yield chunk
        data = b"".join(output)
        if data:
            headers = dict.__new__(HeaderMap)
            dict.update(headers, response.headers)
            cache.put((response.status, headers, data, response.time), len(data))

    response.body = tee(response.body)


def release_reservation() -> None:
    """``on_end_request``: wake requests that waited on this one if it stored nothing."""
    cache = process_cache()
    release = getattr(cache, "release", None)
    if release is not None:
        release()


release_reservation.failsafe = True  # type: ignore[attr-defined]
