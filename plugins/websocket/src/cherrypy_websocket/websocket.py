"""The :class:`WebSocket` base class: subclass it and override its callbacks.

The callbacks and methods are ws4py's (``ws4py.websocket.WebSocket``), so a ws4py handler
class ports unchanged: :meth:`~WebSocket.opened`, :meth:`~WebSocket.received_message`,
:meth:`~WebSocket.ponged`, :meth:`~WebSocket.closed`, and :meth:`~WebSocket.send`,
:meth:`~WebSocket.close`, :meth:`~WebSocket.ping`.  What differs is underneath: the server's
selector thread reads the socket and parses frames, and the callbacks run in the server's worker
pool, one at a time per connection and in the order things happened; nothing holds a thread
while the connection is idle.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import cherrypy

from .messaging import Message, PongControlMessage

if TYPE_CHECKING:
    from .connection import WebSocketConnection

__all__ = ["EchoWebSocket", "WebSocket"]


class WebSocket:
    """One WebSocket connection, as the application sees it.

    The tool creates it during the handshake request as
    ``handler_cls(None, protocols, extensions, environ, heartbeat_freq=...)`` (ws4py's
    signature; the first argument, ws4py's socket, is always None here because the server owns
    the socket) and sets it as ``cherrypy.request.ws_handler``.  A subclass that overrides
    ``__init__`` passes its arguments on to this one.
    """

    def __init__(
        self,
        sock: Any = None,
        protocols: list[str] | None = None,
        extensions: list[str] | None = None,
        environ: dict[str, Any] | None = None,
        heartbeat_freq: float | None = None,
    ) -> None:
        self.sock = sock
        """Always None: the server owns the socket (ws4py kept it here)."""
        self.protocols = list(protocols or [])
        """The negotiated subprotocol in a list (``[]`` when none), as in ws4py."""
        self.extensions = list(extensions or [])
        """The negotiated extension names (``["permessage-deflate"]`` or ``[]``)."""
        self.environ = environ
        """A copy of the handshake request's WSGI environ."""
        self.heartbeat_freq = heartbeat_freq
        """Seconds between keep-alive pings (None or 0: none)."""
        self.connection_handler: WebSocketConnection | None = None
        """The protocol driver the server calls (set by the tool before the page handler)."""

    # -- callbacks, run in the worker pool, one at a time per connection, in order ----------

    def opened(self) -> None:
        """The handshake is done and the connection taken over; first callback of all."""

    def received_message(self, message: Message) -> None:
        """A whole message arrived (fragments joined): ``message.data``, ``str(message)``,
        ``message.is_text``, ``message.is_binary``."""

    def ponged(self, pong: PongControlMessage) -> None:
        """A pong arrived (``pong.data`` is its payload)."""

    def closed(self, code: int, reason: str | None = None) -> None:
        """The connection is closed; last callback of all.

        ``code`` is the close code: the peer's (or ours when we closed first), ``1006`` when the
        connection was lost without a close frame, ``1008`` when the outgoing buffer overflowed.
        """

    def unhandled_error(self, error: BaseException) -> None:
        """A callback raised ``error``: it is logged, then the connection closes with 1011."""
        cherrypy.log(
            f"WebSocket callback of {type(self).__name__} failed: {error!r}",
            context="WEBSOCKET",
            severity=logging.ERROR,
            traceback=True,
        )

    # -- actions, safe from any thread, never blocking ---------------------------------------

    def send(
        self, payload: str | bytes | bytearray | Message | Iterable[Any], binary: bool = False
    ) -> None:
        """Send a message: text unless ``binary`` (ws4py's rule: ``str`` or ``bytes``).

        ``payload`` may also be a :class:`~cherrypy_websocket.messaging.Message` (sent as its
        kind) or an iterable/generator of chunks, sent as one fragmented message.  The frame is
        queued and written by the server's selector thread: the call never waits for the client.
        When the client does not read and its queue passes ``max_send_buffer`` the connection
        is aborted and :meth:`closed` receives ``1008``.  Raises :class:`RuntimeError` once the
        connection is closing or closed, like ws4py.
        """
        self._driver().send(payload, binary)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake with ``code`` and ``reason`` (once; later calls do nothing)."""
        self._driver().close(code, reason)

    def ping(self, message: bytes | str = b"") -> None:
        """Send a ping (the peer answers with a pong, see :meth:`ponged`)."""
        self._driver().ping(message)

    # -- state ---------------------------------------------------------------------------------

    @property
    def terminated(self) -> bool:
        """True once the connection is closed (or closing)."""
        driver = self.connection_handler
        return driver is not None and driver.terminated

    @property
    def client_terminated(self) -> bool:
        """True once the client sent its close frame or went away."""
        driver = self.connection_handler
        return driver is not None and driver.client_terminated

    @property
    def server_terminated(self) -> bool:
        """True once this side sent its close frame."""
        driver = self.connection_handler
        return driver is not None and driver.server_terminated

    @property
    def subprotocol(self) -> str | None:
        """The ``Sec-WebSocket-Protocol`` agreed on, or None."""
        return self.protocols[0] if self.protocols else None

    @property
    def peer_address(self) -> Any:
        """The client's address (``(host, port)``), from the connection."""
        return self._address("peername", "REMOTE_ADDR", "REMOTE_PORT")

    @property
    def local_address(self) -> Any:
        """This server's address (``(host, port)``), from the connection."""
        return self._address("sockname", "SERVER_NAME", "SERVER_PORT")

    def _address(self, name: str, host_key: str, port_key: str) -> Any:
        driver = self.connection_handler
        address = driver.extra_info(name) if driver is not None else None
        if address is None and self.environ:
            port = self.environ.get(port_key)
            return (self.environ.get(host_key), int(port) if port else None)
        if isinstance(address, tuple) and len(address) == 4:
            address = address[:2]
        return address

    def _driver(self) -> WebSocketConnection:
        driver = self.connection_handler
        if driver is None:
            raise RuntimeError("this WebSocket is not connected (no handshake was made for it)")
        return driver

    def __repr__(self) -> str:
        state = "closed" if self.terminated else "open"
        return f"<{type(self).__name__} {state} peer={self.peer_address!r}>"


class EchoWebSocket(WebSocket):
    """Send every message back as it came (ws4py's ``EchoWebSocket``)."""

    def received_message(self, message: Message) -> None:
        """Echo ``message`` with its kind."""
        self.send(message.data, message.is_binary)
