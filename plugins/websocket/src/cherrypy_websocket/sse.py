"""Server-Sent Events: push streams that hold no worker while they wait.

A page handler creates an :class:`EventStream` and returns it::

    @cherrypy.expose
    def events(self):
        stream = EventStream(retry=3000)
        hub.add(stream)            # or keep the stream and call stream.send(...) later
        return stream

The constructor sets the ``text/event-stream`` headers; when the handler has answered with the
stream (a 2xx), the server is asked to take the connection over once the response head is out
(:func:`cherrypy.plugin.take_over_connection`).  From then on the stream is driven by the
server's selector thread, and :meth:`EventStream.send` (from any thread) queues an event
without ever blocking.  An idle stream costs a socket and a
few objects, never a thread.  :class:`EventHub` is a set of streams with ``publish()`` to all
and an optional replay buffer for clients that reconnect with ``Last-Event-ID``.

Without cherrypy-server (another WSGI server, or ``cherrypy.testing.Client`` without a
server) the constructor raises :class:`cherrypy.plugin.TakeoverUnavailable` (a 500 whose
logged message names the cure): an event stream never silently ties up a worker.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import cherrypy
from cherrypy.plugin import (
    TakeoverUnavailable,
    TimerHandle,
    Transport,
    take_over_connection,
    takeover_available,
)

__all__ = [
    "DEFAULT_HEARTBEAT",
    "DEFAULT_MAX_BUFFER",
    "EventHub",
    "EventStream",
    "format_comment",
    "format_event",
]

DEFAULT_HEARTBEAT = 15.0
"""Seconds of silence after which a stream sends a ``: keep-alive`` comment."""

DEFAULT_MAX_BUFFER = 1024 * 1024
"""Bytes a stream may have queued for a client that does not read before it is dropped."""

KEEP_ALIVE = b": keep-alive\n\n"
"""The heartbeat comment."""

_monotonic = time.monotonic  # the heartbeat's clock (tests move it)
_OPENED = b": stream opened\n\n"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _text(value: str | bytes, what: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{what} must be UTF-8 text: {exc}") from None
    if isinstance(value, str):
        return value
    raise TypeError(
        f"{what} must be str or bytes, not {type(value).__name__} "
        "(serialise it first, e.g. with json.dumps)"
    )


def _field(name: str, value: str | int) -> str:
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"an event's {name} cannot contain a line break: {text!r}")
    if name == "id" and "\0" in text:
        raise ValueError(f"an event's id cannot contain NUL: {text!r}")
    return text


def _retry_field(retry: int) -> str:
    if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
        raise ValueError(f"retry must be a whole number of milliseconds >= 0, not {retry!r}")
    return f"retry: {retry}\n"


def format_event(
    data: str | bytes,
    event: str | None = None,
    id: str | int | None = None,
    retry: int | None = None,
) -> bytes:
    """One event in the ``text/event-stream`` format, as bytes.

    ``data`` (str, or bytes holding UTF-8) may span lines: each line becomes a ``data:`` line
    and the browser's ``MessageEvent.data`` gets the lines back joined by ``\\n``.  ``event``
    names the event type (``addEventListener(event, ...)``; default ``message``), ``id`` sets
    the client's last event id (sent back as ``Last-Event-ID`` when it reconnects), ``retry``
    the client's reconnection delay in milliseconds.  Raises ValueError for a line break in
    ``event`` or ``id`` and TypeError for data that is not text.
    """
    lines = [f"data: {line}\n" for line in _LINE_BREAK.split(_text(data, "event data"))]
    head = ""
    if event is not None:
        head += f"event: {_field('event', event)}\n"
    if id is not None:
        head += f"id: {_field('id', id)}\n"
    if retry is not None:
        head += _retry_field(retry)
    return (head + "".join(lines) + "\n").encode("utf-8")


def format_comment(text: str = "") -> bytes:
    """A comment (``: text``), which clients ignore; each line of ``text`` is one comment line."""
    lines = _LINE_BREAK.split(_text(text, "a comment"))
    return ("".join(f": {line}\n" for line in lines) + "\n").encode("utf-8")


class EventStream:
    """A Server-Sent Events response, written by the server as events are sent.

    Create it inside a page handler and return it.  ``retry`` (milliseconds) is sent first so
    that clients reconnect after that delay; ``heartbeat`` is the number of seconds of silence
    after which a ``: keep-alive`` comment goes out (it keeps proxies from timing the
    connection out and lets the server notice a client that vanished; None sends none);
    ``max_buffer`` bounds the bytes queued for a client that does not read: past it the
    client is disconnected.

    :meth:`send`, :meth:`comment` and :meth:`close` may be called from any thread and never
    block.  Callbacks given to :meth:`on_close` run once, in the server's worker pool, when
    the stream ends for any reason: the client went away, the server is stopping, the client
    was too slow, or :meth:`close` was called.

    The stream is the connection handler the server drives (it implements
    :class:`cherrypy.plugin.ConnectionHandler`); applications only use the methods above.
    """

    def __init__(
        self,
        retry: int | None = None,
        heartbeat: float | None = DEFAULT_HEARTBEAT,
        max_buffer: int = DEFAULT_MAX_BUFFER,
    ) -> None:
        """Set up the response (headers, streaming); the connection is asked for after the
        handler (raises :class:`~cherrypy.plugin.TakeoverUnavailable` without cherrypy-server)."""
        if heartbeat is not None and not heartbeat > 0:
            raise ValueError(
                f"heartbeat must be a number of seconds > 0 or None, not {heartbeat!r}"
            )
        if isinstance(max_buffer, bool) or not isinstance(max_buffer, int) or max_buffer <= 0:
            raise ValueError(f"max_buffer must be a number of bytes > 0, not {max_buffer!r}")
        first = _retry_field(retry).encode("ascii") + b"\n" if retry is not None else _OPENED
        if not takeover_available():
            raise TakeoverUnavailable(
                "an EventStream needs a server that can hand its connection over: install "
                "cherrypy-server and serve with cherrypy.quickstart, cherrypy.engine.start() "
                "or python -m cherrypy serve (another WSGI server, or cherrypy.testing.Client "
                "without a server, cannot)"
            )
        request = cherrypy.request
        self.last_event_id: str | None = request.headers.get("Last-Event-ID")
        """The request's ``Last-Event-ID`` header: the id of the last event the client got
        before it reconnected (None on a first connection)."""
        self.retry = retry
        self.heartbeat = heartbeat
        self.max_buffer = max_buffer
        self._lock = threading.RLock()
        self._transport: Transport | None = None
        self._pending: list[bytes] = [first]
        self._pending_size = len(first)
        self._closed = False
        self._overflowed = False
        self._callbacks: list[Callable[[], Any]] | None = []
        self._hooks: list[Callable[[EventStream], Any]] | None = []
        self._timer: TimerHandle | None = None
        self._last_write = _monotonic()

        response = cherrypy.response
        headers = response.headers
        headers["Content-Type"] = "text/event-stream;charset=utf-8"
        headers["Cache-Control"] = "no-cache"
        headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
        response.stream = True  # no Content-Length: the body is open-ended
        self._offered = False
        # The connection is asked for once the handler has answered with a 2xx (not when it
        # raised or redirected after creating the stream); a stream that was not handed over
        # ends when the request does.
        request.hooks.attach("before_finalize", self._offer, priority=5)
        request.hooks.attach("on_end_request", self._request_ended, failsafe=True)

    def _offer(self) -> None:
        """``before_finalize``: ask for the connection if the answer is a 2xx with a body."""
        status = cherrypy.response.status
        try:
            code = 200 if status is None else int(str(status).split(None, 1)[0])
        except ValueError:
            return
        if cherrypy.request.method != "HEAD" and 200 <= code < 300 and code not in (204, 205):
            take_over_connection(self)
            self._offered = True

    def _request_ended(self) -> None:
        """``on_end_request`` (in the worker): a stream nobody will drive ends here."""
        if not self._offered:
            self._lost()

    # ------------------------------------------------------------------ the application's API

    @property
    def closed(self) -> bool:
        """True once the stream has ended (sends are then ignored)."""
        return self._closed

    def send(
        self,
        data: str | bytes,
        event: str | None = None,
        id: str | int | None = None,
        retry: int | None = None,
    ) -> bool:
        """Queue one event (see :func:`format_event`); any thread, never blocks.

        Returns False when the stream has ended, or when this event would take the bytes
        queued for the client past ``max_buffer`` (the client is then disconnected).
        """
        return self.write_raw(format_event(data, event, id, retry))

    def comment(self, text: str = "") -> bool:
        """Queue a comment line, which clients ignore; any thread, never blocks."""
        return self.write_raw(format_comment(text))

    def write_raw(self, chunk: bytes) -> bool:
        """Queue bytes already in the event-stream format (:func:`format_event`'s output).

        :class:`EventHub` uses it to format an event once for all its streams.  Returns
        what :meth:`send` returns.
        """
        with self._lock:
            if self._closed:
                return False
            transport = self._transport
            if transport is None:
                if self._pending_size + len(chunk) <= self.max_buffer:
                    self._pending.append(chunk)
                    self._pending_size += len(chunk)
                    return True
            elif transport.get_write_buffer_size() + len(chunk) <= self.max_buffer:
                transport.write(chunk)
                self._last_write = _monotonic()
                return True
            self._closed = True
            self._overflowed = True
            self._pending = []
        # A client that does not read: drop it rather than buffer without bound.
        self._stop(transport, abort=True)
        return False

    def close(self) -> None:
        """End the stream (any thread): what is queued is sent, then the connection closes.

        An ``EventSource`` reconnects after its retry delay; to make it stop, send it an
        event your page handles by calling ``eventSource.close()``, or answer its reconnection
        with a status other than 200 (204 No Content, for instance).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            transport = self._transport
        self._stop(transport, abort=False)

    def on_close(self, callback: Callable[[], Any]) -> None:
        """Call ``callback()`` once when the stream ends, in the server's worker pool.

        Added after the stream ended, it runs at once (in the worker pool when there is a
        connection).  An exception it raises is logged and does not stop the other callbacks.
        """
        with self._lock:
            if self._callbacks is not None:
                self._callbacks.append(callback)
                return
            transport = self._transport
        self._run_callbacks(transport, [callback])

    def __iter__(self) -> Iterator[bytes]:
        """The response body the server sends with the head: the events queued so far."""
        with self._lock:
            data = b"".join(self._pending)
            self._pending = []
            self._pending_size = 0
        return iter([data] if data else [])

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<EventStream {state} last_event_id={self.last_event_id!r}>"

    # ------------------------------------------------------------------ helpers of the hub

    def _add_close_hook(self, hook: Callable[[EventStream], Any]) -> bool:
        """Call ``hook(stream)`` synchronously when the stream ends; False if it has ended."""
        with self._lock:
            if self._closed or self._hooks is None:
                return False
            self._hooks.append(hook)
            return True

    # ------------------------------------------------------------------ the server's side

    def connection_made(self, transport: Transport) -> None:
        """The head is out: flush what was queued since, start the heartbeat."""
        with self._lock:
            self._transport = transport
            closed = self._closed
            if not self._overflowed:  # also when closed: what was sent before goes out
                data = b"".join(self._pending)
                if data:
                    transport.write(data)
                self._last_write = _monotonic()
            self._pending = []
            self._pending_size = 0
        if closed:  # closed (or overflowed) between the handler and now
            self._stop(transport, abort=self._overflowed)
            return
        if self.heartbeat is not None:
            self._timer = transport.call_later(self.heartbeat, self._beat)

    def data_received(self, data: bytes) -> None:
        """Clients have nothing to say on an event stream: ignore what they send."""

    def eof_received(self) -> None:
        """The client closed its side: the stream ends."""
        self._lost()

    def connection_lost(self, exc: BaseException | None) -> None:
        """The connection is gone: the stream ends and its cleanup runs."""
        self._lost()

    def server_stopping(self) -> None:
        """The server is stopping gracefully: end the stream."""
        self.close()

    def _lost(self) -> None:
        with self._lock:
            self._closed = True
            transport = self._transport
        # Without a connection (the server gave up its offer), the callbacks run here.
        self._stop(transport, abort=False, close=False, final=True)

    def _beat(self) -> None:
        """Heartbeat timer (selector thread): a comment after ``heartbeat`` s of silence."""
        heartbeat = self.heartbeat
        assert heartbeat is not None
        with self._lock:
            transport = self._transport
            if self._closed or transport is None:
                return
            idle = _monotonic() - self._last_write
        delay = heartbeat - idle
        if delay <= heartbeat * 0.01:
            if not self.write_raw(KEEP_ALIVE):
                return
            delay = heartbeat
        with self._lock:
            if not self._closed:
                self._timer = transport.call_later(delay, self._beat)

    def _stop(
        self, transport: Transport | None, abort: bool, close: bool = True, final: bool = False
    ) -> None:
        """Tear down after ``_closed`` was set: timer, connection, hooks, callbacks.

        Callbacks wait for the connection (to run in the worker pool) unless ``final``.
        """
        with self._lock:
            timer, self._timer = self._timer, None
            hooks, self._hooks = self._hooks, None
            callbacks = None
            if transport is not None or final:
                callbacks, self._callbacks = self._callbacks, None
        if timer is not None:
            timer.cancel()
        if transport is not None and close:
            if abort:
                transport.abort()
            else:
                transport.close()
        for hook in hooks or ():
            hook(self)
        if callbacks:
            self._run_callbacks(transport, callbacks)

    def _run_callbacks(
        self, transport: Transport | None, callbacks: list[Callable[[], Any]]
    ) -> None:
        def run() -> None:
            for callback in callbacks:
                try:
                    callback()
                except Exception:
                    cherrypy.log(
                        f"Error in an on_close callback of {self!r}",
                        "SSE",
                        severity=40,
                        traceback=True,
                    )

        if transport is not None:
            try:
                transport.submit(run)
                return
            except RuntimeError:  # the server's pool is gone (it is stopping): run them here
                pass
        run()


class EventHub:
    """A thread-safe set of :class:`EventStream` objects, to publish one event to them all.

    ``hub.add(stream)`` keeps a stream until it ends; ``hub.publish(data, event, id)`` formats
    the event once and queues it on every stream (never blocking on a slow client).  With
    ``replay=N`` the hub keeps its last N events, numbers those published without an ``id``,
    and :meth:`add` first sends a reconnecting stream (one with ``last_event_id``) the events
    it missed.
    """

    def __init__(self, replay: int = 0) -> None:
        """``replay``: how many recent events to keep for clients that reconnect (0: none)."""
        if isinstance(replay, bool) or not isinstance(replay, int) or replay < 0:
            raise ValueError(f"replay must be a number of events >= 0, not {replay!r}")
        self.replay = replay
        # _lock orders publications (and replays) among themselves; _members guards the set
        # alone.  A stream that ends leaves the set under _members only, so a stream ending
        # in the selector thread never waits for a publisher (which may be waiting for it).
        self._lock = threading.RLock()
        self._members = threading.Lock()
        self._streams: dict[EventStream, None] = {}
        self._recent: deque[tuple[str | None, bytes]] = deque(maxlen=replay or None)
        # Automatic ids start from the clock, so that they do not repeat after a restart (a
        # client reconnecting with an id from before the restart then gets the whole buffer).
        self._next_id = time.time_ns() // 1000

    def add(self, stream: EventStream) -> None:
        """Keep ``stream`` until it ends; first send it what it missed (with ``replay``).

        A stream with a ``last_event_id`` gets the buffered events after that id, or the
        whole buffer when the id is no longer (or was never) in it.
        """
        with self._lock:
            if not stream._add_close_hook(self.discard):
                return
            if self.replay and stream.last_event_id is not None:
                for chunk in self._missed(stream.last_event_id):
                    if not stream.write_raw(chunk):
                        return
            with self._members:
                if not stream.closed:  # else it has left already (or is leaving)
                    self._streams[stream] = None

    def discard(self, stream: EventStream) -> None:
        """Forget ``stream`` (it is not closed); nothing happens if the hub does not hold it."""
        with self._members:
            self._streams.pop(stream, None)

    def publish(
        self, data: str | bytes, event: str | None = None, id: str | int | None = None
    ) -> str | None:
        """Send an event to every stream; returns its id (numbered by the hub with ``replay``).

        Any thread; never blocks.  A stream whose client has ``max_buffer`` bytes unread is
        disconnected and leaves the hub.
        """
        with self._lock:
            if id is None and self.replay:
                id = self._next_id
                self._next_id += 1
            chunk = format_event(data, event, id)
            key = None if id is None else str(id)
            if self.replay:
                self._recent.append((key, chunk))
            for stream in self.streams:
                stream.write_raw(chunk)
            return key

    def comment(self, text: str = "") -> None:
        """Send a comment to every stream (not replayed)."""
        chunk = format_comment(text)
        with self._lock:
            for stream in self.streams:
                stream.write_raw(chunk)

    def close(self) -> None:
        """End every stream the hub holds."""
        for stream in self.streams:
            stream.close()

    @property
    def streams(self) -> list[EventStream]:
        """The open streams, as a list (a snapshot)."""
        with self._members:
            return list(self._streams)

    def __len__(self) -> int:
        """How many open streams the hub holds."""
        return len(self._streams)

    def _missed(self, last_event_id: str) -> list[bytes]:
        recent = list(self._recent)
        for index in range(len(recent) - 1, -1, -1):
            if recent[index][0] == last_event_id:
                return [chunk for _, chunk in recent[index + 1 :]]
        return [chunk for _, chunk in recent]
