"""``VirtualHost``: serve several domains from parts of one object tree.

The dispatcher reads the request's host (the ``X-Forwarded-Host`` header when present and
allowed, else ``Host``), looks it up in ``domains`` and, on a match, prefixes the path with
the domain's virtual path before handing it to the next dispatcher::

    conf = {"/": {"request.dispatch": cherrypy.dispatch.VirtualHost(
        **{"www.example.org": "/org", "shop.example.org:8443": "/shop"})}}

``http://www.example.org/about`` is then served by ``root.org.about``.  Hosts may carry a port
and are compared case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cherrypy.plugin import Dispatcher, RequestView, serving, urljoin

__all__ = ["VirtualHost", "request_host"]


def request_host(headers: Mapping[str, str], use_x_forwarded_host: bool = True) -> str:
    """The host a request was sent to, lower-cased, as named by its headers.

    With ``use_x_forwarded_host`` an ``X-Forwarded-Host`` header wins over ``Host``; when
    proxies chained several values (``a.example, b.example``) the first, the one the client
    asked for, is used.
    """
    host: str = headers.get("Host", "")
    if use_x_forwarded_host:
        forwarded = headers.get("X-Forwarded-Host")
        if forwarded:
            host = forwarded.split(",", 1)[0]
    return host.strip().lower()


class VirtualHost:
    """A dispatcher that maps host names to virtual path prefixes.

    ``next_dispatcher`` (default: a new :class:`~cherrypy.plugin.Dispatcher`) does
    the real dispatch on the prefixed path.  ``use_x_forwarded_host`` (default ``True``, as in
    CherryPy) lets a proxy's ``X-Forwarded-Host`` header choose the host.  ``domains`` maps a
    host (``"example.com"``, ``"example.com:8443"``) to its prefix (``"/site"``); unknown hosts
    are served from the root.
    """

    def __init__(
        self,
        next_dispatcher: Callable[[str], Any] | None = None,
        use_x_forwarded_host: bool = True,
        **domains: str,
    ) -> None:
        self.next_dispatcher: Callable[[str], Any] = (
            Dispatcher() if next_dispatcher is None else next_dispatcher
        )
        """The dispatcher called with the prefixed path."""
        self.use_x_forwarded_host = use_x_forwarded_host
        """Whether ``X-Forwarded-Host`` overrides ``Host``."""
        self.domains: dict[str, str] = {host.lower(): prefix for host, prefix in domains.items()}
        """Host (lower-cased, with optional ``:port``) -> virtual path prefix."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.next_dispatcher!r}, **{self.domains!r})"

    def __call__(self, path_info: str) -> Any:
        """Dispatch ``path_info`` under the prefix of the request's host."""
        request = serving.request
        host = request_host(request.headers, self.use_x_forwarded_host)
        prefix = self.domains.get(host, "")
        if prefix:
            path_info = urljoin(prefix, path_info)
        result = self.next_dispatcher(path_info)
        if prefix:
            _unprefix_staticdir_section(request, prefix.rstrip("/"))
        return result


def _unprefix_staticdir_section(request: RequestView, prefix: str) -> None:
    """Make ``tools.staticdir.section`` relative to the URL the client saw, not the tree."""
    config = request.config
    if not config:
        return
    section = config.get("tools.staticdir.section")
    if section and prefix and (section == prefix or section.startswith(prefix + "/")):
        config["tools.staticdir.section"] = section[len(prefix) :] or "/"
