"""``tools.websocket``: make a path a WebSocket endpoint by config.

::

    {"/ws": {"tools.websocket.on": True, "tools.websocket.handler_cls": ChatSocket}}

At ``before_handler`` (priority 70: after ``tools.auth_basic``/``auth_digest`` at 1, after
``tools.sessions``, which loads at ``before_request_body``, and after ``tools.session_auth``
at 50) :func:`upgrade` checks the handshake, creates the handler as
``cherrypy.request.ws_handler`` and sets the ``101`` status and headers.  The page handler
then runs as usual (usually an empty method, as with ws4py; what it returns is dropped).  At
``before_finalize`` (priority 10) :func:`complete` hands the connection to the server when the
response is still the ``101`` (a page handler or a tool that answered otherwise, a redirect or
an error, keeps its answer and nothing is taken over).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

import cherrypy
from cherrypy.plugin import PipelineBuilder, Tool, take_over_connection, takeover_available

from .manager import manager, subscribe_broadcast
from .websocket import WebSocket

# wsproto (with hashlib, h11...) is imported on the first handshake, not when the plugin
# loads: every application pays for what the plugin imports at start-up.
MIB = 1024 * 1024

__all__ = ["WebSocketTool", "complete", "spell_headers", "upgrade"]

TOOL_PRIORITY = 70
"""``before_handler`` priority of the handshake: after the auth and session tools."""

FINALIZE_PRIORITY = 10
"""``before_finalize`` priority of the take-over: before tools that touch the body."""


def _resolve_handler_cls(handler_cls: Any) -> type[WebSocket]:
    if isinstance(handler_cls, str):
        module_name, sep, attr = handler_cls.partition(":")
        if not sep:
            module_name, _, attr = handler_cls.rpartition(".")
        try:
            handler_cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise TypeError(
                f"tools.websocket.handler_cls {handler_cls!r} cannot be imported: {exc}"
            ) from exc
    if not (isinstance(handler_cls, type) and issubclass(handler_cls, WebSocket)):
        raise TypeError(
            "tools.websocket.handler_cls must be a subclass of cherrypy_websocket.WebSocket, "
            f"not {handler_cls!r}"
        )
    return handler_cls


def _opened(websocket: WebSocket) -> None:
    if not len(manager):
        subscribe_broadcast(cherrypy.engine)
    manager.add(websocket)


def upgrade(
    handler_cls: Any = WebSocket,
    protocols: Iterable[str] | None = None,
    allowed_origins: Iterable[str | None] | None = None,
    compression: bool = True,
    heartbeat_freq: float | None = None,
    max_message_size: int | None = MIB,
    max_frame_size: int | None = None,
    max_send_buffer: int = 4 * MIB,
    close_timeout: float = 5.0,
) -> None:
    """Check the WebSocket handshake and prepare the ``101`` (``before_handler``)."""
    from .connection import Limits, WebSocketConnection
    from .handshake import negotiate

    request = cherrypy.serving.request
    if request.handler is None:  # a tool before us answered (session_auth's login page...)
        return
    cls = _resolve_handler_cls(handler_cls)
    handshake = negotiate(
        request.method,
        tuple(request.protocol),  # type: ignore[arg-type]
        request.headers,
        protocols=protocols,
        allowed_origins=allowed_origins,
        compression=compression,
    )
    if not takeover_available():
        raise cherrypy.HTTPError(
            501,
            "WebSockets need a server that can hand connections over (cherrypy-server); "
            "this one cannot.",
        )
    request.process_request_body = False
    websocket = cls(
        None,
        [handshake.subprotocol] if handshake.subprotocol else [],
        handshake.extension_names,
        dict(request.wsgi_environ),
        heartbeat_freq=heartbeat_freq,
    )
    limits = Limits(
        max_message_size=max_message_size,
        max_frame_size=max_frame_size,
        max_send_buffer=max_send_buffer,
        heartbeat_freq=heartbeat_freq,
        close_timeout=close_timeout,
    )
    WebSocketConnection(
        websocket, handshake.extensions, limits, on_open=_opened, on_close=manager.remove
    )
    request.ws_handler = websocket
    response = cherrypy.serving.response
    response.status = "101 Switching Protocols"
    for name, value in handshake.headers.items():
        response.headers[name] = value


def spell_headers() -> None:
    """Write ``Sec-WebSocket-*`` with RFC 6455's capitals (``on_end_resource``).

    Header names are case-insensitive, but the kernel title-cases them
    (``Sec-Websocket-Accept``) and a few clients compare them exactly (ws4py did the same).
    """
    response = cherrypy.serving.response
    header_list = getattr(response, "header_list", None)
    if not header_list or not str(response.status).startswith("101"):
        return
    response.header_list = [(_spell(name), value) for name, value in header_list]


def _spell(name: Any) -> Any:
    if isinstance(name, bytes):
        return name.replace(b"Sec-Websocket-", b"Sec-WebSocket-")
    return str(name).replace("Sec-Websocket-", "Sec-WebSocket-")


def complete() -> None:
    """Hand the connection over if the response is still the ``101`` (``before_finalize``)."""
    request = cherrypy.serving.request
    websocket = getattr(request, "ws_handler", None)
    if not isinstance(websocket, WebSocket) or websocket.connection_handler is None:
        return
    response = cherrypy.serving.response
    if not str(response.status).startswith("101"):
        return
    response.body = b""
    response.headers.pop("Content-Type", None)
    take_over_connection(websocket.connection_handler)


class WebSocketTool(Tool):
    """The ``tools.websocket`` tool.

    ``cherrypy.tools.websocket = WebSocketTool()``, as a ws4py application does, installs an
    equivalent tool: the plugin has already registered one.
    """

    def __init__(self) -> None:
        super().__init__("before_handler", upgrade, priority=TOOL_PRIORITY)

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Attach :func:`upgrade` (with the path's settings) and :func:`complete`."""
        super().compile(pipeline, settings)
        pipeline.attach("before_finalize", complete, priority=FINALIZE_PRIORITY)
        pipeline.attach("on_end_resource", spell_headers, priority=70)
