"""Method and media-type negotiation: ``tools.allow``, ``tools.accept``, ``tools.autovary``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import cherrypy
from cherrypy.plugin import HeaderMap, HTTPError, serving

__all__ = ["MonitoredHeaderMap", "accept", "allow", "autovary"]

_AUTOVARY_IGNORED = frozenset({"Content-Disposition", "Content-Length", "Content-Type"})


def allow(methods: str | Sequence[str] | None = None, debug: bool = False) -> None:
    """Answer 405 unless the request method is one of ``methods`` (default GET and HEAD).

    ``methods`` is one method name or a list of them, in any case.  Allowing GET allows HEAD
    too.  The ``Allow`` response header lists the allowed methods whatever the outcome.
    """
    if isinstance(methods, (tuple, list)):
        listed: Sequence[str] = methods
    else:
        listed = [methods] if isinstance(methods, str) else []
    allowed = [m.upper() for m in listed if m]
    if not allowed:
        allowed = ["GET", "HEAD"]
    elif "GET" in allowed and "HEAD" not in allowed:
        allowed.append("HEAD")
    serving.response.headers["Allow"] = ", ".join(allowed)
    method = serving.request.method
    if debug:
        cherrypy.log(f"request.method {method!r} allowed: {allowed!r}", "TOOLS.ALLOW")
    if method not in allowed:
        raise HTTPError(405)


def accept(media: str | Sequence[str] | None = None, debug: bool = False) -> str | None:
    """Return the first of ``media`` the client accepts, by its ``Accept`` preferences.

    ``media`` is the media type (or list of them) the resource can produce; without it
    nothing is checked and None is returned.  ``*/*`` and ``type/*`` ranges match, ranges
    with ``q=0`` never do, and a request without ``Accept`` accepts the first type.  When
    nothing matches, 406 Not Acceptable is raised with a message listing ``media``.
    """
    if not media:
        return None
    offered = [media] if isinstance(media, (str, bytes)) else list(media)
    request = serving.request
    ranges = request.headers.elements("Accept")
    if not ranges:
        return offered[0]
    for element in ranges:
        if element.qvalue <= 0:
            continue
        wanted = element.value
        found: str | None
        if wanted == "*/*":
            found = offered[0]
        elif wanted.endswith("/*"):
            prefix = wanted[:-1]
            found = next((m for m in offered if m.startswith(prefix)), None)
        else:
            found = wanted if wanted in offered else None
        if found is not None:
            if debug:
                cherrypy.log(f"Match due to {wanted}", "TOOLS.ACCEPT")
            return found
    sent = request.headers.get("Accept")
    if sent is None:
        msg = "Your client did not send an Accept header."
    else:
        msg = f"Your client sent this Accept header: {sent}."
    msg += f" But this resource only emits these media types: {', '.join(offered)}."
    raise HTTPError(406, msg)


class MonitoredHeaderMap(HeaderMap):
    """Request headers that remember the name of every header looked up in them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.accessed_headers: set[str] = set()
        super().__init__(*args, **kwargs)

    def transform_key(self, key: Any) -> Any:  # type: ignore[override]
        """Record ``key`` (title-cased) as accessed, then return it title-cased."""
        transformed = HeaderMap.transform_key(key)
        accessed = self.__dict__.get("accessed_headers")
        if accessed is not None:
            accessed.add(transformed)
        return transformed


def autovary(ignore: Iterable[str] | None = None, debug: bool = False) -> None:
    """Fill the ``Vary`` response header with the request headers the application read.

    The request headers are swapped for a :class:`MonitoredHeaderMap`; just before the
    response is finalised, every header looked up (except those in ``ignore``, by default
    Content-Disposition, Content-Length and Content-Type) is added to ``Vary``.
    """
    request = serving.request
    monitored = MonitoredHeaderMap()
    dict.update(monitored, request.headers)
    request.headers = monitored
    ignored = _AUTOVARY_IGNORED if ignore is None else frozenset(ignore)

    def set_vary() -> None:
        headers = serving.response.headers
        names = {element.value for element in headers.elements("Vary")}
        names |= monitored.accessed_headers
        if getattr(request.handler, "attempted_charsets", None):
            # tools.encode read Accept-Charset to pick the charset (bypassing the map).
            names.add("Accept-Charset")
        names -= ignored
        if debug:
            cherrypy.log(f"Accessed headers: {monitored.accessed_headers}", "TOOLS.AUTOVARY")
        if names:
            headers["Vary"] = ", ".join(sorted(names))

    request.hooks.attach("before_finalize", set_vary, priority=95)
