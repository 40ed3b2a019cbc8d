"""``cherrypy._cpnative_server``: CherryPy's "native" server, served here through WSGI.

CherryPy 18 offers :class:`CPHTTPServer`, a server that calls ``cherrypy.tree`` without a
WSGI layer in between.  This distribution has one server, which always speaks WSGI to the
application; :class:`CPHTTPServer` is that server configured from a ``cherrypy.server``
adapter and serving ``cherrypy.tree``, so code that builds a native server keeps working::

    from cherrypy._cpnative_server import CPHTTPServer

    cherrypy.server.httpserver = CPHTTPServer(cherrypy.server)
"""

from __future__ import annotations

from typing import Any

from .wsgi_server import CPWSGIServer, TreeApp

__all__ = ["CPHTTPServer"]


class CPHTTPServer(CPWSGIServer):
    """The HTTP server for ``server_adapter`` (``cherrypy.server`` by default), serving the tree.

    Every request goes to the ``cherrypy.tree`` of the moment, as with CherryPy's native
    gateway.
    """

    def __init__(self, server_adapter: Any = None) -> None:
        """Read the ``server.*`` settings from ``server_adapter``."""
        super().__init__(server_adapter, TreeApp())

    def __repr__(self) -> str:
        return f"cherrypy._cpnative_server.CPHTTPServer({self.bind_addr!r})"
