"""``cherrypy.process.servers``: run an HTTP server as a plugin of the engine bus.

:class:`ServerAdapter` starts any server object that has ``start()`` (serving until
stopped), ``stop()`` and a ``ready`` flag in its own thread when the bus starts, and stops
it when the bus stops.  The port helpers check a TCP port before binding and after
stopping, as CherryPy does through portend.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

from .listeners import ascii_host, handover

__all__ = [
    "PortNotFree",
    "ServerAdapter",
    "Timeout",
    "Timeouts",
    "check_port",
    "client_host",
    "wait_for_free_port",
    "wait_for_occupied_port",
]


class Timeouts:
    """Seconds the adapter waits for a port to be occupied after start, and free after stop."""

    occupied = 5
    free = 1


class Timeout(IOError):
    """A port did not reach the expected state in time."""


class PortNotFree(IOError):
    """Something accepts connections on a port that should be free."""


def _port_stays_open() -> bool:
    """Whether the stopped server's sockets serve on elsewhere (a reload, a re-exec)."""
    api = handover()
    return bool(api.parking() or api.successor_serving())


def _handed_over(address: Any) -> bool:
    """Whether this process was handed a listening socket for ``address`` (reload, re-exec,
    systemd): its port is occupied by that very socket."""
    return bool(handover().has_inherited_listener(address))


def client_host(server_host: str) -> str:
    """The host a client connects to for a server bound on ``server_host``.

    The wildcard addresses map to the loopback address of their family.
    """
    if server_host == "0.0.0.0":
        return "127.0.0.1"
    if server_host in ("::", "::0", "::0.0.0.0"):
        return "::1"
    return server_host


