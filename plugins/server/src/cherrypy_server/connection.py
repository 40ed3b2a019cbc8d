"""One client connection: its socket, its parser, and blocking-with-deadline I/O.

Sockets stay non-blocking for their whole life.  The selector thread only calls the
non-blocking methods; a worker thread that owns the connection uses :meth:`Connection.send`,
:meth:`Connection.sendfile` and :meth:`Connection.read_body`, which wait with ``poll`` when
the socket is not ready, and raise :class:`ClientGone` when the peer has disappeared or is
too slow.

"Too slow" is a rate, not a per-call timeout (which a client resets with one byte every few
seconds).  Time counts only while the server waits for the client, in windows of
``socket_timeout`` seconds: in each window a request body must bring ``body_min_rate`` x
``socket_timeout`` bytes (or end), and the whole body may make the server wait
``body_timeout`` seconds at most (``408`` otherwise, see :class:`BodyTimeout`); a response
must be read at ``response_min_rate`` the same way, or its connection is closed.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time
from typing import TYPE_CHECKING, Any

from .protocol import ProtocolError, Request, RequestParser

if TYPE_CHECKING:
    from .server import HTTPServer

__all__ = ["BodyTimeout", "ClientGone", "Connection", "use_tls_errors"]


class _NoTLSError(OSError):
    """Stands in for the ssl module's exceptions while no TLS socket exists: never raised."""


# The ssl module's exceptions, caught below.  A plain-TCP socket never raises them, so the
# ssl module (slow to import) is imported only when the server gets a TLS context
# (:func:`use_tls_errors`); until then these names hold a class nothing raises.
SSLError: type[OSError] = _NoTLSError
SSLWantReadError: type[OSError] = _NoTLSError
SSLWantWriteError: type[OSError] = _NoTLSError


def use_tls_errors() -> None:
    """Catch the ssl module's exceptions from now on (called before any TLS socket exists)."""
    global SSLError, SSLWantReadError, SSLWantWriteError
    if SSLError is _NoTLSError:
        import ssl

        SSLWantReadError = ssl.SSLWantReadError
        SSLWantWriteError = ssl.SSLWantWriteError
        SSLError = ssl.SSLError


RECV_SIZE = 65536

BULK_FILE_SIZE = 1024 * 1024
"""Files at least this large are sent through a blocking socket with a large send buffer."""

BULK_SEND_BUFFER = 4 * 1024 * 1024
"""``SO_SNDBUF`` asked for before sending a large file (the kernel caps it at wmem_max)."""

BULK_WAIT = 1.0
"""Longest single wait (``SO_SNDTIMEO``) of a blocking ``sendfile``; the rate is checked after."""

# struct timeval for SO_SNDTIMEO; only on Linux, where its layout is two C longs.
_SNDTIMEO_FORMAT = "ll" if sys.platform.startswith("linux") else None

# Where a connection is: waiting in the selector, being served by a worker, or gone.
IN_SELECTOR = 0
IN_WORKER = 1
CLOSED = 2
TAKEN = 3  # handed over to a plugin (``cherrypy.plugin.take_over_connection``)

_POLLIN = getattr(select, "POLLIN", 1)
_POLLOUT = getattr(select, "POLLOUT", 4)
_MSG_MORE = getattr(socket, "MSG_MORE", 0)


class ClientGone(Exception):
    """The client closed the connection, reset it, or stopped reading or sending in time."""


class BodyTimeout(ProtocolError):
    """The request body stalled, came too slowly or took too long: answered with ``408``."""

    def __init__(self, message: str) -> None:
        """An error answered ``408 Request Timeout`` with ``message``."""
        super().__init__(408, "Request Timeout", message)


def _wait(sock: socket.socket, events: int, timeout: float) -> bool:
    """Wait until ``sock`` is ready for ``events``; False when ``timeout`` passed first."""
    if timeout <= 0:
        return False
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, events)
        return bool(poller.poll(timeout * 1000.0))
    wanted = [sock]
    ready = select.select(
        wanted if events & _POLLIN else [], wanted if events & _POLLOUT else [], wanted, timeout
    )
    return any(ready)


