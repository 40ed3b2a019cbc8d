"""cherrypy-server: the built-in HTTP/1.1 WSGI server of cherrypy-kernel.

``cherrypy.server`` (:mod:`cherrypy_server.adapter`) drives an :class:`HTTPServer` from the
engine; the server itself serves any WSGI application::

    from cherrypy_server import HTTPServer

    server = HTTPServer(("127.0.0.1", 8080), app)
    server.start()  # serves until server.stop() is called from another thread
"""

from __future__ import annotations

__version__ = "0.1.0"

from .gateway import FileWrapper
from .protocol import Limits, ProtocolError
from .server import HTTPServer

__all__ = ["FileWrapper", "HTTPServer", "Limits", "ProtocolError", "__version__"]
