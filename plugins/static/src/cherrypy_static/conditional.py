"""Validators of a served file and the conditional requests that test them (RFC 9110 §13).

A file gets two validators: ``Last-Modified`` (its modification time, whole seconds) and a
strong ``ETag`` made of its modification time in nanoseconds and its size.  The request's
preconditions are evaluated in the RFC's order:

1. ``If-Match`` (else ``If-Unmodified-Since``): when false, ``412 Precondition Failed``;
2. ``If-None-Match`` (else ``If-Modified-Since``, for GET and HEAD only): when false,
   ``304 Not Modified`` for GET and HEAD, ``412`` for other methods.

``If-Range`` is answered by :func:`if_range_holds` for the range code.  These helpers belong
to this plugin only; ``tools.etags`` and ``cherrypy.lib.cptools.validate_since`` are provided
by other distributions.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from email.utils import formatdate
from functools import lru_cache
from typing import Any, NamedTuple

from cherrypy.plugin import HeaderMap, HTTPError, HTTPRedirect, parse_http_date

__all__ = [
    "Validators",
    "etag_matches",
    "evaluate_preconditions",
    "if_range_holds",
    "validators_for",
]


@lru_cache(maxsize=1024)
def _http_date(seconds: int) -> str:
    """``seconds`` as an IMF-fixdate, cached: the same files are served again and again."""
    return formatdate(seconds, usegmt=True)


_ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')


class Validators(NamedTuple):
    """What a conditional request may be tested against."""

    etag: str | None
    """The strong entity tag, quotes included (``"17f3a...-1a"``), or None."""
    modified: int | None
    """Last modification, in whole seconds since the epoch, or None."""
    last_modified: str | None
    """:attr:`modified` as an HTTP date, the ``Last-Modified`` header value."""

    def apply(self, headers: Any) -> None:
        """Write ``Last-Modified`` and ``ETag`` into the response ``headers``."""
        if self.last_modified is not None:
            headers["Last-Modified"] = self.last_modified
        if self.etag is not None:
            headers["ETag"] = self.etag


_VALIDATORS: dict[tuple[int, int], Validators] = {}
"""Validators of whole files already served, by (mtime in ns, size); bounded."""


def validators_for(info: os.stat_result, offset: int = 0, now: float | None = None) -> Validators:
    """The validators of a regular file with ``stat`` result ``info``.

    ``offset`` is where the served bytes start (non-zero only for a file object handed over
    part-read).  A modification time in the future is replaced by ``now`` (RFC 9110
    §8.8.2.1), so ``Last-Modified`` never lies ahead of ``Date``.
    """
    current = int(time.time() if now is None else now)
    if not offset:
        key = (info.st_mtime_ns, info.st_size)
        found = _VALIDATORS.get(key)
        if found is not None and found.modified is not None and found.modified <= current:
            # (a file modified "in the future" is answered afresh until that time passes)
            return found
    tag = f"{info.st_mtime_ns:x}-{info.st_size:x}"
    if offset:
        tag += f"-{offset:x}"
    modified: int | None = int(info.st_mtime)
    clamped = modified is not None and modified > current
    if clamped:
        modified = current
    try:
        text: str | None = _http_date(modified)
    except (ValueError, OverflowError, OSError):
        modified = text = None
    made = Validators(etag=f'"{tag}"', modified=modified, last_modified=text)
    if not offset and not clamped and modified is not None:
        if len(_VALIDATORS) >= 1024:
            _VALIDATORS.clear()
        _VALIDATORS[key] = made
    return made


def _tags(field: str) -> list[tuple[bool, str]] | None:
    """Parse an entity-tag list into (weak, opaque-tag) pairs; None if malformed."""
    tags = []
    pos = 0
    length = len(field)
    while pos < length:
        match = _ENTITY_TAG.match(field, pos)
        if match is None:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
    return tags


def etag_matches(field: str, etag: str | None, strong: bool) -> bool:
    """Whether the ``If-Match`` / ``If-None-Match`` list ``field`` matches ``etag``.

    ``*`` matches any existing representation.  ``strong`` asks for the strong comparison
    (If-Match): weak tags never match.  A malformed list matches nothing.
    """
    if etag is None:
        return False
    if field.strip() == "*":
        return True
    tags = _tags(field)
    if not tags:
        return False
    return any(tag == etag and not (strong and weak) for weak, tag in tags)


def _status_is_success(response: Any) -> bool:
    status = response.status
    if status is None or status == "":
        return True
    try:
        code = int(str(status).split(None, 1)[0])
    except (ValueError, IndexError):
        return True
    return 200 <= code < 300


_CONDITIONS = frozenset({"If-Match", "If-Unmodified-Since", "If-None-Match", "If-Modified-Since"})


def evaluate_preconditions(
    method: str, headers: Mapping[str, str], response: Any, validators: Validators
) -> None:
    """Raise ``412`` or ``304`` if the request's preconditions say so; else return.

    Evaluated only when the response would otherwise be a success (2xx), as RFC 9110
    requires: an error page served from a file is never turned into a 304.  A 304 keeps the
    ``ETag`` header already set on ``response``.
    """
    if headers.__class__ is HeaderMap and _CONDITIONS.isdisjoint(headers):
        return  # (a HeaderMap's keys are title-cased: none of the four is there)
    if not _status_is_success(response):
        return
    get = headers.get
    if_match = get("If-Match")
    if if_match is not None:
        if not etag_matches(if_match, validators.etag, strong=True):
            raise HTTPError(412)
    else:
        since = get("If-Unmodified-Since")
        if since is not None and validators.modified is not None:
            limit = parse_http_date(since)
            if limit is not None and validators.modified > limit:
                raise HTTPError(412)
    safe = method in ("GET", "HEAD")
    if_none_match = get("If-None-Match")
    if if_none_match is not None:
        if etag_matches(if_none_match, validators.etag, strong=False):
            if safe:
                raise HTTPRedirect([], 304)
            raise HTTPError(412)
    elif safe and validators.modified is not None:
        since = get("If-Modified-Since")
        if since is not None:
            limit = parse_http_date(since)
            if limit is not None and validators.modified <= limit:
                raise HTTPRedirect([], 304)


def if_range_holds(field: str | None, validators: Validators) -> bool:
    """Whether a ``Range`` may be honoured given the request's ``If-Range`` ``field``.

    True without an ``If-Range``.  An entity tag must match strongly; a date must equal
    ``Last-Modified`` exactly.  Anything else means "send the whole file".
    """
    if field is None:
        return True
    field = field.strip()
    if field.startswith(('"', "W/")):
        return validators.etag is not None and field == validators.etag
    if validators.modified is None:
        return False
    return parse_http_date(field) == float(validators.modified)
