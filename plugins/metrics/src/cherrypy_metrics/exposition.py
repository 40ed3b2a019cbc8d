"""Serving the exposition: a WSGI application grafted on ``cherrypy.tree``, or a port of its own.

On the site's own port the page is a plain WSGI callable grafted at ``metrics.path``
(``cherrypy.tree.graft``): it is found like any mounted application, whatever else is mounted,
and answers only that exact path (``/metrics/x`` is a 404).  Being no CherryPy application,
it runs no tool and is not counted in the request families itself.

With ``metrics.port`` the page is served instead by prometheus-client's small threaded WSGI
server on that port, started and stopped with ``cherrypy.engine`` (:class:`ExpositionServer`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import start_wsgi_server
from prometheus_client.registry import CollectorRegistry

from cherrypy.plugin import BusView, SimplePlugin

__all__ = ["ExpositionApp", "ExpositionServer"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ExpositionApp:
    """The WSGI application answering scrapes at one path (``PATH_INFO`` empty or ``/``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        """The registry whose collectors a scrape reads."""
        self.wsgi_app: WSGIApp = make_wsgi_app(registry)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Answer a scrape (GET or OPTIONS; anything but the exact path is a 404)."""
        if environ.get("PATH_INFO", "") not in ("", "/"):
            start_response(
                "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")]
            )
            return []
        return self.wsgi_app(environ, start_response)


class ExpositionServer(SimplePlugin):
    """prometheus-client's exposition server on ``host:port``, running with the engine."""

    def __init__(self, bus: BusView, registry: CollectorRegistry, host: str, port: int) -> None:
        super().__init__(bus)
        self.registry = registry
        self.host = host
        self.port = port
        self.httpd: Any = None
        """The running ``wsgiref`` server (None when stopped)."""
        self.thread: Any = None

    def start(self) -> None:
        """Bind ``host:port`` and serve in a daemon thread."""
        if self.httpd is not None:
            return
        self.httpd, self.thread = start_wsgi_server(self.port, self.host, self.registry)
        self.bus.log(f"Serving metrics on http://{self.host}:{self.bound_port}/")

    start.priority = 80  # type: ignore[attr-defined]

    @property
    def bound_port(self) -> int:
        """The port actually bound (``metrics.port = 0`` picks a free one), or 0 when stopped."""
        return int(self.httpd.server_port) if self.httpd is not None else 0

    def stop(self) -> None:
        """Stop serving and close the socket."""
        httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            if self.thread is not None:
                self.thread.join(5)
            self.thread = None
