"""The connection take-over seam: long-lived connections that never hold a worker.

A request handler (or a tool) may ask the HTTP server to hand it the request's connection once
the response head has been written: a WebSocket after its ``101 Switching Protocols``, a
Server-Sent Events stream after its ``200``.  From then on the server's selector thread drives
the connection and calls the :class:`ConnectionHandler` given to :func:`take_over_connection`;
an idle connection costs a file descriptor and a few objects, never a thread.

The server offers the seam through the WSGI environ key :data:`TAKEOVER_ENVIRON_KEY`, a
callable ``offer(handler)``; a server without it (gunicorn, any other WSGI server) makes
:func:`take_over_connection` raise :class:`TakeoverUnavailable`.  ``cherrypy-server`` provides
it.

Rules for handlers (the server relies on them):

- :meth:`ConnectionHandler.connection_made`, :meth:`~ConnectionHandler.data_received`,
  :meth:`~ConnectionHandler.eof_received`, :meth:`~ConnectionHandler.connection_lost`,
  :meth:`~ConnectionHandler.server_stopping` and timer callbacks run in the server's selector
  thread, one at a time.  They must return quickly and never block: parse, decide, and move
  application work to the worker pool with :meth:`Transport.submit`.
- :meth:`Transport.write`, :meth:`Transport.close` and :meth:`Transport.submit` may be called
  from any thread; writes never block the caller: they are buffered and sent by the selector
  thread.  :meth:`Transport.get_write_buffer_size` tells how much waits, so a handler can
  refuse to queue more for a client that does not read.
- When the response was sent with ``Transfer-Encoding: chunked``, :meth:`Transport.write`
  frames each write as one chunk and :meth:`Transport.close` ends the body with the last
  chunk first; otherwise bytes are written as given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .context import serving

__all__ = [
    "TAKEOVER_ENVIRON_KEY",
    "ConnectionHandler",
    "TakeoverUnavailable",
    "TimerHandle",
    "Transport",
    "take_over_connection",
    "takeover_available",
]

TAKEOVER_ENVIRON_KEY = "cherrypy.take_over"
"""WSGI environ key under which a server offers ``offer(handler)``."""


class TakeoverUnavailable(RuntimeError):
    """The server running this request cannot hand its connection over.

    Raised by :func:`take_over_connection` under a WSGI server other than cherrypy-server (or
    for a request that is not served over a connection, such as ``cherrypy.testing`` without
    a server).
    """


@runtime_checkable
class TimerHandle(Protocol):
    """What :meth:`Transport.call_later` returns."""

    def cancel(self) -> None:
        """Do not run the callback (nothing happens if it already ran)."""


@runtime_checkable
class Transport(Protocol):
    """A taken-over connection, as the server gives it to :meth:`ConnectionHandler.connection_made`."""

    def write(self, data: bytes) -> None:
        """Queue ``data`` for sending (any thread; never blocks); ignored once closing."""

    def close(self) -> None:
        """Send what is queued, then close (any thread).  ``connection_lost`` follows."""

    def abort(self) -> None:
        """Close at once, dropping what is queued (any thread)."""

    def is_closing(self) -> bool:
        """True once :meth:`close` or :meth:`abort` was called or the peer went away."""

    def get_write_buffer_size(self) -> int:
        """Bytes queued and not yet accepted by the socket."""

    def pause_reading(self) -> None:
        """Stop calling ``data_received`` until :meth:`resume_reading` (selector thread)."""

    def resume_reading(self) -> None:
        """Call ``data_received`` again for new bytes (any thread)."""

    def submit(self, job: Callable[[], Any]) -> None:
        """Run ``job()`` in the server's worker pool (any thread).

        Jobs of one connection are not ordered among themselves by the pool: a handler that
        needs order keeps its own queue and submits one job at a time.  Exceptions a job
        raises are logged by the server.  Jobs submitted while the server stops gracefully
        still run; after it stopped they may not.
        """

    def call_later(self, delay: float, callback: Callable[[], Any]) -> TimerHandle:
        """Run ``callback()`` in the selector thread after ``delay`` seconds (any thread)."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Connection details: ``"peername"``, ``"sockname"``, ``"sslobject"``, ``"environ"``
        (the WSGI environ of the request that was taken over), ``"socket"``."""


class ConnectionHandler(Protocol):
    """What a plugin gives :func:`take_over_connection`; called in the selector thread."""

    def connection_made(self, transport: Transport) -> None:
        """The response head (and body so far) is out; ``transport`` is the connection.

        Bytes the client sent after the request, already read by the server, follow at once
        through :meth:`data_received`.
        """

    def data_received(self, data: bytes) -> None:
        """Bytes from the client (never empty)."""

    def eof_received(self) -> None:
        """The client closed its side; the server closes the connection afterwards."""

    def connection_lost(self, exc: BaseException | None) -> None:
        """The connection is closed (``exc`` is the error, or None for a clean close).

        Also called, without ``connection_made`` before it, when the server does not take
        the connection over after all (the application answered an error, the server is
        stopping), so that a handler registered somewhere is always cleaned up.
        """

    def server_stopping(self) -> None:
        """The server is stopping gracefully: say goodbye and :meth:`Transport.close`.

        Connections still open after the server's ``shutdown_timeout`` are aborted.
        """


def takeover_available(environ: dict[str, Any] | None = None) -> bool:
    """True when the server running the current request (or ``environ``) offers take-over."""
    if environ is None:
        environ = getattr(serving.request, "wsgi_environ", None) or {}
    return callable(environ.get(TAKEOVER_ENVIRON_KEY))


def take_over_connection(handler: ConnectionHandler, environ: dict[str, Any] | None = None) -> None:
    """Hand the current request's connection to ``handler`` once its response head is out.

    Call it while handling the request (a page handler, a tool), then answer normally: the
    status and headers (``101`` and the upgrade headers, or ``200`` with a streaming body) go
    out first, then the server calls ``handler.connection_made(transport)``.  The connection is
    never reused for another HTTP request.  Raises :class:`TakeoverUnavailable` when the server
    does not offer it.
    """
    if environ is None:
        environ = getattr(serving.request, "wsgi_environ", None) or {}
    offer = environ.get(TAKEOVER_ENVIRON_KEY)
    if not callable(offer):
        raise TakeoverUnavailable(
            "this server cannot hand connections over (long-lived connections need "
            "cherrypy-server: install cherrypy-server and serve with cherrypy.quickstart, "
            "cherrypy.engine.start() or python -m cherrypy serve)"
        )
    offer(handler)
