"""Connections handed over to a plugin after their response head (``cherrypy.plugin`` 1.1).

A request handler calls ``cherrypy.plugin.take_over_connection(handler)``; the gateway puts
the offer in the environ (``cherrypy.take_over``), and once the response head (and any body
the application returned) is out, the worker gives the connection to the selector thread as a
:class:`TakeoverTransport`.  From then on only the selector thread touches the socket: it
reads when readable and calls ``handler.data_received``, and it writes what other threads
queued with :meth:`TakeoverTransport.write`.  An idle taken-over connection therefore costs a
descriptor and this object, never a thread; ``thread_pool_max`` bounds the threads whatever
the number of connections.

Cross-thread requests (a write, a close, resuming reading) set a flag under the transport's
lock and put the transport on the server's ``_pending`` queue, then wake the selector.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import connection as _connection

if TYPE_CHECKING:
    from cherrypy.plugin import ConnectionHandler

    from .connection import Connection
    from .server import HTTPServer

__all__ = ["READ_SIZE", "TakeoverTransport", "Timer", "TimerQueue"]

READ_SIZE = 65536
"""Bytes read per ``recv`` from a taken-over connection."""

FLUSH_SIZE = 256 * 1024
"""Most queued bytes joined into one ``send``."""

READS_PER_EVENT = 4
"""``recv`` calls per readiness event, so one busy client cannot monopolize the selector."""


class Timer:
    """A callback due at :attr:`when` in the selector thread; :meth:`cancel` drops it."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], Any]) -> None:
        """Prepare a timer; :class:`TimerQueue` runs it."""
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the callback (no effect once it ran)."""
        self.cancelled = True


class TimerQueue:
    """The selector thread's timers (a heap; cancelled timers are skipped when due)."""

    def __init__(self) -> None:
        """An empty queue."""
        self._heap: list[tuple[float, int, Timer]] = []
        self._lock = threading.Lock()
        self._seq = itertools.count()

    def add(self, delay: float, callback: Callable[[], Any]) -> Timer:
        """Schedule ``callback`` in ``delay`` seconds (any thread)."""
        timer = Timer(time.monotonic() + max(0.0, float(delay)), callback)
        with self._lock:
            heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    def next_due(self) -> float | None:
        """When the earliest timer is due (None: no timer)."""
        heap = self._heap
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> list[Timer]:
        """Remove and return the timers due by ``now`` (not cancelled)."""
        due: list[Timer] = []
        heap = self._heap
        if not heap or heap[0][0] > now:
            return due
        with self._lock:
            while heap and heap[0][0] <= now:
                timer = heapq.heappop(heap)[2]
                if not timer.cancelled:
                    due.append(timer)
        return due

    def clear(self) -> None:
        """Drop every timer."""
        with self._lock:
            self._heap.clear()