def check_port(host: str, port: int, timeout: float = 1.0) -> None:
    """Raise :class:`PortNotFree` if a server accepts connections on ``host:port``."""
    if not host:
        raise ValueError("Host values of '' or None are not allowed.")
    try:
        infos = socket.getaddrinfo(ascii_host(host), port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except socket.gaierror:
        client = ascii_host(client_host(host))
        infos = socket.getaddrinfo(client, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        with contextlib.closing(sock):
            try:
                sock.connect(sockaddr)
            except OSError:
                continue
        raise PortNotFree(f"Port {port} is in use on {sockaddr[0]}.")


def wait_for_free_port(host: str, port: int, timeout: float | None = None) -> None:
    """Return once nothing accepts connections on ``host:port``; raise :class:`Timeout`."""
    if not host:
        raise ValueError("Host values of '' or None are not allowed.")
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            check_port(host, port, timeout=0.1)
            return
        except PortNotFree:
            if deadline is not None and time.monotonic() >= deadline:
                raise Timeout(f"Port {port} not free on {host}.") from None
            time.sleep(0.1)


def wait_for_occupied_port(host: str, port: int, timeout: float | None = None) -> None:
    """Return once something accepts connections on ``host:port``; raise :class:`Timeout`."""
    if not host:
        raise ValueError("Host values of '' or None are not allowed.")
    deadline = None if timeout is None else time.monotonic() + timeout
    for delay in itertools.chain((0.01, 0.02, 0.05), itertools.repeat(0.1)):
        try:
            check_port(host, port, timeout=0.5)
        except PortNotFree:
            return
        if deadline is not None and time.monotonic() >= deadline:
            raise Timeout(f"Port {port} not bound on {host}.")
        time.sleep(delay)


@contextlib.contextmanager
def _safe_wait(host: str, port: int) -> Iterator[None]:
    """Run a wait for ``host:port`` to be occupied; for a wildcard host, only warn on failure.

    A server bound to ``0.0.0.0`` or ``::`` is checked through the loopback address, which
    some hosts lack: there a failed check proves nothing, so it becomes a ``UserWarning``.
    Any ``OSError`` counts as a failed wait (our :class:`Timeout`, ``portend.Timeout``).
    """
    try:
        yield
    except OSError:
        if host == client_host(host):
            raise
        warnings.warn(f"Unable to verify that the server is bound on {port!r}", stacklevel=3)


class ServerAdapter:
    """Start and stop an HTTP server together with the engine bus.

    Subscribe it (:meth:`subscribe`) and ``bus.start()`` runs ``httpserver.start()`` in a
    new thread, waits until the server is ready, and logs where it serves.
    """

    def __init__(self, bus: Any = None, httpserver: Any = None, bind_addr: Any = None) -> None:
        """Adapt ``httpserver`` (bound to ``bind_addr``) to ``bus`` (default: the engine)."""
        self._bus = bus
        self.httpserver = httpserver
        self.bind_addr = bind_addr
        self.interrupt: BaseException | None = None
        self.running = False

    @property
    def bus(self) -> Any:
        """The bus this adapter follows; ``cherrypy.engine`` unless another was given."""
        if self._bus is None:
            import cherrypy

            return cherrypy.engine
        return self._bus

    @bus.setter
    def bus(self, value: Any) -> None:
        self._bus = value

    def subscribe(self) -> None:
        """Start and stop with the bus."""
        self.bus.subscribe("start", self.start)
        self.bus.subscribe("stop", self.stop)

    def unsubscribe(self) -> None:
        """No longer follow the bus."""
        self.bus.unsubscribe("start", self.start)
        self.bus.unsubscribe("stop", self.stop)

    def start(self) -> None:
        """Start the HTTP server in a new thread and wait until it accepts connections."""
        if self.running:
            self.bus.log(f"Already serving on {self.description}")
            return
        self.interrupt = None
        if not self.httpserver:
            raise ValueError("No HTTP server has been created.")
        if (
            not os.environ.get("LISTEN_PID")
            and isinstance(self.bind_addr, tuple)
            and not _handed_over(self.bind_addr)
            and getattr(self.httpserver, "socket_fd", None) is None
            and not getattr(self.httpserver, "reuse_port", False)  # others may share the port
        ):
            host, port = self.bind_addr
            wait_for_free_port(host, port, timeout=Timeouts.free)
        thread = threading.Thread(target=self._start_http_thread)
        thread.name = "HTTPServer " + thread.name
        thread.start()
        self.wait()
        self.running = True
        self.bus.log(f"Serving on {self.description}")

    start.priority = 75  # type: ignore[attr-defined]

    @property
    def description(self) -> str:
        """Where the server listens, for log lines."""
        if self.bind_addr is None:
            return "unknown interface (dynamic?)"
        if isinstance(self.bind_addr, tuple):
            return self._get_base()
        return f"socket file: {self.bind_addr}"

    def _get_base(self) -> str:
        if not self.httpserver:
            return ""
        host, port = self.bound_addr
        if getattr(self.httpserver, "ssl_adapter", None):
            scheme, default_port = "https", 443
        else:
            scheme, default_port = "http", 80
        if port != default_port:
            host = f"{host}:{port}"
        return f"{scheme}://{host}"

    def _start_http_thread(self) -> None:
        """Run the server; a failure in it shuts the whole bus down."""
        try:
            self.httpserver.start()
        except KeyboardInterrupt:
            self.bus.log("<Ctrl-C> hit: shutting down HTTP server")
            self.interrupt = sys.exc_info()[1]
            self.bus.exit()
        except SystemExit:
            self.bus.log("SystemExit raised: shutting down HTTP server")
            self.interrupt = sys.exc_info()[1]
            self.bus.exit()
            raise
        except Exception:
            self.interrupt = sys.exc_info()[1]
            self.bus.log("Error in HTTP server: shutting down", traceback=True, level=40)
            self.bus.exit()
            raise

    def wait(self) -> None:
        """Wait until the HTTP server is ready and its port accepts connections."""
        while not getattr(self.httpserver, "ready", False):
            if self.interrupt:
                raise self.interrupt
            time.sleep(0.01)
        if os.environ.get("LISTEN_PID") or not isinstance(self.bind_addr, tuple):
            return
        host, port = self.bound_addr
        with _safe_wait(host, port):
            wait_for_occupied_port(host, port, timeout=Timeouts.occupied)

    @property
    def bound_addr(self) -> Any:
        """``bind_addr``, with the real port once bound if port 0 was asked for.

        A UNIX socket's path is returned unchanged.
        """
        if not isinstance(self.bind_addr, tuple):
            return self.bind_addr
        host, port = self.bind_addr
        sock = getattr(self.httpserver, "socket", None)
        if port == 0 and sock is not None:
            try:
                port = sock.getsockname()[1]
            except OSError:
                pass
        return host, port

    def stop(self) -> None:
        """Stop the HTTP server; blocks until it is stopped and its port is free."""
        if self.running:
            self.httpserver.stop()
            # A socket that came from elsewhere may still be open in another process (systemd,
            # a supervisor, the daemonizer's parent that inherited it across a re-exec), and
            # with reuse_port other processes share the port: closing ours frees nothing.
            external = getattr(self.httpserver, "socket_origin", None) is not None
            external = external or getattr(self.httpserver, "reuse_port", False)
            if isinstance(self.bind_addr, tuple) and not external and not _port_stays_open():
                host, port = self.bound_addr
                wait_for_free_port(host, port, timeout=Timeouts.free)
            self.running = False
            self.bus.log(f"HTTP Server {self.httpserver} shut down")
        else:
            self.bus.log(f"HTTP Server {self.httpserver} already shut down")

    stop.priority = 25  # type: ignore[attr-defined]

    def restart(self) -> None:
        """Stop, then start the HTTP server."""
        self.stop()
        self.start()
