"""The HTTP/1.1 WSGI server: listening sockets, the selector thread and the worker pool.

One thread (the one that calls :meth:`HTTPServer.start` or :meth:`HTTPServer.serve`) owns
the listening sockets and every connection that is idle between requests or still sending
its request head: it accepts, performs TLS handshakes without blocking, reads and parses
heads, and enforces deadlines.  A connection goes to the worker pool only once a request head
is complete and its body is buffered (up to :data:`BODY_BUFFER` bytes) or will be read by the
worker.  After the response a keep-alive connection goes back to the selector thread, so
idle and slow clients cost a file descriptor, never a thread.

Only ``body_workers`` workers at a time may wait for request bodies (a "body slot" each): a
request whose body is not fully buffered, or whose client waits for ``100 Continue``, goes to
a worker only with a free slot.  Without one, the selector sends ``100 Continue`` itself and
keeps buffering; a full buffer then waits (unread) for a slot.  Trickling uploads therefore
hold at most ``body_workers`` threads, and the rest of the pool keeps serving.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import __version__
from . import connection as _connection
from .connection import CLOSED, IN_SELECTOR, IN_WORKER, TAKEN, Connection, use_tls_errors
from .gateway import FileWrapper, error_response, serve_request
from .listeners import Listener, bind_listener, handover, parse_address
from .poller import Poller, make_poller
from .pool import DEFAULT_MAX_THREADS, WorkerPool
from .protocol import Limits, ProtocolError
from .takeover import TakeoverTransport, TimerQueue

if TYPE_CHECKING:
    import ssl

__all__ = ["BODY_BUFFER", "DEFAULT_MAX_THREADS", "HTTPServer"]

BODY_BUFFER = 64 * 1024
"""Body bytes the selector thread buffers before handing a request to a worker."""

LINGER_BYTES = 1024 * 1024
"""Bytes read and discarded after an error answer, so the client can read that answer."""

TRANSPORT_BATCH = 256
"""Taken-over connections serviced per turn of the selector loop (see _service_transports)."""

_SWEEP_INTERVAL = 0.25

IDLE_GRACE = 0.5
"""Seconds a graceful stop keeps idle connections open, answering (with ``Connection:
close``) a request a client may have sent just as the stop began."""
_STOPPING_FOR_INTERRUPT = object()
_logger = logging.getLogger("cherrypy_server")


class HTTPServer:
    """An HTTP/1.0 and HTTP/1.1 server for one WSGI application.

    The positional parameters follow ``cheroot.wsgi.Server``.  ``bind_addr`` is a
    ``(host, port)`` tuple (port 0 picks a free port, see :attr:`bound_addr`) or the path
    of a UNIX socket.  ``start()`` serves until ``stop()`` is called from another thread.
    """

    def __init__(
        self,
        bind_addr: tuple[str, int] | str,
        wsgi_app: Callable[..., Any],
        numthreads: int = 10,
        server_name: str | None = None,
        max: int = DEFAULT_MAX_THREADS,
        request_queue_size: int = 5,
        timeout: float = 10,
        shutdown_timeout: float = 5,
        accepted_queue_size: int = -1,
        accepted_queue_timeout: float = 10,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_request_header_size: int = 500 * 1024,
        max_request_uri_size: int = 64 * 1024,
        max_request_body_size: int = 100 * 1024 * 1024,
        max_request_header_line_size: int = 64 * 1024,
        protocol: str = "HTTP/1.1",
        nodelay: bool = True,
        version: str | None = None,
        error_log: Callable[..., None] | None = None,
        use_epoll: bool = True,
        allow_connect: bool = False,
        body_timeout: float = 300,
        body_min_rate: float = 1024,
        response_min_rate: float = 1024,
        body_workers: int = -1,
        extra_addresses: Any = (),
        socket_fd: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        """Configure the server; nothing is bound or started until :meth:`prepare`.

        ``extra_addresses`` are more addresses to listen on (see
        :func:`~cherrypy_server.listeners.parse_address`); ``socket_fd`` is a listening
        socket's descriptor to serve on instead of binding ``bind_addr``.
        """
        self.bind_addr = bind_addr
        self.extra_addresses = [parse_address(item) for item in extra_addresses or ()]
        self.socket_fd = socket_fd
        self.reuse_port = reuse_port
        self.wsgi_app = wsgi_app
        self.minthreads = numthreads
        self.maxthreads = max
        self.server_name = server_name
        self.request_queue_size = request_queue_size
        self.timeout = timeout
        self.shutdown_timeout = shutdown_timeout
        self.accepted_queue_size = accepted_queue_size
        self.accepted_queue_timeout = accepted_queue_timeout
        self.ssl_context = ssl_context
        self.max_request_header_size = max_request_header_size
        self.max_request_uri_size = max_request_uri_size
        self.max_request_body_size = max_request_body_size
        self.max_request_header_line_size = max_request_header_line_size
        self.protocol = protocol
        self.nodelay = nodelay
        self.version = version or f"cherrypy-server/{__version__}"
        if error_log is not None:
            self.error_log = error_log  # type: ignore[method-assign]
        self.use_epoll = use_epoll
        self.allow_connect = allow_connect
        self.body_timeout = body_timeout
        self.body_min_rate = body_min_rate
        self.response_min_rate = response_min_rate
        self.body_workers = body_workers
        self.use_sendfile = hasattr(os, "sendfile")
        self.ready = False
        self.stopping = False
        self.socket: socket.socket | None = None
        self.stats: dict[str, Any] = {"Enabled": False}
        self._listeners: list[Listener] = []
        self._conns: dict[int, Connection] = {}
        self._poller: Poller | None = None
        self._pool: WorkerPool | None = None
        self._aborting = False
        self._state_lock = threading.Lock()
        self._serving = threading.Event()
        self._served = threading.Event()
        self._served.set()
        self._accept_paused_until = 0.0
        self._paused: list[Listener] = []
        self._interrupt: Any = None
        self._stopper_job: Any = None
        self.socket_origin: str | None = None
        """Where the main listening socket came from when it was not bound here:
        ``"handed over"``, ``"parked"``, ``"systemd"`` or ``"descriptor"``."""
        # Body slots (see the module docstring): taken by the selector thread or a worker,
        # given back by workers, which then wake the selector if a connection waits for one.
        self._body_lock = threading.Lock()
        self._body_busy = 0
        self._body_limit = 1
        self._slot_waiters: deque[Connection] = deque()
        # Connections workers give back with a request ready to route (appended by workers,
        # taken by the selector thread; deque appends and pops are atomic).
        self._returned: deque[Connection] = deque()
        # Taken-over connections (cherrypy_server.takeover): their transports, those that
        # other threads asked the selector to service, and those to start.
        self._transports: set[TakeoverTransport] = set()
        self.pending_transports: deque[TakeoverTransport] = deque()
        self._starting: deque[tuple[TakeoverTransport, bytes]] = deque()
        self.timers = TimerQueue()
        self._transport_wake = False
        self.rate_window = 10.0
        self.rx_quota = 1
        self.tx_quota = 1

    # -- configuration derived at prepare time ----------------------------------------------

    @property
    def app(self) -> Callable[..., Any]:
        """The WSGI application (``wsgi_app``)."""
        return self.wsgi_app

    @property
    def ssl_adapter(self) -> ssl.SSLContext | None:
        """The TLS context, under the attribute name CherryPy's adapter looks for."""
        return self.ssl_context

    @property
    def bound_addr(self) -> tuple[str, int] | str:
        """The address actually bound (the real port when ``bind_addr`` asked for port 0)."""
        if self.socket is None or isinstance(self.bind_addr, (str, bytes)):
            return self.bind_addr  # type: ignore[return-value]
        port = self.socket.getsockname()[1]
        return (self.bind_addr[0], port)

    @property
    def interrupt(self) -> Any:
        """The ``KeyboardInterrupt`` or ``SystemExit`` that stopped the server, if any.

        Setting it (as a worker does when an application raises one of them) stops the
        server; :meth:`serve` then raises it in the serving thread, so whoever runs the
        server (the engine's server adapter) learns of it and exits.
        """
        interrupt = self._interrupt
        return None if interrupt is _STOPPING_FOR_INTERRUPT else interrupt

    @interrupt.setter
    def interrupt(self, value: Any) -> None:
        self._interrupt = _STOPPING_FOR_INTERRUPT
        if isinstance(value, KeyboardInterrupt):
            self.error_log("Keyboard Interrupt: shutting down")
        elif isinstance(value, SystemExit):
            self.error_log("SystemExit raised: shutting down")
        try:
            self.stop()
        finally:
            self._interrupt = value

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Report a server-side error (to the ``cherrypy_server`` logger by default)."""
        _logger.log(level, msg, exc_info=traceback)

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__qualname__}({self.bind_addr!r})"

    # -- services for taken-over connections (cherrypy_server.takeover) ---------------------

    @property
    def poller(self) -> Poller | None:
        """The selector thread's poller (None before :meth:`prepare`)."""
        return self._poller

    @property
    def open_takeovers(self) -> int:
        """Connections handed over to plugins and still open."""
        return len(self._transports)

    # -- gauges (read by cherrypy-metrics when scraped; cheap, any thread) -------------------

    @property
    def workers(self) -> int:
        """Worker threads alive (0 before :meth:`prepare`)."""
        pool = self._pool
        return pool.size if pool is not None else 0

    @property
    def busy_workers(self) -> int:
        """Worker threads running a request or a job."""
        pool = self._pool
        return pool.busy if pool is not None else 0

    @property
    def open_connections(self) -> int:
        """Client connections open, idle keep-alive ones held by the selector included."""
        return len(self._conns)

    @property
    def queued_requests(self) -> int:
        """Requests read and waiting for a free worker."""
        pool = self._pool
        return pool.backlog if pool is not None else 0

    def in_selector_thread(self) -> bool:
        """True in the thread running :meth:`serve`."""
        return self._serving.is_set() and self._in_serve_thread()

    def wake(self) -> None:
        """Make the selector thread look at its queues now (any thread)."""
        poller = self._poller
        if poller is not None:
            poller.wake()

    def wake_for_transports(self) -> None:
        """Wake the selector for queued transports, once per batch (any thread)."""
        if not self._transport_wake:
            self._transport_wake = True
            self.wake()

    def submit_job(self, job: Callable[[], Any]) -> None:
        """Run ``job()`` in the worker pool (any thread); exceptions are logged."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("the server is not started")
        pool.submit(job)

    def forget_transport(self, transport: TakeoverTransport) -> None:
        """Close a taken-over connection and forget it (selector thread)."""
        self._transports.discard(transport)
        self._close(transport.conn)

    # -- life cycle -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Bind the listening socket and start the worker threads."""
        if self.ready:
            return
        self.stopping = False
        self._aborting = False
        self._interrupt = None
        self.limits = Limits(
            self.max_request_header_size or 0,
            self.max_request_uri_size or 0,
            self.max_request_body_size or 0,
            bool(self.allow_connect),
            self.max_request_header_line_size or 0,
        )
        self.timeout_text = (
            str(int(self.timeout)) if float(self.timeout).is_integer() else str(self.timeout)
        )
        self.status_prefix = (self.protocol + " ").encode("latin-1")
        self.server_line = b"Server: " + self.version.encode("latin-1") + b"\r\n"
        self.keep_alive_line = b"Connection: Keep-Alive\r\nKeep-Alive: timeout=%s\r\n" % (
            self.timeout_text.encode("ascii")
        )
        if self.ssl_context is not None:
            use_tls_errors()
        self._listeners = self._open_listeners(max(int(self.request_queue_size), 128))
        self.socket = self._listeners[0].sock
        self._base_environ = self._make_base_environ()
        self._poller = make_poller(self.use_epoll)
        for listener in self._listeners:
            if self.nodelay and not listener.unix:
                try:  # passed on to the accepted sockets where the system does so
                    listener.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
            self._poller.add(listener.sock.fileno(), listener, oneshot=False)
        self._pool = WorkerPool(self._work, self.minthreads, self.maxthreads)
        self._prepare_pace(self._pool)
        self._pool.start()
        self.ready = True

    def _open_listeners(self, backlog: int) -> list[Listener]:
        """The listening sockets: ``bind_addr`` (or ``socket_fd``) and ``extra_addresses``.

        A socket handed to this process for an address (by a graceful reload, a re-exec or
        systemd) is served as it is; the others are bound.
        """
        api = handover()
        self.socket_origin = None
        opened: list[Listener] = []
        try:
            if self.socket_fd is not None:
                sock = api.adopt_descriptor(int(self.socket_fd))
                address = sock.getsockname()
                if isinstance(address, tuple):
                    address = address[:2]
                opened.append(Listener(sock, None, address))
                self.socket_origin = "descriptor"
                self.error_log(f"Serving on descriptor {self.socket_fd} ({address!r})", 20)
            else:
                opened.append(self._open_listener(self.bind_addr, backlog, api))
            for address in self.extra_addresses:
                opened.append(self._open_listener(address, backlog, api))
        except BaseException:
            for listener in opened:
                listener.sock.close()
            raise
        for listener in opened:
            api.register_listener(listener.sock, listener.address)
        return opened

    def _open_listener(self, address: Any, backlog: int, api: Any) -> Listener:
        found = api.inherited_listener(address)
        if found is None:
            return bind_listener(address, backlog, self.reuse_port)
        sock, origin = found
        if address == self.bind_addr:
            self.socket_origin = origin
        self.error_log(f"Serving on the listening socket {origin} for {address!r}", 20)
        path = address if isinstance(address, str) and origin != "systemd" else None
        return Listener(sock, path, address)

    def _prepare_pace(self, pool: WorkerPool) -> None:
        """Derive the rate windows and the number of body slots from the settings."""
        window = max(0.001, float(self.timeout))
        self.rate_window = window
        self.rx_quota = max(1, int(float(self.body_min_rate or 0) * window))
        self.tx_quota = max(1, int(float(self.response_min_rate or 0) * window))
        limit = int(self.body_workers if self.body_workers is not None else -1)
        if limit <= 0:
            most = pool.max_threads if pool.max_threads > 0 else DEFAULT_MAX_THREADS
            limit = max(1, most // 2)
        self._body_limit = limit
        self._body_busy = 0
        self._slot_waiters.clear()
        self._returned.clear()

    def start(self) -> None:
        """Bind, start the workers and serve in the calling thread until :meth:`stop`."""
        self.prepare()
        self.serve()

    def safe_start(self) -> None:
        """Like :meth:`start`, for symmetry with cheroot (errors propagate the same way)."""
        self.start()

    def start_in_thread(self, name: str = "HTTPServer") -> threading.Thread:
        """Bind in the calling thread, then serve in a new daemon thread; return that thread."""
        self.prepare()
        thread = threading.Thread(target=self.serve, name=name, daemon=True)
        thread.start()
        self._serving.wait(5)
        return thread

    def __enter__(self) -> HTTPServer:
        """Serve in a background thread for the duration of a ``with`` block."""
        self.start_in_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the server at the end of a ``with`` block."""
        self.stop()

    def stop(self) -> None:
        """Stop accepting, finish in-flight requests within ``shutdown_timeout``, close all.

        Blocks until the server is stopped.  Idle keep-alive connections and clients still
        sending a request head are closed at once.
        """
        if not self.ready:
            return
        poller, pool = self._poller, self._pool
        assert poller is not None and pool is not None
        # Stopped from a request (a handler calling engine.exit()): that request still
        # answers, and its worker closes the connection afterwards.
        own = pool.own_job()
        with self._state_lock:
            self._stopper_job = own
            self.stopping = True
            serving = self._serving.is_set()
        # In-flight requests get shutdown_timeout from now, drain included.
        deadline = time.monotonic() + max(0.0, self.shutdown_timeout)
        poller.wake()
        if serving and not self._in_serve_thread():
            self._served.wait(max(1.0, self.shutdown_timeout) + 1.0)
        else:
            self._close_selector_side()
        if not pool.wait_idle(deadline):
            self._aborting = True
            for conn in pool.current_jobs():
                if conn is own or type(conn) is not Connection:
                    continue
                try:
                    conn.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        pool.stop(timeout=1.0)
        for conn in list(self._conns.values()):
            if conn is not own:
                self._close(conn)
        poller.close()
        self.socket = None
        self.ready = False

    def _in_serve_thread(self) -> bool:
        return getattr(self, "_serve_ident", None) == threading.get_ident()

    # -- binding ----------------------------------------------------------------------------

    def _make_base_environ(self) -> dict[str, Any]:
        addr = self.bind_addr
        if isinstance(addr, (str, bytes)):
            port = ""
            name = self.server_name or "localhost"
        else:
            port = str(self.bound_addr[1])  # type: ignore[index]
            name = self.server_name or addr[0] or "0.0.0.0"
        return {
            "ACTUAL_SERVER_PROTOCOL": self.protocol,
            "SCRIPT_NAME": "",
            "SERVER_NAME": name,
            "SERVER_PORT": port,
            "SERVER_SOFTWARE": self.version,
            "REMOTE_ADDR": "",
            "REMOTE_PORT": "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.ssl_context is not None else "http",
            "wsgi.errors": _ErrorStream(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "wsgi.file_wrapper": FileWrapper,
        }

    def tls_environ(self, sock: ssl.SSLSocket) -> dict[str, str]:
        """The ``HTTPS`` and ``SSL_*`` environ keys of a connection after its handshake."""
        import ssl

        cipher = sock.cipher() or ("", "", 0)
        return {
            "HTTPS": "on",
            "SSL_PROTOCOL": sock.version() or "",
            "SSL_CIPHER": cipher[0],
            "SSL_CIPHER_USEKEYSIZE": str(cipher[2]),
            "SSL_VERSION_LIBRARY": ssl.OPENSSL_VERSION,
        }

    # -- the selector thread ----------------------------------------------------------------

    def serve(self) -> None:
        """Run the selector loop in the calling thread until :meth:`stop`."""
        if not self.ready:
            self.prepare()
        poller, pool = self._poller, self._pool
        assert poller is not None and pool is not None
        with self._state_lock:
            if self.stopping:
                return
            self._serve_ident = threading.get_ident()
            self._served.clear()
            self._serving.set()
        next_sweep = time.monotonic() + _SWEEP_INTERVAL
        drain_until = grace_until = 0.0
        try:
            timers = self.timers
            while True:
                if self.stopping:
                    now = time.monotonic()
                    if not drain_until:
                        # Graceful stop: no new connections; requests in flight finish and
                        # requests arriving on open connections are answered (with
                        # ``Connection: close``) until the workers are idle.
                        self._stop_listening()
                        drain_until = now + max(0.0, float(self.shutdown_timeout))
                        grace_until = now + min(IDLE_GRACE, max(0.0, float(self.shutdown_timeout)))
                    if now >= drain_until or self._drained(now < grace_until):
                        break
                wait = 0.05 if pool.backlog else _SWEEP_INTERVAL
                if drain_until:
                    wait = 0.02
                if self.pending_transports or self._starting:
                    wait = 0.0
                due = timers.next_due()
                if due is not None:
                    wait = min(wait, max(0.0, due - time.monotonic()))
                for obj, _events in poller.poll(wait):
                    try:
                        if type(obj) is Connection:
                            self._on_event(obj)
                        else:
                            self._accept(obj)
                    except Exception:
                        self.error_log(f"Unexpected error handling {obj!r}", 40, True)
                        if type(obj) is Connection:
                            self._drop(obj)
                now = time.monotonic()
                if self._starting or self.pending_transports:
                    self._service_transports()
                if due is not None:
                    self._run_timers(now)
                if self._returned:
                    self._take_returned(now)
                if self._slot_waiters and self._body_busy < self._body_limit:
                    self._resume_waiters(now)
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + _SWEEP_INTERVAL
                pool.maybe_grow(now)
                if self._paused and now >= self._accept_paused_until:
                    for listener in self._paused:
                        poller.add(listener.sock.fileno(), listener, oneshot=False)
                    self._paused = []
        finally:
            self._close_selector_side()
            try:
                self._finish_takeovers()
            except Exception:
                self.error_log("Unexpected error closing taken-over connections", 40, True)
            self._serving.clear()
            self._served.set()
        if self._interrupt is not None:
            # Stopped by an interrupt: raise it here once the stop is complete.
            while self._interrupt is _STOPPING_FOR_INTERRUPT:
                time.sleep(0.01)
            if self._interrupt is not None:
                raise self._interrupt

    def _service_transports(self, batch: int = TRANSPORT_BATCH) -> None:
        """Start transports handed over by workers; service those other threads poked.

        At most ``batch`` of the poked ones per call, so that a broadcast to thousands of
        connections does not keep the selector from new requests (the loop polls without
        waiting while some are left).
        """
        self._transport_wake = False
        starting = self._starting
        while starting:
            transport, initial = starting.popleft()
            conn = transport.conn
            if conn.owner != TAKEN or self._conns.get(conn.fd) is not conn:
                self._lost_without_connection(transport.handler)
                continue
            self._transports.add(transport)
            try:
                transport.start(initial)
            except Exception:
                self.error_log(f"Unexpected error starting {transport!r}", 40, True)
                transport.abort()
                transport.service()
        pending = self.pending_transports
        transports = self._transports
        while pending and batch > 0:
            batch -= 1
            transport = pending.popleft()
            if transport in transports:
                try:
                    transport.service()
                except Exception:
                    self.error_log(f"Unexpected error servicing {transport!r}", 40, True)
                    transport.abort()
                    transport.service()

    def _run_timers(self, now: float) -> None:
        for timer in self.timers.pop_due(now):
            try:
                timer.callback()
            except Exception:
                self.error_log(f"Error in timer callback {timer.callback!r}", 40, True)

    def _finish_takeovers(self) -> None:
        """Graceful stop: let every taken-over connection say goodbye, then close the rest."""
        poller = self._poller
        if poller is None:
            return
        if self._starting or self.pending_transports:
            self._service_transports()
        if not self._transports:
            return
        for transport in list(self._transports):
            transport.stopping()
        deadline = time.monotonic() + max(0.5, min(float(self.shutdown_timeout), 10.0))
        while self._transports:
            now = time.monotonic()
            if now >= deadline:
                break
            for obj, _events in poller.poll(min(0.05, deadline - now)):
                if type(obj) is Connection and obj.owner == TAKEN:
                    try:
                        obj.transport.on_event()
                    except Exception:
                        self.error_log(f"Unexpected error handling {obj!r}", 40, True)
                        self._drop(obj)
            if self._starting or self.pending_transports:
                self._service_transports()
            self._run_timers(time.monotonic())
        for transport in list(self._transports):
            transport.abort()
            transport.service()
        self._transports.clear()
        self.timers.clear()

    def _stop_listening(self) -> None:
        """Stop accepting: close the listening sockets, or leave them open for the process
        that serves them next (a graceful reload's new process, a re-exec)."""
        poller = self._poller
        api = handover()
        parking = api.parking()
        handed_on = api.successor_serving()
        for listener in self._listeners:
            if poller is not None and listener not in self._paused:
                poller.remove(listener.sock.fileno())
                if not parking and not handed_on and self.stopping and self._pool is not None:
                    # Connections the kernel completed but nobody accepted yet would be
                    # reset with the socket: take them in, they are answered while draining.
                    try:
                        self._accept(listener)
                    except Exception:
                        self.error_log("Error accepting the last connections", 40, True)
            if parking:
                api.park_listener(listener.sock, listener.address)
                continue
            api.unregister_listener(listener.sock)
            listener.sock.close()
            if listener.path and not handed_on:
                try:
                    os.unlink(listener.path)
                except OSError:
                    pass
        self._listeners = []
        self._paused = []

    def _drained(self, in_grace: bool) -> bool:
        """Whether a graceful stop may end: no request in flight or arriving.

        Idle keep-alive connections are kept (and served) while ``in_grace``.
        """
        pool = self._pool
        if pool is not None and (pool.backlog or pool.busy_except(self._stopper_job)):
            return False
        if self._returned or self._slot_waiters or self._starting:
            return False
        stopper = self._stopper_job
        for conn in list(self._conns.values()):
            if conn.owner == IN_WORKER:
                if conn is stopper:
                    continue
                return False
            if conn.owner != IN_SELECTOR or conn.linger_budget >= 0:
                continue
            parser = conn.parser
            if parser.requests or not parser.idle or conn.handshaking:
                return False  # a request arriving: it is answered
            if in_grace:
                return False
        return True

    def _close_selector_side(self) -> None:
        """Close the listening sockets and every connection the selector thread holds."""
        self._stop_listening()
        self._slot_waiters.clear()
        self._returned.clear()
        for conn in list(self._conns.values()):
            if conn.owner == IN_SELECTOR:
                self._close(conn)

    def _accept(self, listener: Listener) -> None:
        """Accept one connection.  The listener is watched level-triggered, so the loop comes
        back at once while more are pending: a second accept() per wake-up, which fails
        (EAGAIN, an exception) whenever one client connects at a time, is not tried."""
        now = time.monotonic()
        lsock = listener.sock
        family, kind, proto = listener.accepted_kind
        try:
            fd, addr = lsock._accept()  # type: ignore[attr-defined]  # accept() makes enums
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                # Out of descriptors: stop watching the listener for a while, or its
                # pending connections would wake the loop continuously.
                self.error_log(f"Cannot accept connections for now: {exc}", 30)
                self._accept_paused_until = now + 0.5
                self._poller.remove(lsock.fileno())  # type: ignore[union-attr]
                self._paused.append(listener)
            return
        try:
            sock = socket.socket(family, kind, proto, fileno=fd)
        except OSError:
            os.close(fd)
            return
        unix = listener.unix
        try:
            sock.setblocking(False)
            if not unix and self.nodelay:
                inherited = listener.nodelay_inherited
                if inherited is None:  # the first connection: did it come with the option?
                    inherited = listener.nodelay_inherited = bool(
                        sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                    )
                if not inherited:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            env = self._base_environ.copy()
            if not unix and addr:
                env["REMOTE_ADDR"] = addr[0]
                env["REMOTE_PORT"] = str(addr[1])
            tls = self.ssl_context is not None
            if tls:
                use_tls_errors()  # at once when prepare() saw the context already
                sock = self.ssl_context.wrap_socket(  # type: ignore[union-attr]
                    sock, server_side=True, do_handshake_on_connect=False
                )
            conn = Connection(self, sock, env, tls)
        except (OSError, ValueError):
            sock.close()
            return
        conn.deadline = now + self.timeout
        self._conns[conn.fd] = conn
        if self.stats["Enabled"]:
            self.stats["Accepts"] = self.stats.get("Accepts", 0) + 1
        self._poller.add(conn.fd, conn)  # type: ignore[union-attr]
        if tls:
            self._handshake(conn)

    def _handshake(self, conn: Connection) -> None:
        try:
            done = conn.handshake_step()
        except (OSError, ValueError):
            self._close(conn)
            return
        if done:
            conn.deadline = time.monotonic() + self.timeout
            # The client's first request may already sit decrypted inside the TLS object,
            # where the poller cannot see it: read right away instead of waiting.
            self._on_event(conn)
            return
        self._arm(conn)

    def _on_event(self, conn: Connection) -> None:
        if conn.owner == TAKEN:
            conn.transport.on_event()
            return
        if conn.handshaking:
            self._handshake(conn)
            return
        if conn.linger_budget >= 0:
            self._linger(conn)
            return
        parser = conn.parser
        was_idle = parser.idle and not parser.requests
        got = conn.pull()
        if got is None:
            self._close(conn)
            return
        if got and parser.requests:
            request = parser.requests[0]
            if request.head_complete and not request.complete:
                # A body in progress: its deadline follows its pace.
                self._track_body(conn, request, time.monotonic())
            elif was_idle:
                # A new request starts its clock.
                conn.deadline = time.monotonic() + self.timeout
        self._route(conn)

    def _track_body(self, conn: Connection, request: Any, now: float) -> None:
        """Count the time the selector waited for ``request``'s body; set its deadline."""
        if conn.rx_request is not request:
            conn.rx_since = now
        left = conn.rx_account(request, now - conn.rx_since)
        conn.rx_since = now
        conn.deadline = now + max(0.0, left)

    def _route(self, conn: Connection) -> None:
        """Hand a ready request to a worker, answer an error, or wait for more bytes."""
        requests = conn.parser.requests
        if requests:
            request = requests[0]
            if request.error is not None:
                self._reject(conn, request.error)
                return
            if request.head_complete:
                if request.complete:
                    self._dispatch(conn)
                    return
                if request.expect_continue and not conn.sent_continue and not request.received:
                    # A free body slot: the application decides whether to read the body
                    # (``100 Continue`` goes out when it does).  Otherwise the selector invites
                    # the body itself, as cheroot always does, and buffers it meanwhile.
                    if self._take_slot(conn):
                        self._dispatch(conn)
                        return
                    conn.sent_continue = True
                    conn.try_send(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self._track_body(conn, request, time.monotonic())
                elif request.buffered >= BODY_BUFFER or conn.parser.halted:
                    if self._take_slot(conn):
                        self._dispatch(conn)
                    else:
                        # Not read until a slot frees: its pace is not counted meanwhile.
                        conn.owner = IN_SELECTOR
                        conn.paused = True
                        self._slot_waiters.append(conn)
                    return
        self._arm(conn)

    def _take_slot(self, conn: Connection) -> bool:
        """Give ``conn`` a body slot if one is free (True when it holds one)."""
        if conn.body_slot:
            return True
        with self._body_lock:
            if self._body_busy >= self._body_limit:
                return False
            self._body_busy += 1
        conn.body_slot = True
        return True

    def release_body_slot(self, conn: Connection) -> None:
        """Give back ``conn``'s body slot (if it holds one); wake the selector for waiters."""
        if not conn.body_slot:
            return
        conn.body_slot = False
        with self._body_lock:
            self._body_busy = max(0, self._body_busy - 1)
        if self._slot_waiters and self._poller is not None:
            self._poller.wake()

    def _resume_waiters(self, now: float) -> None:
        """Hand connections waiting for a body slot to workers while slots are free."""
        waiters = self._slot_waiters
        while waiters:
            conn = waiters[0]
            if conn.owner == CLOSED or self._conns.get(conn.fd) is not conn:
                waiters.popleft()
                continue
            if not self._take_slot(conn):
                return
            waiters.popleft()
            conn.paused = False
            conn.rx_since = now
            self._dispatch(conn)

    def _take_returned(self, now: float) -> None:
        """Route the connections workers gave back with a request waiting for its body."""
        returned = self._returned
        while returned:
            conn = returned.popleft()
            if conn.owner == CLOSED or self._conns.get(conn.fd) is not conn:
                continue
            requests = conn.parser.requests
            if requests and requests[0].head_complete and not requests[0].complete:
                self._track_body(conn, requests[0], now)
            self._route(conn)

    def _dispatch(self, conn: Connection) -> None:
        pool = self._pool
        assert pool is not None
        limit = self.accepted_queue_size
        if limit is not None and limit >= 0 and pool.backlog >= limit and not pool.idle:
            self.release_body_slot(conn)
            self._reject(conn, ProtocolError(503, "Service Unavailable", "The server is busy."))
            return
        conn.owner = IN_WORKER
        pool.submit(conn)

    def _reject(self, conn: Connection, error: ProtocolError) -> None:
        """Answer ``error`` without blocking, then drain a little before closing."""
        conn.try_send(error_response(self, error.status_line, error.message))
        self._close_gently(conn)

    def _linger(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError, _connection.SSLWantReadError):
            self._arm(conn)
            return
        except OSError:
            data = b""
        conn.linger_budget -= len(data)
        if not data or conn.linger_budget < 0:
            self._close(conn)
        else:
            self._arm(conn)

    def _arm(self, conn: Connection) -> None:
        conn.owner = IN_SELECTOR
        self._poller.rearm(conn.fd, conn.want_write)  # type: ignore[union-attr]

    def _sweep(self, now: float) -> None:
        for conn in list(self._conns.values()):
            if conn.owner != IN_SELECTOR or conn.deadline > now or conn.paused:
                continue
            if (
                conn.linger_budget < 0
                and not conn.handshaking
                and (conn.parser.requests or not conn.served)
            ):
                conn.try_send(error_response(self, "408 Request Timeout", "Request Timeout"))
            self._close(conn)

    def _drop(self, conn: Connection) -> None:
        """Close ``conn`` after an unexpected error; a taken-over one tells its handler."""
        transport = conn.transport if conn.owner == TAKEN else None
        if transport is None:
            self._close(conn)
            return
        try:
            transport.abort()
            transport.service()
        finally:
            self._transports.discard(transport)
            self._close(conn)

    def _close(self, conn: Connection) -> None:
        """Forget and close ``conn`` (from any thread that owns it)."""
        if self._conns.get(conn.fd) is conn:
            del self._conns[conn.fd]
            if self._poller is not None:
                if conn.owner == TAKEN:
                    self._poller.remove(conn.fd)  # (a handler may hold the socket too)
                else:
                    self._poller.forget(conn.fd)  # closed below
        self.release_body_slot(conn)
        conn.close()

    # -- worker side ------------------------------------------------------------------------

    def _work(self, conn: Connection) -> None:
        """Serve the ready requests of ``conn`` in order, then give it back or close it."""
        if type(conn) is not Connection:
            # A job submitted for a taken-over connection (Transport.submit).
            try:
                conn()  # type: ignore[operator]
            except Exception:
                self.error_log(f"Error in job {conn!r}", 40, True)
            return
        try:
            requests = conn.parser.requests
            while requests and not self._aborting:
                request = requests[0]
                if request.error is not None:
                    error = request.error
                    try:
                        conn.send(error_response(self, error.status_line, error.message))
                    except Exception:
                        pass
                    self._close_gently(conn)
                    return
                if not request.head_complete:
                    self._hand_back(conn)
                    return
                if not request.complete and not self._take_slot(conn):
                    # A pipelined request whose body is still to come, and no body slot:
                    # the selector buffers it (or invites it) until one frees.
                    self._route_later(conn)
                    return
                if self.stats["Enabled"]:
                    self.stats["Requests"] = self.stats.get("Requests", 0) + 1
                try:
                    keep = serve_request(conn, request)
                except (KeyboardInterrupt, SystemExit) as exc:
                    # The application asks the whole process to stop: no answer for this
                    # request, and the server stops (see ``interrupt``).
                    self._close(conn)
                    self.interrupt = exc
                    return
                if conn.body_slot:
                    self.release_body_slot(conn)
                conn.sent_continue = False
                requests.popleft()
                if conn.taken is not None:
                    self._take_over(conn)
                    return
                if conn.takeover is not None:
                    self._cancel_offer(conn)
                if conn.parser.held is not None:
                    conn.parser.resume()
                if not keep and not request.complete:
                    self._close_gently(conn)
                    return
                if not keep or self.stopping:
                    break
                if not requests:
                    if conn.is_tls and conn.sock.pending():  # type: ignore[attr-defined]
                        if conn.pull() is None:
                            break
                        continue
                    self._hand_back(conn)
                    return
        except Exception:
            self.error_log(f"Unexpected error serving {conn!r}", 40, True)
        self._close(conn)

    def _cancel_offer(self, conn: Connection) -> None:
        """The application offered a handler but answered otherwise: tell the handler."""
        handler = conn.takeover
        conn.takeover = None
        conn.taken = None
        self._lost_without_connection(handler)

    def _lost_without_connection(self, handler: Any) -> None:
        try:
            handler.connection_lost(None)
        except Exception:
            self.error_log(f"Error in {type(handler).__qualname__}.connection_lost", 40, True)

    def _take_over(self, conn: Connection) -> None:
        """Hand ``conn`` to the handler its application offered (from the worker)."""
        handler = conn.takeover
        environ, chunked = conn.taken  # type: ignore[misc]
        conn.takeover = None
        conn.taken = None
        if self.stopping:
            self._close(conn)
            self._lost_without_connection(handler)
            return
        transport = TakeoverTransport(self, conn, handler, environ, chunked)
        conn.transport = transport
        conn.owner = TAKEN
        self._starting.append((transport, conn.parser.take_held()))
        self.wake()

    def _close_gently(self, conn: Connection) -> None:
        """Close after an answer while the client may still be sending: linger first.

        Closing a socket with unread input makes the kernel send a reset, which can destroy
        the answer before the client reads it; the selector thread drains a little instead.
        """
        self.release_body_slot(conn)
        if self.stopping:
            self._close(conn)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        conn.linger_budget = LINGER_BYTES
        conn.deadline = time.monotonic() + min(2.0, self.timeout)
        self._arm(conn)

    def _hand_back(self, conn: Connection) -> None:
        if conn.body_slot:
            self.release_body_slot(conn)
        if self.stopping:
            self._close(conn)
            return
        conn.served = True
        conn.deadline = time.monotonic() + self.timeout
        self._arm(conn)

    def _route_later(self, conn: Connection) -> None:
        """Give ``conn`` back to the selector thread, which routes its next request."""
        if self.stopping:
            self._close(conn)
            return
        conn.served = True
        conn.deadline = time.monotonic() + self.timeout
        conn.owner = IN_SELECTOR
        self._returned.append(conn)
        if self._poller is not None:
            self._poller.wake()


class _ErrorStream:
    """``wsgi.errors``: writes go to whatever ``sys.stderr`` is at the time."""

    def write(self, text: str) -> int:
        """Write ``text`` to ``sys.stderr``."""
        return sys.stderr.write(text)

    def writelines(self, lines: list[str]) -> None:
        """Write each line to ``sys.stderr``."""
        sys.stderr.writelines(lines)

    def flush(self) -> None:
        """Flush ``sys.stderr``."""
        sys.stderr.flush()
