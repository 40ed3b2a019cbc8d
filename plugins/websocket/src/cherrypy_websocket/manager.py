"""The open WebSockets of the process, and the ``websocket-broadcast`` engine channel.

:data:`manager` tracks every connected :class:`~cherrypy_websocket.WebSocket` (from the
take-over to ``connection_lost``).  ``cherrypy.engine.publish("websocket-broadcast", message)``
calls :meth:`WebSocketManager.broadcast`, as ws4py's ``WebSocketPlugin`` did;
:class:`WebSocketPlugin` is kept so that ws4py's ``WebSocketPlugin(cherrypy.engine).subscribe()``
still works (the channel is subscribed already; subscribing again changes nothing).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import cherrypy
from cherrypy.plugin import SimplePlugin

if TYPE_CHECKING:
    from .websocket import WebSocket

__all__ = ["BROADCAST_CHANNEL", "WebSocketManager", "WebSocketPlugin", "manager"]

BROADCAST_CHANNEL = "websocket-broadcast"
"""The engine channel whose messages go to every open WebSocket."""


class WebSocketManager:
    """The set of open WebSockets (ws4py's ``WebSocketManager``, without its thread)."""

    def __init__(self) -> None:
        self._sockets: set[WebSocket] = set()
        self._lock = threading.Lock()

    def add(self, websocket: WebSocket) -> None:
        """Track ``websocket`` (called when its connection is taken over)."""
        with self._lock:
            self._sockets.add(websocket)

    def remove(self, websocket: WebSocket) -> None:
        """Forget ``websocket`` (called when its connection is lost)."""
        with self._lock:
            self._sockets.discard(websocket)

    def __len__(self) -> int:
        return len(self._sockets)

    def __iter__(self) -> Iterator[WebSocket]:
        with self._lock:
            return iter(list(self._sockets))

    def __contains__(self, websocket: object) -> bool:
        return websocket in self._sockets

    def broadcast(self, message: Any, binary: bool = False) -> None:
        """Send ``message`` to every open WebSocket (from any thread; never blocks).

        A socket that is closing is skipped; a socket whose client does not read is dropped
        by its own send-buffer limit, without slowing the others.
        """
        for websocket in self:
            try:
                websocket.send(message, binary)
            except RuntimeError:
                pass  # closed between the snapshot and the send
            except Exception:
                cherrypy.log(
                    f"websocket-broadcast to {websocket!r} failed",
                    context="WEBSOCKET",
                    severity=logging.ERROR,
                    traceback=True,
                )

    def close_all(self, code: int = 1001, message: str = "Server is shutting down") -> None:
        """Start the closing handshake on every open WebSocket."""
        for websocket in self:
            websocket.close(code, message)


manager = WebSocketManager()
"""The process's open WebSockets."""


def subscribe_broadcast(bus: Any) -> None:
    """Subscribe :data:`manager`'s ``broadcast`` to ``websocket-broadcast`` on ``bus``."""
    bus.subscribe(BROADCAST_CHANNEL, manager.broadcast)


class WebSocketPlugin(SimplePlugin):
    """ws4py's engine plugin, kept so that ``WebSocketPlugin(cherrypy.engine).subscribe()`` works.

    The plugin of this distribution already subscribes the ``websocket-broadcast`` channel
    and the server already drives every WebSocket, so :meth:`subscribe` only makes sure of the
    former; :attr:`manager` is the process's :class:`WebSocketManager`.
    """

    def __init__(self, bus: Any) -> None:
        super().__init__(bus)
        self.manager = manager

    def subscribe(self) -> None:
        """Subscribe ``websocket-broadcast`` (again: no effect) and :meth:`stop`."""
        super().subscribe()
        subscribe_broadcast(self.bus)

    def stop(self) -> None:
        """Close every WebSocket with 1001 when the engine stops (as ws4py's plugin did)."""
        self.manager.close_all()

    def broadcast(self, message: Any, binary: bool = False) -> None:
        """Send ``message`` to every open WebSocket (ws4py's ``WebSocketPlugin.broadcast``)."""
        self.manager.broadcast(message, binary)
