"""The protocol driver: a :class:`cherrypy.plugin.ConnectionHandler` speaking RFC 6455.

:class:`WebSocketConnection` is what the tool hands to ``take_over_connection``.  The server's
selector thread calls it with the bytes the client sends; it parses them with wsproto, answers
pings, runs the closing handshake, enforces the size limits and the keep-alive, and turns whole
messages into callbacks of the application's :class:`~cherrypy_websocket.WebSocket`.

Threads
    Parsing happens in the selector thread and never blocks.  Callbacks run in the worker pool
    through ``Transport.submit``, one job at a time per connection (a queue of our own), so
    they are ordered and never concurrent for one connection.  :meth:`send`, :meth:`close` and
    :meth:`ping` may be called from any thread: the wsproto state is guarded by a lock, and
    frames are queued on the transport, which the selector thread writes.

Back-pressure
    Outgoing: a client that does not read makes the transport's buffer grow; past
    ``max_send_buffer`` the connection is aborted (``closed(1008)``), so a slow client can
    neither block a sender nor eat memory.  Incoming: while the messages waiting for their
    callback exceed twice ``max_message_size``, reading is paused until the callbacks catch up.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError

from .messaging import BinaryMessage, Message, PongControlMessage
from .messaging import TextMessage as WsTextMessage

if TYPE_CHECKING:
    from wsproto.extensions import Extension

    from cherrypy.plugin import TimerHandle, Transport

    from .websocket import WebSocket

__all__ = ["Limits", "WebSocketConnection"]

MIB = 1024 * 1024

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_ABNORMAL = 1006
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011

DEFLATE_SLICE = 4096
"""Bytes fed to wsproto at a time when permessage-deflate is on: a compressed frame inflates
at most about a thousandfold, so the size limits are checked every few MiB of output at worst."""


@dataclass(frozen=True)
class Limits:
    """The per-connection limits and timers (``tools.websocket.*``)."""

    max_message_size: int | None = MIB
    """Largest message (after inflating), in bytes; larger closes with 1009.  None: no limit."""

    max_frame_size: int | None = None
    """Largest frame payload, in bytes; larger closes with 1009.  None: only the message limit."""

    max_send_buffer: int = 4 * MIB
    """Most bytes queued for a client that does not read; beyond, the connection is aborted."""

    heartbeat_freq: float | None = None
    """Seconds between pings (None or 0: none); a peer silent for one more period is closed."""

    close_timeout: float = 5.0
    """Seconds to wait for the peer's close frame after ours before dropping the connection."""

    @property
    def inbound_high_water(self) -> int:
        """Bytes of received messages waiting for callbacks above which reading pauses."""
        return 2 * (self.max_message_size or 8 * MIB)