class TakeoverTransport:
    """The connection given to a ``ConnectionHandler`` (implements ``cherrypy.plugin.Transport``).

    ``chunked``: the response went out with ``Transfer-Encoding: chunked``, so every
    :meth:`write` is framed as a chunk and :meth:`close` sends the last chunk first.
    """

    def __init__(
        self,
        server: HTTPServer,
        conn: Connection,
        handler: ConnectionHandler,
        environ: dict[str, Any],
        chunked: bool,
    ) -> None:
        """Wrap ``conn`` (owned by the selector thread from now on) for ``handler``."""
        self.server = server
        self.conn = conn
        self.handler = handler
        self.environ = environ
        self.chunked = chunked
        self._lock = threading.Lock()
        self._out: list[bytes] = []
        self._out_size = 0
        self._closing = False  # close() asked: flush, then close
        self._aborted = False
        self._lost = False  # connection_lost called (or about to be)
        self._reading = True
        self._scheduled = False
        self._eof = False

    def __repr__(self) -> str:
        return f"<TakeoverTransport {self.conn!r} handler={type(self.handler).__name__}>"

    # -- cherrypy.plugin.Transport ----------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue ``data`` for sending (any thread; never blocks); ignored once closing."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Transport.write() takes bytes, not {type(data).__name__}")
        size = len(data)
        if not size:
            return
        with self._lock:
            if self._closing or self._lost:
                return
            if self.chunked:
                self._out += (b"%x\r\n" % size, bytes(data), b"\r\n")
            else:
                self._out.append(bytes(data))
            self._out_size += size
        self._schedule()

    def close(self) -> None:
        """Send what is queued (and the last chunk of a chunked body), then close."""
        with self._lock:
            if self._closing or self._lost:
                return
            self._closing = True
            if self.chunked:
                self._out.append(b"0\r\n\r\n")
        self._schedule()

    def abort(self) -> None:
        """Close at once, dropping what is queued (any thread)."""
        with self._lock:
            if self._lost:
                return
            self._closing = True
            self._aborted = True
            self._out.clear()
            self._out_size = 0
        self._schedule()

    def is_closing(self) -> bool:
        """True once :meth:`close` or :meth:`abort` was called or the peer went away."""
        return self._closing or self._lost

    def get_write_buffer_size(self) -> int:
        """Bytes queued and not yet taken by the socket."""
        return self._out_size

    def pause_reading(self) -> None:
        """Stop reading (and calling ``data_received``) until :meth:`resume_reading`."""
        self._reading = False

    def resume_reading(self) -> None:
        """Read again (any thread)."""
        if not self._reading:
            self._reading = True
            self._schedule()

    def submit(self, job: Callable[[], Any]) -> None:
        """Run ``job()`` in the worker pool (any thread); its exceptions are logged."""
        self.server.submit_job(job)

    def call_later(self, delay: float, callback: Callable[[], Any]) -> Timer:
        """Run ``callback()`` in the selector thread after ``delay`` seconds (any thread)."""
        timer = self.server.timers.add(delay, callback)
        self.server.wake()
        return timer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``peername``, ``sockname``, ``sslobject``, ``socket``, ``environ``."""
        sock = self.conn.sock
        try:
            if name == "peername":
                return sock.getpeername()
            if name == "sockname":
                return sock.getsockname()
        except OSError:
            return default
        if name == "sslobject":
            return sock if self.conn.is_tls else default
        if name == "socket":
            return sock
        if name == "environ":
            return self.environ
        return default

    # -- selector thread --------------------------------------------------------------------

    def _schedule(self) -> None:
        """Have the selector thread look at this transport (from any thread)."""
        server = self.server
        if server.in_selector_thread():
            self.service()
            return
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        server.pending_transports.append(self)
        server.wake_for_transports()

    def start(self, initial: bytes) -> None:
        """Hand the connection to the handler (selector thread); feed ``initial`` bytes."""
        self._call("connection_made", self)
        if initial and not self._lost and not self._aborted:
            self._call("data_received", initial)
        self.service()

    def on_event(self) -> None:
        """The socket is readable or writable (selector thread)."""
        if self._reading and not self._lost and not self._aborted and not self._eof:
            self._read()
        self.service()

    def service(self) -> None:
        """Flush what is queued, close when asked, and re-arm the poller (selector thread)."""
        with self._lock:
            self._scheduled = False
        if self._lost:
            return
        if self._aborted:
            self._finish(None)
            return
        if self._out and not self._flush():
            return
        if self._closing and not self._out:
            self._finish(None)
            return
        if self._eof and not self._out:
            self._finish(None)
            return
        server = self.server
        poller = server.poller
        if poller is not None:
            poller.arm(self.conn.fd, self._reading and not self._eof, bool(self._out))

    def _read(self) -> None:
        sock = self.conn.sock
        for _ in range(READS_PER_EVENT):
            try:
                data = sock.recv(READ_SIZE)
            except (
                BlockingIOError,
                InterruptedError,
                _connection.SSLWantReadError,
                _connection.SSLWantWriteError,
            ):
                return
            except OSError as exc:
                self._finish(exc)
                return
            if not data:
                self._eof = True
                self._call("eof_received")
                return
            self._call("data_received", data)
            if self._lost or self._aborted or not self._reading:
                return
            if self.conn.is_tls:
                pending = sock.pending()  # type: ignore[attr-defined]
                if pending:
                    continue
            if len(data) < READ_SIZE:
                return

    def _flush(self) -> bool:
        """Send queued bytes without blocking; False when the connection was lost."""
        sock = self.conn.sock
        with self._lock:
            out = self._out
            if len(out) > 1 and len(out[0]) < FLUSH_SIZE:
                # Join small pieces into one send, up to FLUSH_SIZE bytes (never the whole
                # backlog of a slow client again and again).
                size = count = 0
                for piece in out:
                    size += len(piece)
                    count += 1
                    if size >= FLUSH_SIZE:
                        break
                out[:count] = [b"".join(out[:count])]
            data = out[0] if out else b""
        if not data:
            return True
        try:
            sent = sock.send(data)
        except (
            BlockingIOError,
            InterruptedError,
            _connection.SSLWantReadError,
            _connection.SSLWantWriteError,
        ):
            sent = 0
        except OSError as exc:
            self._finish(exc)
            return False
        if sent:
            with self._lock:
                out = self._out
                # abort() from another thread may have emptied the queue meanwhile.
                if out and out[0] is data:
                    if sent >= len(data):
                        out.pop(0)
                    else:
                        out[0] = data[sent:]
                    self._out_size = max(0, self._out_size - sent)
        return True

    def _finish(self, exc: BaseException | None) -> None:
        """Close the socket and tell the handler (once)."""
        with self._lock:
            if self._lost:
                return
            self._lost = True
            self._closing = True
            self._out.clear()
            self._out_size = 0
        self.server.forget_transport(self)
        self._call("connection_lost", exc)

    def _call(self, name: str, *args: Any) -> None:
        """Call a handler method; a handler that raises is logged and its connection closed."""
        try:
            getattr(self.handler, name)(*args)
        except Exception:
            self.server.error_log(
                f"Error in {type(self.handler).__qualname__}.{name} for {self.conn!r}", 40, True
            )
            if name != "connection_lost":
                self._finish(None)

    def stopping(self) -> None:
        """The server stops gracefully: let the handler say goodbye (selector thread)."""
        if not self._lost:
            self._call("server_stopping")
            self.service()