class Connection:
    """State of one accepted socket, shared by the selector thread and the workers.

    Only one thread owns a connection at a time (:attr:`owner`), so its fields need no lock.
    """

    __slots__ = (
        "__weakref__",
        "body_slot",
        "bulk_ready",
        "deadline",
        "environ",
        "fd",
        "handshaking",
        "is_tls",
        "linger_budget",
        "owner",
        "parser",
        "paused",
        "rx_mark",
        "rx_request",
        "rx_since",
        "rx_total",
        "rx_window",
        "sent_continue",
        "served",
        "server",
        "sock",
        "taken",
        "takeover",
        "transport",
        "tx_mark",
        "tx_sent",
        "tx_window",
        "want_write",
    )

    def __init__(
        self, server: HTTPServer, sock: socket.socket, environ: dict[str, Any], is_tls: bool
    ) -> None:
        """Wrap an accepted non-blocking ``sock``; ``environ`` holds per-connection WSGI keys."""
        self.server = server
        self.sock = sock
        self.fd = sock.fileno()
        self.environ = environ
        self.is_tls = is_tls
        self.handshaking = is_tls
        self.want_write = False
        self.parser = RequestParser(server.limits)
        self.owner = IN_SELECTOR
        self.deadline = 0.0
        self.sent_continue = False
        self.linger_budget = -1
        self.bulk_ready = False
        # False until a first request was answered: a silent new connection gets a 408.
        self.served = False
        # Whether this connection holds one of the server's body-reading worker slots, and
        # whether it waits in the selector for one (not read meanwhile).
        self.body_slot = False
        self.paused = False
        # Request body pace (see the module docstring): the request measured, the bytes
        # received at the start of the current window, the seconds waited in that window and
        # for the whole body, and when the selector started waiting.
        self.rx_request: Request | None = None
        self.rx_mark = 0
        self.rx_window = 0.0
        self.rx_total = 0.0
        self.rx_since = 0.0
        # Response pace: bytes sent, bytes sent when the window started, seconds waited in it.
        self.tx_sent = 0
        self.tx_mark = 0
        self.tx_window = 0.0
        # Connection take-over: the handler offered by the application for the current
        # request, what the response confirmed (environ, chunked), and the transport after.
        self.takeover: Any = None
        self.taken: tuple[dict[str, Any], bool] | None = None
        self.transport: Any = None

    def __repr__(self) -> str:
        return f"<Connection fd={self.fd} {self.environ.get('REMOTE_ADDR')!r}>"

    def offer_takeover(self, handler: Any) -> None:
        """The environ's ``cherrypy.take_over``: hand this connection to ``handler`` after
        the current response head (see :mod:`cherrypy_server.takeover`)."""
        for name in ("connection_made", "data_received", "connection_lost"):
            if not callable(getattr(handler, name, None)):
                raise TypeError(
                    f"{type(handler).__qualname__} is not a ConnectionHandler: it has no {name}()"
                )
        self.takeover = handler

    # -- selector side (never blocks) -------------------------------------------------------

    def handshake_step(self) -> bool:
        """Advance a TLS handshake; True once it is done.  Raises ``OSError`` on failure."""
        sock: Any = self.sock
        try:
            sock.do_handshake()
        except SSLWantReadError:
            self.want_write = False
            return False
        except SSLWantWriteError:
            self.want_write = True
            return False
        self.handshaking = False
        self.want_write = False
        self.environ.update(self.server.tls_environ(sock))
        return True

    def pull(self) -> bool | None:
        """Read what the socket has without blocking and feed it to the parser.

        Returns True when bytes were read, False when nothing was there yet, and None when
        the peer closed the connection or it failed.
        """
        sock = self.sock
        try:
            data = sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError, SSLWantReadError):
            return False
        except SSLWantWriteError:
            return False
        except OSError:
            return None
        if not data:
            return None
        self.parser.feed(data)
        if self.is_tls:
            # Decrypted bytes may wait inside the TLS object where the poller cannot see them.
            for _ in range(16):
                pending = sock.pending()  # type: ignore[attr-defined]
                if not pending or self.parser.halted:
                    break
                try:
                    data = sock.recv(pending)
                except (OSError, SSLError):
                    break
                if not data:
                    break
                self.parser.feed(data)
        return True

    def try_send(self, data: bytes) -> None:
        """Send as much of ``data`` as the socket takes right now; errors are ignored."""
        try:
            self.sock.send(data)
        except (OSError, SSLError):
            pass

    # -- pace of the request body and of the response ---------------------------------------

    def rx_account(self, request: Request, waited: float) -> float:
        """Count ``waited`` seconds spent waiting for ``request``'s body and its progress.

        Returns the seconds the server may still wait for the client before the body is
        too slow (0 or less: it is).  Shared by the selector thread and the worker that
        owns the connection (one at a time).
        """
        if self.rx_request is not request:
            self.rx_request = request
            self.rx_mark = 0
            self.rx_window = 0.0
            self.rx_total = 0.0
        self.rx_window += waited
        self.rx_total += waited
        server = self.server
        if request.received - self.rx_mark >= server.rx_quota:
            self.rx_mark = request.received
            self.rx_window = 0.0
        left = server.rate_window - self.rx_window
        limit = server.body_timeout
        if limit and limit > 0:
            left = min(left, limit - self.rx_total)
        return left

    def body_timeout_error(self, request: Request) -> BodyTimeout:
        """Mark ``request`` as failed with ``408`` and return that error (to raise)."""
        limit = self.server.body_timeout
        if limit and limit > 0 and self.rx_total >= limit:
            message = "The request body took too long."
        else:
            message = "The request body did not arrive in time."
        error = BodyTimeout(message)
        request.error = error
        request.keep_alive = False
        self.parser.halted = True
        return error

    def tx_reset(self) -> None:
        """Start measuring the pace of a new response."""
        self.tx_sent = self.tx_mark = 0
        self.tx_window = 0.0

    def _tx_progress(self, sent: int) -> None:
        self.tx_sent += sent
        if self.tx_sent - self.tx_mark >= self.server.tx_quota:
            self.tx_mark = self.tx_sent
            self.tx_window = 0.0

    def _tx_wait(self, events: int) -> None:
        """Wait for the client to read, within the response's pace; else :class:`ClientGone`."""
        left = self.server.rate_window - self.tx_window
        start = time.monotonic()
        ready = _wait(self.sock, events, left)
        self.tx_window += time.monotonic() - start
        if not ready:
            raise ClientGone("timed out sending the response (the client reads too slowly)")

    # -- worker side (waits as long as the client keeps its pace) ---------------------------

    def send(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``, waiting for the client to read; raise :class:`ClientGone`."""
        sock = self.sock
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError, SSLWantWriteError, SSLWantReadError):
            sent = 0
        except OSError as exc:
            raise ClientGone(str(exc)) from None
        self._tx_progress(sent)
        if sent == len(data):
            return
        view = memoryview(data)[sent:]
        while view:
            try:
                sent = sock.send(view)
            except (BlockingIOError, InterruptedError, SSLWantWriteError):
                self._tx_wait(_POLLOUT)
                continue
            except SSLWantReadError:
                self._tx_wait(_POLLIN)
                continue
            except OSError as exc:
                raise ClientGone(str(exc)) from None
            self._tx_progress(sent)
            view = view[sent:]

    def send_head(self, head: bytes) -> None:
        """Send a response head that a body sent by other means follows at once.

        On TCP the head is held back (``MSG_MORE``) to leave in the same segment as the
        start of the body.
        """
        if _MSG_MORE and not self.is_tls:
            try:
                sent = self.sock.send(head, _MSG_MORE)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                raise ClientGone(str(exc)) from None
            self._tx_progress(sent)
            if sent < len(head):
                self.send(memoryview(head)[sent:])
            return
        self.send(head)

    def send_parts(self, parts: list[bytes]) -> None:
        """Send several buffers, gathering them into as few system calls as possible."""
        total = sum(map(len, parts))
        if total <= 65536 or self.is_tls or not hasattr(self.sock, "sendmsg"):
            self.send(b"".join(parts))
            return
        sock = self.sock
        try:
            sent = sock.sendmsg(parts)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            raise ClientGone(str(exc)) from None
        self._tx_progress(sent)
        if sent == total:
            return
        for part in parts:
            if sent >= len(part):
                sent -= len(part)
                continue
            self.send(memoryview(part)[sent:] if sent else part)
            sent = 0

    def sendfile(self, file: Any, offset: int, count: int) -> int:
        """Send ``count`` bytes of ``file`` from ``offset`` with ``os.sendfile``.

        Returns the number of bytes sent, which is less than ``count`` only if the file
        turned out shorter.  A large file goes out with the socket made blocking for the
        transfer (``SO_SNDTIMEO`` bounds each wait) and a larger send buffer, so the kernel
        moves it in a few calls instead of one per socket-buffer-full plus a ``poll``.
        """
        out_fd = self.fd
        in_fd = file.fileno()
        bulk = count >= BULK_FILE_SIZE and _SNDTIMEO_FORMAT is not None
        if bulk:
            bulk = self._enter_bulk()
        window = self.server.rate_window
        done = 0
        try:
            while done < count:
                start = time.monotonic() if bulk else 0.0
                try:
                    sent = os.sendfile(out_fd, in_fd, offset + done, min(count - done, 1 << 30))
                except (BlockingIOError, InterruptedError):
                    if bulk:
                        # A blocking socket says EAGAIN only when SO_SNDTIMEO ran out.
                        self.tx_window += time.monotonic() - start
                        if self.tx_window >= window:
                            raise ClientGone("timed out sending a file") from None
                        continue
                    self._tx_wait(_POLLOUT)
                    continue
                except OSError as exc:
                    raise ClientGone(str(exc)) from None
                if sent == 0:
                    break
                done += sent
                if bulk:
                    # The call blocked while the client read: that time counts as waiting.
                    self.tx_window += time.monotonic() - start
                self._tx_progress(sent)
                if bulk and self.tx_window >= window:
                    raise ClientGone("timed out sending a file (the client reads too slowly)")
        finally:
            if bulk:
                try:
                    os.set_blocking(out_fd, False)
                except OSError:
                    pass
        return done

    def _enter_bulk(self) -> bool:
        """Make the socket blocking with a send timeout and a large send buffer."""
        sock = self.sock
        try:
            if not self.bulk_ready:
                timeout = max(0.001, min(BULK_WAIT, float(self.server.timeout)))
                seconds = int(timeout)
                micros = int((timeout - seconds) * 1e6)
                sock.setsockopt(
                    socket.SOL_SOCKET,
                    socket.SO_SNDTIMEO,
                    struct.pack(_SNDTIMEO_FORMAT, seconds, micros),  # type: ignore[arg-type]
                )
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BULK_SEND_BUFFER)
                self.bulk_ready = True
            os.set_blocking(self.fd, True)
        except OSError:
            return False
        return True

    def read_body(self, request: Request) -> None:
        """Wait for more body bytes of ``request`` and feed them to the parser.

        Sends ``100 Continue`` first when the client waits for it.  Raises
        :class:`~cherrypy_server.protocol.ProtocolError` for a malformed or oversized body,
        :class:`BodyTimeout` (a ``408``) when the body stalls or falls below its minimum
        rate or overall deadline, and :class:`ClientGone` when the client closes.
        """
        if request.error is not None:
            raise request.error
        if request.expect_continue and not self.sent_continue and not request.received:
            self.sent_continue = True
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock = self.sock
        while True:
            try:
                data = sock.recv(RECV_SIZE)
            except (BlockingIOError, InterruptedError, SSLWantReadError):
                self._rx_wait(request, _POLLIN)
                continue
            except SSLWantWriteError:
                self._rx_wait(request, _POLLOUT)
                continue
            except OSError as exc:
                raise ClientGone(str(exc)) from None
            if not data:
                raise ClientGone("the client closed the connection during the request body")
            self.parser.feed(data)
            if request.error is not None:
                raise request.error
            self.rx_account(request, 0.0)
            if request.complete and self.body_slot:
                self.server.release_body_slot(self)
            return

    def _rx_wait(self, request: Request, events: int) -> None:
        """Wait for body bytes within the body's pace, else raise :class:`BodyTimeout`."""
        left = self.rx_account(request, 0.0)
        start = time.monotonic()
        ready = _wait(self.sock, events, left)
        self.rx_account(request, time.monotonic() - start)
        if not ready:
            raise self.body_timeout_error(request)

    def drain(self, request: Request, budget: int) -> bool:
        """Read and discard the rest of ``request``'s body, at most ``budget`` bytes.

        Returns True when the body is fully consumed, so the connection can be reused.
        """
        request.body.clear()
        request.body_pos = 0
        limit = request.received + budget
        deadline = time.monotonic() + self.server.timeout
        while not request.complete:
            if request.received > limit or time.monotonic() > deadline:
                return False
            try:
                self.read_body(request)
            except (ClientGone, ProtocolError):
                return False
            request.body.clear()
        return True

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.owner = CLOSED
        try:
            self.sock.close()
        except OSError:
            pass
