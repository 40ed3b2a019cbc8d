"""Serving the exposition: a WSGI application grafted on ``cherrypy.tree``, or a port of its own.

On the site's own port the page is a plain WSGI callable grafted at ``metrics.path``
(``cherrypy.tree.graft``): it is found like any mounted application, whatever else is mounted,
and answers only that exact path (``/metrics/x`` is a 404).  Being no CherryPy application,
it runs no tool and is not counted in the request families itself.

With ``metrics.port`` the page is served instead by prometheus-client's small threaded WSGI
server on that port, started and stopped with ``cherrypy.engine`` (:class:`ExpositionServer`).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import CollectorRegistry

from cherrypy import plugin as api
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
        """Bind ``host:port`` (or take the socket a reload handed over) and serve in a
        daemon thread."""
        if self.httpd is not None:
            return
        address = (self.host, self.port)
        handed = api.inherited_listener(address)
        if handed is not None:
            sock = handed[0]
            sock.setblocking(True)
        else:
            family = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)[0][0]
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(address)
                sock.listen(128)
            except OSError:
                sock.close()
                raise
        httpd = _server_on(sock, make_wsgi_app(self.registry))
        api.register_listener(sock, address)
        self.thread = threading.Thread(target=httpd.serve_forever, name="metrics", daemon=True)
        self.httpd = httpd
        self.thread.start()
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
            if api.parking():  # engine.restart(): the next image serves this socket
                api.park_listener(httpd.socket, (self.host, self.port))
            else:
                api.unregister_listener(httpd.socket)
                httpd.server_close()
            if self.thread is not None:
                self.thread.join(5)
            self.thread = None


class _QuietHandler(WSGIRequestHandler):
    """Scrapes are not written to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing."""


def _server_on(sock: socket.socket, app: WSGIApp) -> ThreadingWSGIServer:
    """prometheus-client's threaded WSGI server on an already listening ``sock``."""

    class Server(ThreadingWSGIServer):
        address_family = sock.family

    httpd = Server(sock.getsockname()[:2], _QuietHandler, bind_and_activate=False)
    httpd.socket.close()
    httpd.socket = sock
    host, port = sock.getsockname()[:2]
    httpd.server_address = (host, port)
    httpd.server_name = socket.getfqdn(host) if host else "localhost"
    httpd.server_port = port
    httpd.setup_environ()
    httpd.set_app(app)
    return httpd
