"""Run ``cherrypy.engine`` for a test without its HTTP server (``engine_without_server``).

The engine's start and stop subscribers (session cleanup, the checker, a plugin's own
services) run as they do in production; the HTTP server adapter (``cherrypy.server``, from
cherrypy-server) is unsubscribed for the duration, so no socket is bound, and subscribed again
afterwards if it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["engine_without_server"]


def _server_adapter() -> Any:
    from cherrypy.kernel.runtime import get_server

    try:
        return get_server()
    except (AttributeError, ImportError):
        return None  # cherrypy-server is not installed: there is nothing to keep off


class _KeepServerOff:
    """An engine setup callback (registered once) that unsubscribes the server while active.

    The plugins' engine setup subscribes ``cherrypy.server`` during the first
    ``engine.start()``; this callback runs after it, in the same start.
    """

    def __init__(self) -> None:
        self.server: Any = None
        self.was_subscribed = False

    def __call__(self, bus: Any) -> None:
        server = self.server
        if server is not None and server.start in bus.listeners.get("start", ()):
            self.was_subscribed = True
            server.unsubscribe()


_keep_server_off = _KeepServerOff()


@contextlib.contextmanager
def engine_without_server() -> Iterator[None]:
    """Start ``cherrypy.engine`` with the HTTP server unsubscribed; exit it afterwards.

    The engine ends with ``engine.exit()`` (its ``stop`` and ``exit`` subscribers run, as at
    the end of a served process); a later start works as usual.  An engine that is already
    started is left alone (and left running).
    """
    import cherrypy

    engine = cherrypy.engine
    if engine.state not in (engine.states.STOPPED, engine.states.EXITING):
        yield
        return
    server = _server_adapter()
    if _keep_server_off not in engine.setup_callbacks:
        engine.setup_callbacks.append(_keep_server_off)
    _keep_server_off.server = server
    _keep_server_off.was_subscribed = False
    _keep_server_off(engine)
    try:
        engine.start()
    except BaseException:
        _restore(server)
        raise
    try:
        yield
    finally:
        try:
            engine.exit()
        finally:
            _restore(server)


def _restore(server: Any) -> None:
    was_subscribed = _keep_server_off.was_subscribed
    _keep_server_off.server = None
    _keep_server_off.was_subscribed = False
    if server is not None and was_subscribed:
        server.subscribe()
