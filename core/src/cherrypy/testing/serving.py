"""A live test server and the reset of global state between tests (``cherrypy.testing``).

:func:`serve` runs a WSGI application (``cherrypy.tree`` by default) on a real socket on
127.0.0.1 with an ephemeral port, in a background thread, and yields its base URL.  It uses
the ``cherrypy-server`` HTTP server when that plugin is installed (``server="auto"``), else
the standard library's threading WSGI server, so a plugin's tests run over real HTTP with only
the kernel beside it.  :func:`reset` puts the global state (tree, config, pipeline cache) back
between tests.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

__all__ = ["reset", "serve"]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _wsgiref_serve(app: Callable[..., Any]) -> Iterator[str]:
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _cherrypy_server_serve(app: Callable[..., Any]) -> Iterator[str] | None:
    try:
        from cherrypy_server import HTTPServer  # type: ignore[import-not-found]
    except ImportError:
        return None

    def run() -> Iterator[str]:
        with HTTPServer(("127.0.0.1", 0), app, numthreads=8, shutdown_timeout=2) as server:
            host, port = server.bound_addr  # type: ignore[misc,str-unpack]
            yield f"http://{host}:{port}"

    return run()


@contextlib.contextmanager
def serve(app: Callable[..., Any] | None = None, server: str = "auto") -> Iterator[str]:
    """Serve ``app`` (default ``cherrypy.tree``) on 127.0.0.1:<ephemeral>; yield the base URL.

    ``server`` is ``"auto"`` (cherrypy-server if installed, else wsgiref), ``"cherrypy"`` or
    ``"wsgiref"``.
    """
    if app is None:
        import cherrypy

        app = cherrypy.tree
    if server in ("auto", "cherrypy"):
        gen = _cherrypy_server_serve(app)
        if gen is not None:
            with contextlib.contextmanager(lambda: gen)() as url:
                yield url
            return
        if server == "cherrypy":
            raise RuntimeError("cherrypy-server is not installed")
    with contextlib.contextmanager(_wsgiref_serve)(app) as url:
        yield url


def reset() -> None:
    """Unmount every application and restore the global config and the pipeline cache."""
    import cherrypy
    from cherrypy.kernel import pipeline

    cherrypy.tree.apps.clear()
    cherrypy.config.reset()
    cherrypy.config.update({"environment": "test_suite"})
    # The test_suite environment switches the checker off; restore CherryPy's default so a
    # test that relies on checker warnings does not depend on test order.
    cherrypy.checker.on = True
    cherrypy.serving.clear()
    pipeline.invalidate()
