"""``cherrypy.lib.caching``: the functions behind ``tools.caching`` and ``tools.expires``.

:func:`get` answers a request from the process-wide cache (``cherrypy._cache``, made on
first use from ``cache_class``, by default :class:`~cherrypy_caching.memory.MemoryCache`);
on a miss :func:`tee_output` stores the response as it is sent.  Only GET and HEAD responses
that may be shared (:mod:`cherrypy_caching.policy`) are stored; the methods in
``invalid_methods`` drop the URI's copies.
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
from .policy import DEFAULT_PRIVATE_HEADERS, cache_control, credentials_allow, shareable

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


def _directives(headers: HeaderMap, name: str) -> dict[str, str | None]:
    return cache_control(headers.get(name))


def get(
    invalid_methods: tuple[str, ...] | list[str] = ("POST", "PUT", "DELETE"),
    debug: bool = False,
    **kwargs: Any,
) -> bool:
    """Answer the request from the cache if possible; True when it was.

    Sets ``request.cached`` (answered from the cache) and ``request.cacheable`` (the response
    should be stored).  The first call creates the process-wide cache from ``cache_class``
    and the remaining keyword arguments (``delay``, ``maxobj_size``, ``maxsize``,
    ``maxobjects``, ``antistampede_timeout``, ``expire_freq``, ``private_headers``), set as
    its attributes.

    A stored copy is not used when the request says ``Pragma: no-cache`` or
    ``Cache-Control: no-cache``, when it is older than the request's ``max-age``
    (400 for a malformed one), or when the request carries credentials or cookies and the
    copy does not say it may be shared with them
    (:func:`~cherrypy_caching.policy.credentials_allow`).  A used copy gets an ``Age`` header and is checked against
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
    for name, value in _directives(request.headers, "Cache-Control").items():
        if name == "max-age":
            if value is None or not (value.isascii() and value.isdigit()):
                raise HTTPError(400, "Invalid Cache-Control header")
            max_age = int(value)
            break
        if name == "no-cache":
            if debug:
                cherrypy.log("Ignoring cache due to Cache-Control: no-cache", "TOOLS.CACHING")
            request.cacheable = True
            return False
    status, headers, body, created = cache_data
    if not credentials_allow(request.headers, headers, _private_headers(cache)):
        if debug:
            cherrypy.log("Ignoring cache: not shared with credentials or cookies", "TOOLS.CACHING")
        request.cacheable = True
        return False
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


def _status_code(status: Any) -> int:
    try:
        return valid_status(status)[0]
    except ValueError:
        return 0


def _private_headers(cache: Any) -> Any:
    return getattr(cache, "private_headers", DEFAULT_PRIVATE_HEADERS)


def _may_store(request: Any, response: Any, private_headers: Any) -> bool:
    if not shareable(
        request.headers, response.headers, _status_code(response.status), private_headers
    ):
        return False
    # Cookies set through response.cookie become Set-Cookie lines only when the response is
    # finalised: look at them too (a response setting a cookie is never stored).
    return not response.cookie


def tee_output() -> None:
    """Wrap the response body so that, once sent, it is stored in the cache if it may be.

    The body is copied as it goes out (up to ``maxobj_size`` bytes: a larger body is not
    kept in memory).  Nothing is stored when the request says ``Cache-Control: no-store``,
    when the body is empty, when the response sets a cookie, or when
    :func:`cherrypy_caching.policy.shareable` says the response may not be shared
    (``no-store``, ``private``, ``no-cache``, ``Vary: *``, a status that is not cacheable, a
    request with credentials or cookies the response does not allow sharing).
    """
    request = serving.request
    response = serving.response
    cache = process_cache()
    if cache is None or "no-store" in _directives(request.headers, "Cache-Control"):
        return
    limit = getattr(cache, "maxobj_size", None)
    private_headers = _private_headers(cache)

    def tee(body: Any) -> Any:
        if not _may_store(request, response, private_headers):
            yield from body
            return
        output: list[bytes] | None = []
        total = 0
        for chunk in body:
            if output is not None:
                total += len(chunk)
                if limit is not None and total >= limit:
                    output = None  # too large to store: stop copying
                else:
                    output.append(chunk)
            yield chunk
        if output and _may_store(request, response, private_headers):
            headers = dict.__new__(HeaderMap)
            dict.update(headers, response.headers)
            data = b"".join(output)
            cache.put((response.status, headers, data, response.time), len(data))

    response.body = tee(response.body)


def release_reservation() -> None:
    """``on_end_request``: wake requests that waited on this one if it stored nothing."""
    cache = process_cache()
    release = getattr(cache, "release", None)
    if release is not None:
        release()


release_reservation.failsafe = True  # type: ignore[attr-defined]
