"""``cherrypy._cpwsgi_server``: the HTTP server configured from a ``cherrypy.server`` adapter."""

from __future__ import annotations

import sys
from typing import Any

from .server import HTTPServer
from .tls import context_from_settings

__all__ = ["CPWSGIServer", "TreeApp"]


class TreeApp:
    """A WSGI application that looks ``cherrypy.tree`` up on every request.

    Replacing ``cherrypy.tree`` (as some test suites do) takes effect at once.
    """

    __slots__ = ("_cherrypy",)

    def __init__(self) -> None:
        """Create the application; ``cherrypy`` is imported on the first request."""
        self._cherrypy: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Serve the request with the current ``cherrypy.tree``."""
        module = self._cherrypy
        if module is None:
            import cherrypy

            module = self._cherrypy = cherrypy
        return module.tree(environ, start_response)


def _cherrypy_version() -> str:
    module = sys.modules.get("cherrypy")
    return getattr(module, "__version__", None) or "18.10.0"


class CPWSGIServer(HTTPServer):
    """An :class:`~cherrypy_server.server.HTTPServer` taking its settings from an adapter.

    ``server_adapter`` is a :class:`cherrypy_server.adapter.Server` (``cherrypy.server`` by
    default); ``wsgi_app`` defaults to :class:`TreeApp`.  Errors go to ``cherrypy.engine``'s
    log, as in CherryPy.  ``CONNECT host:port`` requests reach the application with
    ``PATH_INFO`` ``/host:port``, as CherryPy's server passes them.
    """

    def __init__(self, server_adapter: Any = None, wsgi_app: Any = None) -> None:
        """Read every ``server.*`` setting from ``server_adapter``."""
        if server_adapter is None:
            import cherrypy

            server_adapter = cherrypy.server
        self.server_adapter = adapter = server_adapter
        super().__init__(
            adapter.bind_addr,
            wsgi_app if wsgi_app is not None else TreeApp(),
            adapter.thread_pool,
            adapter.socket_host or adapter.socket_file or None,
            max=adapter.thread_pool_max,
            request_queue_size=adapter.socket_queue_size,
            timeout=adapter.socket_timeout,
            shutdown_timeout=adapter.shutdown_timeout,
            accepted_queue_size=adapter.accepted_queue_size,
            accepted_queue_timeout=adapter.accepted_queue_timeout,
            ssl_context=context_from_settings(adapter),
            max_request_header_size=adapter.max_request_header_size or 0,
            max_request_uri_size=getattr(adapter, "max_request_uri_size", 64 * 1024) or 0,
            max_request_body_size=adapter.max_request_body_size or 0,
            max_request_header_line_size=getattr(adapter, "max_request_header_line_size", 65536)
            or 0,
            protocol=adapter.protocol_version,
            nodelay=adapter.nodelay,
            version=f"CherryPy/{_cherrypy_version()}",
            allow_connect=True,
            body_timeout=getattr(adapter, "body_timeout", 300),
            body_min_rate=getattr(adapter, "body_min_rate", 1024),
            response_min_rate=getattr(adapter, "response_min_rate", 1024),
            body_workers=getattr(adapter, "body_workers", -1),
            extra_addresses=getattr(adapter, "extra_addresses", ()) or (),
            socket_fd=getattr(adapter, "socket_fd", None),
            reuse_port=bool(getattr(adapter, "reuse_port", False)),
        )
        self.stats["Enabled"] = bool(getattr(adapter, "statistics", False))

    def __repr__(self) -> str:
        return f"cherrypy._cpwsgi_server.CPWSGIServer({self.bind_addr!r})"

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Write ``msg`` to the engine log (``cherrypy.engine.log``)."""
        import cherrypy

        cherrypy.engine.log(msg, level, traceback)
