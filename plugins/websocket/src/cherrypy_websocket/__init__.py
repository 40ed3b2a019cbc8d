"""WebSockets (RFC 6455, RFC 7692) and Server-Sent Events for cherrypy-kernel.

A WebSocket endpoint is a path with ``tools.websocket.on`` and a
``tools.websocket.handler_cls``, a subclass of :class:`WebSocket` (ws4py's callbacks:
``opened``, ``received_message``, ``closed``...).  The server's selector thread drives every
connection: an idle WebSocket holds no worker.  ``cherrypy.engine.publish("websocket-broadcast",
message)`` sends to every open WebSocket.  :class:`WebSocketPlugin` and :class:`WebSocketTool`
keep ws4py's set-up lines working.  :class:`EventStream` and :class:`EventHub` (Server-Sent
Events) come from :mod:`cherrypy_websocket.sse`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .manager import WebSocketManager, WebSocketPlugin, manager
from .messaging import BinaryMessage, Message, PongControlMessage, TextMessage
from .tool import WebSocketTool
from .websocket import EchoWebSocket, WebSocket

if TYPE_CHECKING:
    from .connection import Limits, WebSocketConnection
    from .sse import EventHub, EventStream

__all__ = [
    "BinaryMessage",
    "EchoWebSocket",
    "EventHub",
    "EventStream",
    "Limits",
    "Message",
    "PongControlMessage",
    "TextMessage",
    "WebSocket",
    "WebSocketConnection",
    "WebSocketManager",
    "WebSocketPlugin",
    "WebSocketTool",
    "manager",
]

# Imported on first use: wsproto (and hashlib with it) is not paid for at start-up.
_LAZY = {
    "EventStream": "sse",
    "EventHub": "sse",
    "Limits": "connection",
    "WebSocketConnection": "connection",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cherrypy_websocket' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
