"""Listening sockets that outlive a process: graceful reload, re-exec and socket activation.

A server plugin asks :func:`inherited_listener` for a socket before it binds one itself, and
registers the sockets it listens on with :func:`register_listener`.  The kernel then:

* hands every registered socket to the new process of a graceful reload
  (:func:`spawn_successor`, used by ``engine.reload()``), which serves on them while this
  process drains and exits;
* keeps them open across ``engine.restart()``'s re-execution: a server that stops while
  :func:`parking` is true leaves its sockets open (:func:`park_listener`) and
  ``_do_execv`` passes them on;
* adopts sockets passed by systemd (``LISTEN_FDS`` / ``LISTEN_PID``, socket activation) and
  a descriptor named in config (``server.socket_fd``).

Sockets travel between processes as inherited descriptors named in the environment variable
:data:`LISTEN_FDS_ENV` (``"fd=address;fd=address"``); the new process reports that it serves
by writing to the pipe named in :data:`READY_FD_ENV` (and to systemd's ``NOTIFY_SOCKET``).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterable
from typing import Any

__all__ = [
    "LISTEN_FDS_ENV",
    "READY_FD_ENV",
    "Successor",
    "address_text",
    "adopt_descriptor",
    "close_unclaimed",
    "handover_environ",
    "has_inherited_listener",
    "inherited_listener",
    "mark_successor_serving",
    "notify_ready",
    "open_listeners",
    "park_listener",
    "parked_descriptors",
    "parking",
    "register_listener",
    "reset",
    "sd_notify",
    "set_parking",
    "spawn_successor",
    "successor_serving",
    "unregister_listener",
]

LISTEN_FDS_ENV = "CHERRYPY_LISTEN_FDS"
"""Listening descriptors handed to this process: ``"fd=address;fd=address"``."""

READY_FD_ENV = "CHERRYPY_READY_FD"
"""The write end of the pipe this process writes ``ready`` to once the engine is STARTED."""

_SD_LISTEN_FDS_START = 3

_lock = threading.RLock()
_open: dict[int, tuple[socket.socket, str]] = {}  # id(sock) -> (sock, address) while served
_pool: list[tuple[socket.socket, str, str]] | None = None  # (sock, address, origin) to adopt
_parking = False
_successor_serving = False


# -- addresses ---------------------------------------------------------------------------------


def address_text(address: Any) -> str:
    """A bind address as text: ``host:port``, ``[v6]:port`` or ``unix:/path``."""
    if isinstance(address, (str, bytes)):
        return "unix:" + os.fsdecode(address)
    host, port = address
    host = host or ""
    if ":" in host:
        return f"[{host}]:{int(port)}"
    return f"{host}:{int(port)}"


def _socket_address(sock: socket.socket) -> str:
    name = sock.getsockname()
    if sock.family == getattr(socket, "AF_UNIX", None):
        return address_text(name if isinstance(name, (str, bytes)) else "")
    return address_text(name[:2])


_WILDCARDS = {"", "0.0.0.0", "::", "::0", "::0.0.0.0", "[::]"}


def _split(text: str) -> tuple[str, str]:
    if text.startswith("unix:"):
        return "unix", text[5:]
    host, _, port = text.rpartition(":")
    return host.strip("[]"), port


def _matches(wanted: str, have: str) -> bool:
    """Whether a socket bound on ``have`` serves the configured address ``wanted``."""
    if wanted == have:
        return True
    want_host, want_port = _split(wanted)
    have_host, have_port = _split(have)
    if want_host == "unix" or have_host == "unix":
        return want_host == have_host and os.path.abspath(want_port) == os.path.abspath(have_port)
    if want_port != have_port and want_port != "0":
        return False
    if want_host in _WILDCARDS and have_host in _WILDCARDS:
        return True
    return want_host == have_host or (
        want_host == "localhost" and have_host in ("127.0.0.1", "::1")
    )


# -- what this process was handed ------------------------------------------------------------------


def adopt_descriptor(fd: int) -> socket.socket:
    """A listening socket object for descriptor ``fd`` (family and type read from it).

    Raises ``ValueError`` when ``fd`` is not a listening stream socket.
    """
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise ValueError(f"descriptor {fd} is not a socket: {exc}") from None
    if sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise ValueError(f"descriptor {fd} is not a stream socket")
    try:
        accepting = sock.getsockopt(socket.SOL_SOCKET, getattr(socket, "SO_ACCEPTCONN", 30))
    except OSError:
        accepting = 1
    if not accepting:
        sock.detach()
        raise ValueError(f"descriptor {fd} is a socket that does not listen")
    sock.set_inheritable(False)
    sock.setblocking(False)
    return sock


def _load_pool() -> list[tuple[socket.socket, str, str]]:
    """The sockets handed to this process, read once from the environment."""
    global _pool
    if _pool is not None:
        return _pool
    pool: list[tuple[socket.socket, str, str]] = []
    handed = os.environ.pop(LISTEN_FDS_ENV, "")
    for item in filter(None, handed.split(";")):
        fd_text, _, address = item.partition("=")
        try:
            sock = adopt_descriptor(int(fd_text))
        except ValueError as exc:
            _log(f"Ignoring handed-over listener {item!r}: {exc}", 30)
            continue
        pool.append((sock, address or _socket_address(sock), "handed over"))
    if os.environ.get("LISTEN_PID") == str(os.getpid()):
        try:
            count = int(os.environ.get("LISTEN_FDS", "0"))
        except ValueError:
            count = 0
        for fd in range(_SD_LISTEN_FDS_START, _SD_LISTEN_FDS_START + count):
            try:
                sock = adopt_descriptor(fd)
            except ValueError as exc:
                _log(f"Ignoring systemd descriptor {fd}: {exc}", 30)
                continue
            pool.append((sock, _socket_address(sock), "systemd"))
        for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            os.environ.pop(name, None)  # not for the processes this one starts
    _pool = pool
    return pool


def inherited_listener(address: Any) -> tuple[socket.socket, str] | None:
    """The listening socket this process was handed for ``address``, or None.

    ``address`` is a ``(host, port)`` tuple or a UNIX socket path.  Returns ``(socket,
    origin)``; the socket is taken out of the pool (one server serves it).
    """
    wanted = address_text(address)
    with _lock:
        pool = _load_pool()
        for index, (sock, have, origin) in enumerate(pool):
            if _matches(wanted, have):
                del pool[index]
                return sock, origin
    return None


def has_inherited_listener(address: Any) -> bool:
    """Whether :func:`inherited_listener` has a socket for ``address`` (it stays there)."""
    wanted = address_text(address)
    with _lock:
        return any(_matches(wanted, have) for _sock, have, _origin in _load_pool())


def close_unclaimed() -> list[str]:
    """Close the handed sockets no server took (the config no longer names them)."""
    with _lock:
        pool = _load_pool()
        left = [(sock, address) for sock, address, _origin in pool]
        pool.clear()
    for sock, _address in left:
        try:
            sock.close()
        except OSError:
            pass
    return [address for _sock, address in left]


# -- what this process serves --------------------------------------------------------------------


def register_listener(sock: socket.socket, address: Any) -> None:
    """Record that ``sock`` listens on ``address`` (handed to a reload's new process)."""
    with _lock:
        _open[id(sock)] = (sock, address_text(address))


def unregister_listener(sock: socket.socket) -> None:
    """``sock`` is no longer served by this process."""
    with _lock:
        _open.pop(id(sock), None)


def open_listeners() -> list[tuple[socket.socket, str]]:
    """The sockets this process listens on, with their addresses."""
    with _lock:
        return [entry for entry in _open.values() if entry[0].fileno() >= 0]


def parking() -> bool:
    """Whether a stopping server must leave its listening sockets open (a re-exec follows)."""
    return _parking


def set_parking(value: bool) -> None:
    """Start (or end) keeping listening sockets open across the next stop."""
    global _parking
    _parking = value


def park_listener(sock: socket.socket, address: Any) -> None:
    """Keep ``sock`` open for the next process image (or for this process's next start)."""
    with _lock:
        _open.pop(id(sock), None)
        _load_pool().append((sock, address_text(address), "parked"))


def parked_descriptors() -> list[tuple[int, str]]:
    """The sockets kept open for the next process image, as ``(fd, address)``."""
    with _lock:
        return [
            (sock.fileno(), address)
            for sock, address, _origin in _load_pool()
            if sock.fileno() >= 0
        ]


def successor_serving() -> bool:
    """Whether a newer process serves this process's sockets (its ports stay occupied)."""
    return _successor_serving


def handover_environ(descriptors: Iterable[tuple[int, str]]) -> dict[str, str]:
    """The environment entries that hand ``descriptors`` to a new process."""
    return {LISTEN_FDS_ENV: ";".join(f"{fd}={address}" for fd, address in descriptors)}


# -- readiness ---------------------------------------------------------------------------------


def sd_notify(state: str) -> bool:
    """Send ``state`` (``"READY=1"``...) to systemd's ``NOTIFY_SOCKET``; False without one."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path or not hasattr(socket, "AF_UNIX"):
        return False
    if path.startswith("@"):
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(path)
            sock.sendall(state.encode("utf-8"))
    except OSError as exc:
        _log(f"Could not notify systemd ({state.splitlines()[0]}): {exc}", 30)
        return False
    return True


def notify_ready() -> None:
    """The engine is STARTED: tell whoever waits (a reloading parent, systemd)."""
    unclaimed = close_unclaimed()
    for address in unclaimed:
        _log(f"Closed the handed-over listener on {address}: no server is configured for it", 30)
    fd_text = os.environ.pop(READY_FD_ENV, "")
    if fd_text:
        try:
            fd = int(fd_text)
            try:
                os.write(fd, b"ready\n")
            finally:
                os.close(fd)
        except (ValueError, OSError) as exc:
            _log(f"Could not tell the reloading process this one is ready: {exc}", 30)
    sd_notify(f"READY=1\nMAINPID={os.getpid()}")


# -- graceful reload -------------------------------------------------------------------------------


class Successor:
    """A new process started by :func:`spawn_successor`, on this process's sockets."""

    def __init__(self, process: Any, ready_fd: int) -> None:
        self.process = process
        """The ``subprocess.Popen`` of the new process."""
        self._ready_fd = ready_fd

    @property
    def pid(self) -> int:
        """The new process's id (before it daemonizes, if it does)."""
        return int(self.process.pid)

    def wait_ready(self, timeout: float) -> str | None:
        """Wait until the new process serves; None then, else why it will not."""
        import select
        import time

        deadline = time.monotonic() + timeout
        received = b""
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return f"it was not ready within {timeout:g} s"
                readable, _w, _x = select.select([self._ready_fd], [], [], min(left, 0.5))
                if not readable:
                    continue
                chunk = os.read(self._ready_fd, 64)
                if not chunk:
                    status = self.process.poll()
                    if status is None:
                        return "it closed its readiness pipe without being ready"
                    return f"it exited with status {status} before it was ready"
                received += chunk
                if b"ready" in received:
                    return None
        finally:
            os.close(self._ready_fd)

    def kill(self) -> None:
        """Stop the new process (it failed to become ready)."""
        try:
            self.process.kill()
            self.process.wait(5)
        except Exception:
            pass


def spawn_successor(argv: list[str], cwd: str | None = None) -> Successor:
    """Start ``argv`` as a new process serving this process's listening sockets.

    The sockets registered with :func:`register_listener` are passed as inherited
    descriptors (:data:`LISTEN_FDS_ENV`), with a pipe the new process writes ``ready`` to
    (:data:`READY_FD_ENV`).
    """
    import subprocess

    listeners = open_listeners()
    descriptors = [(sock.fileno(), address) for sock, address in listeners]
    read_fd, write_fd = os.pipe()
    env = dict(os.environ)
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", LISTEN_FDS_ENV, READY_FD_ENV):
        env.pop(name, None)
    env.update(handover_environ(descriptors))
    env[READY_FD_ENV] = str(write_fd)
    try:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            pass_fds=[fd for fd, _address in descriptors] + [write_fd],
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    return Successor(process, read_fd)


def mark_successor_serving() -> None:
    """A reload's new process serves: this process's ports stay occupied when it stops."""
    global _successor_serving
    _successor_serving = True


def _log(msg: str, level: int = 20) -> None:
    facade = sys.modules.get("cherrypy")
    engine = getattr(facade, "__dict__", {}).get("engine") if facade is not None else None
    if engine is not None:
        try:
            engine.log(msg, level)
            return
        except Exception:
            pass
    print(msg, file=sys.stderr)


def reset() -> None:
    """Forget every registered, parked and handed socket (test suites)."""
    global _pool, _parking, _successor_serving
    with _lock:
        _open.clear()
        if _pool:
            for sock, _address, _origin in _pool:
                try:
                    sock.close()
                except OSError:
                    pass
        _pool = None
        _parking = False
        _successor_serving = False
