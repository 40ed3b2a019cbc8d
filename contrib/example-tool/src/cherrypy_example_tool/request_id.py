"""The ``request_id`` tool callable and its helpers (no plugin machinery here)."""

from __future__ import annotations

import re

import cherrypy

__all__ = ["DEFAULT_HEADER", "is_valid_request_id", "new_request_id", "request_id"]

DEFAULT_HEADER = "X-Request-Id"
"""The response (and, with ``trust_incoming``, request) header the tool uses by default."""

_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    """Return a fresh, random request id (32 lowercase hex digits)."""
    import uuid  # here rather than at start-up (on Python 3.11 it imports platform)

    return uuid.uuid4().hex


def is_valid_request_id(value: str) -> bool:
    """Whether ``value`` is safe to reuse as an id: 1-128 letters, digits, ``. _ : -``.

    Anything else (spaces, control characters, very long values) could forge log lines or
    bloat headers, so an incoming id that fails this check is replaced by a fresh one.
    """
    return _VALID_ID.fullmatch(value) is not None


def request_id(
    header: str = DEFAULT_HEADER, trust_incoming: bool = False, log: bool = True
) -> None:
    """Tag the current request with an id; runs as an ``on_start_resource`` hook.

    ``header`` names the response header carrying the id.  With ``trust_incoming`` an id the
    client (usually a proxy in front of the application) sent in that same request header is
    reused when it is well formed.  With ``log`` the id, method and path go to the error log.
    """
    request = cherrypy.request
    rid = None
    if trust_incoming:
        incoming = request.headers.get(header)
        if incoming and is_valid_request_id(incoming):
            rid = incoming
    if rid is None:
        rid = new_request_id()
    request.request_id = rid
    cherrypy.response.headers[header] = rid
    if log:
        cherrypy.log(f"{request.method} {request.path_info} {header}={rid}", "REQUEST_ID")