class WebSocketConnection:
    """Drive one WebSocket over a taken-over connection (called by the server)."""

    def __init__(
        self,
        websocket: WebSocket,
        extensions: list[Extension] | None = None,
        limits: Limits | None = None,
        on_open: Callable[[WebSocket], Any] | None = None,
        on_close: Callable[[WebSocket], Any] | None = None,
    ) -> None:
        self.websocket = websocket
        self.limits = limits or Limits()
        self._on_open = on_open
        self._on_close = on_close
        self._deflate = bool(extensions)
        self._ws = Connection(ConnectionType.SERVER, extensions)
        # Re-entrant: in the selector thread a transport call may call connection_lost back.
        self._lock = threading.RLock()
        self._transport: Transport | None = None
        self._early: list[bytes] = []
        # Incoming message being assembled.
        self._parts: list[Any] = []
        self._size = 0
        self._frame_size = 0
        self._input_done = False
        # Closing.
        self._close_code: int | None = None
        self._close_reason: str | None = None
        self._we_closed = False
        self._peer_closed = False
        self._lost = False
        self._close_timer: TimerHandle | None = None
        # Keep-alive.
        self._heartbeat: TimerHandle | None = None
        self._awaiting_pong = False
        # Callback queue.
        self._jobs: deque[tuple[Callable[[], Any], int]] = deque()
        self._jobs_lock = threading.Lock()
        self._running = False
        self._queued_bytes = 0
        self._paused = False
        self._closed_queued = False
        websocket.connection_handler = self

    # -- state -------------------------------------------------------------------------------

    @property
    def terminated(self) -> bool:
        """True once either side started closing or the connection is gone."""
        return self._lost or self._we_closed or self._peer_closed

    @property
    def client_terminated(self) -> bool:
        """True once the client sent a close frame or the connection is gone."""
        return self._peer_closed or self._lost

    @property
    def server_terminated(self) -> bool:
        """True once this side sent its close frame or the connection is gone."""
        return self._we_closed or self._lost

    def extra_info(self, name: str) -> Any:
        """The transport's ``get_extra_info(name)`` (None before the take-over)."""
        transport = self._transport
        return transport.get_extra_info(name) if transport is not None else None

    # -- ConnectionHandler (selector thread) --------------------------------------------------

    def connection_made(self, transport: Transport) -> None:
        """Start: flush what was sent early, queue ``opened()``, start the keep-alive."""
        with self._lock:
            self._transport = transport
            for data in self._early:
                transport.write(data)
            self._early.clear()
            if self._we_closed:
                self._start_close_timer()
        if self._on_open is not None:
            self._on_open(self.websocket)
        self._enqueue(self.websocket.opened)
        freq = self.limits.heartbeat_freq
        if freq:
            self._heartbeat = transport.call_later(freq, self._beat)

    def data_received(self, data: bytes) -> None:
        """Parse ``data``; answer control frames; queue whole messages for their callback."""
        if self._input_done:
            return
        step = DEFLATE_SLICE if self._deflate else len(data)
        with self._lock:
            for start in range(0, len(data), step):
                try:
                    self._ws.receive_data(data[start : start + step])
                except LocalProtocolError:  # wsproto is closed: nothing more to read
                    self._input_done = True
                    return
                for event in self._ws.events():
                    self._handle(event)
                    if self._input_done:
                        return

    def eof_received(self) -> None:
        """The client half-closed: nothing to do, the server closes and ``connection_lost``
        follows (``closed(1006)`` unless a close frame came first)."""
        self._input_done = True

    def connection_lost(self, exc: BaseException | None) -> None:
        """Stop the timers and queue ``closed(code, reason)`` after every pending callback."""
        with self._lock:
            self._lost = True
            self._input_done = True
            self._cancel_timers()
            code = self._close_code if self._close_code is not None else CLOSE_ABNORMAL
            reason = self._close_reason if self._close_code is not None else ""
        if self._on_close is not None:
            self._on_close(self.websocket)
        with self._jobs_lock:
            if self._closed_queued:
                return
            self._closed_queued = True
        self._enqueue(lambda: self.websocket.closed(code, reason))

    def server_stopping(self) -> None:
        """The server is stopping: close with 1001 (Going Away)."""
        self.close(CLOSE_GOING_AWAY, "server is stopping")

    # -- actions (any thread) -----------------------------------------------------------------

    def send(self, payload: Any, binary: bool = False) -> None:
        """Queue one message (see :meth:`WebSocket.send`)."""
        if isinstance(payload, Message):
            binary = payload.is_binary
            payload = payload.data if binary else str(payload)
        if isinstance(payload, (str, bytes, bytearray, memoryview)):
            fragments = [self._coerce(payload, binary)]
        elif isinstance(payload, Iterable):
            fragments = [self._coerce(chunk, binary) for chunk in payload] or [
                self._coerce(b"", binary)
            ]
        else:
            raise TypeError(f"cannot send {type(payload).__name__!r} over a WebSocket")
        with self._lock:
            if self.terminated or self._ws.state is not ConnectionState.OPEN:
                raise RuntimeError("Cannot send on a terminated websocket")
            last = len(fragments) - 1
            data = b"".join(
                self._ws.send(_message(fragment, index == last))
                for index, fragment in enumerate(fragments)
            )
            self._write(data, limit=True)

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Send a close frame (once) and wait ``close_timeout`` for the peer's."""
        with self._lock:
            if self._lost or self._ws.state is not ConnectionState.OPEN:
                return
            self._send_close(code, reason)
            if self._transport is not None:
                self._start_close_timer()

    def ping(self, payload: bytes | str = b"") -> None:
        """Send a ping frame (ignored once closing)."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        with self._lock:
            if not self._lost and self._ws.state is ConnectionState.OPEN:
                self._write(self._ws.send(Ping(payload=bytes(payload))))

    # -- internals (called with self._lock held) ----------------------------------------------

    @staticmethod
    def _coerce(chunk: Any, binary: bool) -> str | bytes:
        if binary:
            return chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        if isinstance(chunk, str):
            return chunk
        return bytes(chunk).decode("utf-8")  # ws4py sends bytes as text unless binary=True

    def _write(self, data: bytes, limit: bool = False) -> None:
        transport = self._transport
        if transport is None:
            self._early.append(data)
            return
        if limit:
            queued = transport.get_write_buffer_size()
            if queued and queued + len(data) > self.limits.max_send_buffer:
                self._overflow()
                return
        transport.write(data)

    def _overflow(self) -> None:
        """The client does not read: drop the connection (``closed(1008)``)."""
        self._close_code = CLOSE_POLICY
        self._close_reason = "send buffer overflow: the client does not read"
        self._we_closed = True
        self._input_done = True
        assert self._transport is not None
        self._transport.abort()

    def _send_close(self, code: int, reason: str) -> None:
        self._write(self._ws.send(CloseConnection(code=code, reason=reason)))
        self._we_closed = True
        if self._close_code is None:
            self._close_code, self._close_reason = code, reason

    def _start_close_timer(self) -> None:
        assert self._transport is not None
        if self._close_timer is None:
            self._close_timer = self._transport.call_later(
                self.limits.close_timeout, self._transport.abort
            )

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 7.1.7): close frame if we can, then close."""
        if self._ws.state is ConnectionState.OPEN:
            self._send_close(code, reason)
        elif self._close_code is None:
            self._close_code, self._close_reason = code, reason
        self._input_done = True
        assert self._transport is not None
        self._transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._heartbeat, self._close_timer):
            if timer is not None:
                timer.cancel()
        self._heartbeat = self._close_timer = None

    def _handle(self, event: Event) -> None:
        if isinstance(event, (TextMessage, BytesMessage)):
            self._handle_data(event)
        elif isinstance(event, Ping):
            if self._ws.state is ConnectionState.OPEN:
                self._write(self._ws.send(event.response()))
        elif isinstance(event, Pong):
            self._awaiting_pong = False
            pong = PongControlMessage(bytes(event.payload))
            self._enqueue(lambda: self.websocket.ponged(pong))
        elif isinstance(event, CloseConnection):
            self._handle_close(event)

    def _handle_close(self, event: CloseConnection) -> None:
        state = self._ws.state
        assert self._transport is not None
        if state is ConnectionState.REMOTE_CLOSING:  # the peer closes first: answer, close
            self._peer_closed = True
            self._close_code, self._close_reason = event.code, event.reason or ""
            self._write(self._ws.send(event.response()))
            self._input_done = True
            self._transport.close()
        elif state is ConnectionState.CLOSED:  # the peer's answer to our close frame
            self._peer_closed = True
            self._input_done = True
            self._transport.close()
        else:  # wsproto reports a protocol error as a close event without changing state
            self._fail(event.code, event.reason or "protocol error")

    def _handle_data(self, event: TextMessage | BytesMessage) -> None:
        if self._ws.state is not ConnectionState.OPEN:
            return  # closing: messages that cross our close frame are dropped
        chunk = event.data
        if isinstance(chunk, str):
            size = len(chunk) if chunk.isascii() else len(chunk.encode("utf-8"))
        else:
            size = len(chunk)
        limits = self.limits
        self._frame_size += size
        self._size += size
        if limits.max_frame_size is not None and self._frame_size > limits.max_frame_size:
            self._too_big("frame")
            return
        if limits.max_message_size is not None and self._size > limits.max_message_size:
            self._too_big("message")
            return
        if event.frame_finished:
            self._frame_size = 0
        self._parts.append(chunk)
        if not event.message_finished:
            return
        parts, total = self._parts, self._size
        self._parts, self._size = [], 0
        message: Message
        if isinstance(event, TextMessage):
            message = WsTextMessage("".join(parts) if len(parts) != 1 else parts[0])
        else:
            message = BinaryMessage(b"".join(parts) if len(parts) != 1 else parts[0])
        self._enqueue(lambda: self.websocket.received_message(message), total)

    def _too_big(self, what: str) -> None:
        self._parts, self._size, self._frame_size = [], 0, 0
        limit = self.limits.max_frame_size if what == "frame" else self.limits.max_message_size
        self._send_close(CLOSE_TOO_BIG, f"{what} larger than {limit} bytes")
        self._start_close_timer()

    def _beat(self) -> None:
        """Keep-alive timer (selector thread): ping, or close a peer that never answered."""
        with self._lock:
            self._heartbeat = None
            if self._lost or self._ws.state is not ConnectionState.OPEN:
                return
            transport = self._transport
            assert transport is not None
            if self._awaiting_pong:
                self._fail(CLOSE_INTERNAL_ERROR, "keepalive ping timeout")
                return
            self._awaiting_pong = True
            self._write(self._ws.send(Ping(payload=b"cherrypy-keepalive")))
            freq = self.limits.heartbeat_freq
            assert freq
            self._heartbeat = transport.call_later(freq, self._beat)

    # -- the callback queue -------------------------------------------------------------------

    def _enqueue(self, job: Callable[[], Any], size: int = 0) -> None:
        """Run ``job`` in the worker pool after the connection's earlier jobs."""
        with self._jobs_lock:
            self._jobs.append((job, size))
            self._queued_bytes += size
            if size and not self._paused and self._queued_bytes > self.limits.inbound_high_water:
                self._paused = True
                assert self._transport is not None
                self._transport.pause_reading()
            if self._running:
                return
            self._running = True
        self._submit()

    def _submit(self) -> None:
        transport = self._transport
        if transport is None:  # never taken over: the server calls connection_lost at once
            self._run_one()
            return
        try:
            transport.submit(self._run_one)
        except Exception:  # the server has stopped: run the last callbacks here
            self._run_one()

    def _run_one(self) -> None:
        with self._jobs_lock:
            job, size = self._jobs.popleft()
        try:
            job()
        except Exception as error:
            self._callback_failed(error)
        finally:
            with self._jobs_lock:
                self._queued_bytes -= size
                if self._paused and self._queued_bytes <= self.limits.inbound_high_water // 2:
                    self._paused = False
                    if not self._lost and self._transport is not None:
                        self._transport.resume_reading()
                more = bool(self._jobs)
                if not more:
                    self._running = False
            if more:
                self._submit()

    def _callback_failed(self, error: Exception) -> None:
        try:
            self.websocket.unhandled_error(error)
        finally:
            self.close(CLOSE_INTERNAL_ERROR, "internal error")


def _message(fragment: str | bytes, finished: bool) -> TextMessage | BytesMessage:
    if isinstance(fragment, str):
        return TextMessage(data=fragment, message_finished=finished)
    return BytesMessage(data=fragment, message_finished=finished)
