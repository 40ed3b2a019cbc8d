"""The pluggy plugin of cherrypy-websocket (entry point ``cherrypy.plugins: websocket``).

It registers ``tools.websocket`` (:class:`~cherrypy_websocket.tool.WebSocketTool`), declares
its config keys and subscribes the ``websocket-broadcast`` engine channel.
``CHERRYPY_PLUGIN_API`` states the plugin API range it supports (1.1 brought the connection
take-over seam this plugin is built on).
"""

from __future__ import annotations

from typing import Any

from cherrypy.plugin import KeyDeclarer, Toolbox, hookimpl

from .manager import subscribe_broadcast
from .tool import WebSocketTool

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "WEBSOCKET_TOOL",
    "cherrypy_config_keys",
    "cherrypy_engine_setup",
    "cherrypy_register_tools",
]

CHERRYPY_PLUGIN_API = ">=1.1,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""

WEBSOCKET_TOOL = WebSocketTool()
"""The ``cherrypy.tools.websocket`` instance."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``websocket`` to the toolbox."""
    toolbox.websocket = WEBSOCKET_TOOL


@hookimpl
def cherrypy_engine_setup(engine: Any) -> None:
    """Subscribe the ``websocket-broadcast`` channel."""
    subscribe_broadcast(engine)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.websocket.*``."""
    checker.declare_tool(
        "websocket",
        WEBSOCKET_TOOL,
        {
            "handler_cls": "The cherrypy_websocket.WebSocket subclass (or its dotted name) "
            "created for each connection.",
            "protocols": "Subprotocols this endpoint speaks, preferred first "
            "(Sec-WebSocket-Protocol).",
            "allowed_origins": "Origins allowed to connect ('*' for any browser origin; None "
            "in the list admits clients that send no Origin); None: no check.",
            "compression": "Accept permessage-deflate (RFC 7692) when the client offers it.",
            "heartbeat_freq": "Seconds between keep-alive pings; a peer that does not answer "
            "within another period is closed (1011).  None or 0: no pings.",
            "max_message_size": "Largest incoming message in bytes (after inflating); larger "
            "closes with 1009.  None: no limit.",
            "max_frame_size": "Largest incoming frame payload in bytes; larger closes with "
            "1009.  None: only the message limit.",
            "max_send_buffer": "Most bytes queued for a client that does not read; beyond, the "
            "connection is dropped and closed() gets 1008.",
            "close_timeout": "Seconds to wait for the peer's close frame after ours.",
        },
        doc="Make the path a WebSocket endpoint (RFC 6455) driven by the server's selector.",
    )
