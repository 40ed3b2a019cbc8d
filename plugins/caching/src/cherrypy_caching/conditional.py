"""Conditional requests against a response's validators: ``tools.etags`` and friends.

:func:`validate_etags` tests ``If-Match`` / ``If-None-Match`` against the response's
``ETag`` (optionally computed from the body), :func:`validate_since` tests
``If-Unmodified-Since`` / ``If-Modified-Since`` against its ``Last-Modified``.  Both answer
``304 Not Modified`` (GET and HEAD) or ``412 Precondition Failed`` as RFC 9110 asks.
"""

from __future__ import annotations

import re

import cherrypy
from cherrypy.plugin import HTTPError, HTTPRedirect, parse_http_date, serving, valid_status

__all__ = ["entity_tags", "validate_etags", "validate_since"]

_TAG = re.compile(r'\s*((?:W/)?"[^"]*")\s*(?:,|$)')
_SAFE_METHODS = ("GET", "HEAD")


def entity_tags(value: str | None) -> list[str] | None:
    """The entity tags listed in an ``If-Match`` / ``If-None-Match`` value.

    Returns None when the header is absent, ``["*"]`` for ``*``, and the tags with their
    quotes (and any ``W/`` prefix) otherwise; unquoted legacy tags are quoted.
    """
    if value is None:
        return None
    value = value.strip()
    if value == "*":
        return ["*"]
    tags = [match.group(1) for match in _TAG.finditer(value)]
    if not tags and value:
        tags = [f'"{part.strip()}"' for part in value.split(",") if part.strip()]
    return tags


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def _strong_match(etag: str, tags: list[str]) -> bool:
    if etag.startswith("W/"):
        return False
    return any(tag == etag for tag in tags if not tag.startswith("W/"))


def _weak_match(etag: str, tags: list[str]) -> bool:
    opaque = _opaque(etag)
    return any(_opaque(tag) == opaque for tag in tags)


def validate_etags(autotags: bool = False, debug: bool = False) -> None:
    """Check ``If-Match`` and ``If-None-Match`` against the response ``ETag``.

    With ``autotags`` the ``ETag`` of a 200 response that has none is the MD5 digest of its
    body, whatever the method.  For a 2xx response, ``If-Match`` not matching (strong
    comparison) raises 412; ``If-None-Match`` matching (weak comparison) raises 304 for GET
    and HEAD, 412 for other methods.  Runs once per response.
    """
    response = serving.response
    if hasattr(response, "ETag"):
        return
    request = serving.request
    status = valid_status(response.status)[0]
    etag = response.headers.get("ETag")
    if etag:
        if debug:
            cherrypy.log(f"ETag already set: {etag}", "TOOLS.ETAGS")
    elif autotags and status == 200:
        import hashlib  # here, not at start-up: hashlib loads OpenSSL

        etag = f'"{hashlib.md5(response.collapse_body(), usedforsecurity=False).hexdigest()}"'
        response.headers["ETag"] = etag
        if debug:
            cherrypy.log(f"Setting ETag: {etag}", "TOOLS.ETAGS")
    response.ETag = etag  # type: ignore[attr-defined]
    if not 200 <= status <= 299:
        return
    if_match = entity_tags(request.headers.get("If-Match"))
    if if_match and if_match != ["*"] and not (etag and _strong_match(etag, if_match)):
        raise HTTPError(412, f"If-Match failed: ETag {etag!r} did not match {if_match!r}")
    if_none_match = entity_tags(request.headers.get("If-None-Match"))
    if if_none_match and (if_none_match == ["*"] or (etag and _weak_match(etag, if_none_match))):
        if request.method in _SAFE_METHODS:
            raise HTTPRedirect([], 304)
        raise HTTPError(412, f"If-None-Match failed: ETag {etag!r} matched {if_none_match!r}")


def _not_after(since: str, lastmod: str) -> bool:
    """Whether ``lastmod`` is not later than the date ``since`` (string equality if unparsable)."""
    since_time = parse_http_date(since)
    lastmod_time = parse_http_date(lastmod)
    if since_time is None or lastmod_time is None:
        return since == lastmod
    return lastmod_time <= since_time


def validate_since() -> None:
    """Check ``If-Unmodified-Since`` and ``If-Modified-Since`` against ``Last-Modified``.

    Nothing is checked when the response has no ``Last-Modified``.  Modified since an
    ``If-Unmodified-Since`` date: 412.  Not modified since an ``If-Modified-Since`` date: 304
    for GET and HEAD, 412 for other methods.  Dates are compared as dates, not as strings.
    """
    response = serving.response
    lastmod = response.headers.get("Last-Modified")
    if not lastmod:
        return
    status = valid_status(response.status)[0]
    request = serving.request
    since = request.headers.get("If-Unmodified-Since")
    if since and not _not_after(since, lastmod) and (200 <= status <= 299 or status == 412):
        raise HTTPError(412)
    since = request.headers.get("If-Modified-Since")
    if since and _not_after(since, lastmod) and (200 <= status <= 299 or status == 304):
        if request.method in _SAFE_METHODS:
            raise HTTPRedirect([], 304)
        raise HTTPError(412)
