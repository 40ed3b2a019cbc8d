"""Support for the applications that cherrypy-process's tests run in subprocesses.

Not a test module: the tests put this directory on the subprocesses' ``PYTHONPATH``, and the
application scripts they write call :func:`serve_on` to get an HTTP server on the engine.
That is ``cherrypy.server`` (cherrypy-server), or, when the tests set
``CHERRYPY_PROCESS_TEST_SERVER=wsgiref`` (they do when cherrypy-server is not installed), a
small wsgiref server driven by the engine's ``start``/``stop`` channels, so that these tests
also run with only the kernel beside this distribution.
"""

from __future__ import annotations

import os
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import cherrypy
from cherrypy.process.plugins import SimplePlugin


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class WsgirefServer(SimplePlugin):
    """Serve ``cherrypy.tree`` on 127.0.0.1:``port`` while the engine runs."""

    def __init__(self, bus: Any, port: int) -> None:
        super().__init__(bus)
        self.port = port
        self.httpd: WSGIServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.httpd = make_server(
            "127.0.0.1",
            self.port,
            cherrypy.tree,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.bus.log(f"Serving on http://127.0.0.1:{self.port}")

    start.priority = 75  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.httpd is None:
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread is not None:
            self.thread.join(5)
        self.httpd = self.thread = None
        self.bus.log(f"Test server on port {self.port} shut down")


def serve_on(port: int) -> None:
    """Arrange for the engine to serve ``cherrypy.tree`` on 127.0.0.1:``port``."""
    if os.environ.get("CHERRYPY_PROCESS_TEST_SERVER") == "wsgiref":
        WsgirefServer(cherrypy.engine, port).subscribe()
    else:
        cherrypy.config.update({"server.socket_host": "127.0.0.1", "server.socket_port": port})


def record(channel: str, path: str) -> None:
    """Append ``channel`` and the pid to the file ``path`` each time the engine publishes it."""

    def write() -> None:
        with open(path, "a") as file:
            file.write(f"{channel} {os.getpid()}\n")

    cherrypy.engine.subscribe(channel, write)
