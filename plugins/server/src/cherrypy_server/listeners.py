"""Listening sockets: TCP (IPv4, IPv6, dual stack) with ``SO_REUSEADDR``, or UNIX sockets."""

from __future__ import annotations

import os
import socket
import stat
from typing import Any

__all__ = ["Listener", "ascii_host", "bind_listener", "handover", "parse_address"]


def ascii_host(host: str | bytes | None) -> str | bytes | None:
    """``host`` for :func:`socket.getaddrinfo`: as bytes when it is ASCII.

    Given a ``str``, getaddrinfo encodes it with the ``idna`` codec, whose first use imports
    ``encodings.idna`` and ``stringprep`` (a millisecond at start-up); an ASCII name or
    address encodes to the same bytes without it.
    """
    if isinstance(host, str) and host.isascii():
        return host.encode("ascii")
    return host


class Listener:
    """A bound, listening, non-blocking socket; ``path`` is its UNIX socket file, if any."""

    __slots__ = ("accepted_kind", "address", "nodelay_inherited", "path", "sock", "unix")

    def __init__(self, sock: socket.socket, path: str | None, address: Any = None) -> None:
        """Wrap ``sock``; ``path`` is removed when the server stops; ``address`` is what the
        configuration asked for (``(host, port)`` or a UNIX socket path)."""
        self.sock = sock
        self.path = path
        self.address = address
        # The family, type and protocol of the sockets accept() makes, as plain ints (the
        # socket module's accept() converts them to enums on every call).
        self.accepted_kind = (int(sock.family), int(sock.type), sock.proto)
        self.unix = sock.family == getattr(socket, "AF_UNIX", None)
        # Whether accepted sockets come with TCP_NODELAY set on this listener (Linux copies
        # it to them): None until the first accepted socket tells.
        self.nodelay_inherited: bool | None = None

    def __repr__(self) -> str:
        return f"<Listener {self.path or self.sock.getsockname()!r}>"


def handover() -> Any:
    """``cherrypy.plugin``, whose listener hand-over functions (plugin API 1.3) the server
    uses: sockets handed over by a reload, a re-exec or systemd, and sockets kept open for the
    next process.  Imported when first needed, not with this module."""
    from cherrypy import plugin

    return plugin


def parse_address(value: Any) -> tuple[str, int] | str:
    """A listen address from config: ``"host:port"``, ``"[v6]:port"``, ``":port"`` (every
    interface), ``(host, port)``, or a UNIX socket path (containing ``/``).

    Raises ``ValueError`` naming the value when it is none of these.
    """
    if isinstance(value, (tuple, list)) and len(value) == 2:
        host, port = value
        return str(host or ""), _port(port, value)
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"Not a listen address: {value!r}")
    if "/" in value or value.startswith("\0"):
        return value
    if value.startswith("["):
        host, sep, port = value[1:].partition("]:")
        if not sep:
            raise ValueError(f"Not a listen address: {value!r} (expected '[v6 address]:port')")
        return host, _port(port, value)
    host, sep, port = value.rpartition(":")
    if not sep:
        raise ValueError(f"Not a listen address: {value!r} (expected 'host:port')")
    if ":" in host:
        raise ValueError(f"Not a listen address: {value!r} (write IPv6 as '[address]:port')")
    return host or "0.0.0.0", _port(port, value)


def _port(port: Any, value: Any) -> int:
    try:
        number = int(port)
    except (TypeError, ValueError):
        raise ValueError(f"Not a listen address: {value!r} (bad port {port!r})") from None
    if not 0 <= number <= 65535:
        raise ValueError(f"Not a listen address: {value!r} (port out of range)")
    return number


def _bind_unix(address: str | bytes, backlog: int) -> Listener:
    path = os.fsdecode(address)
    abstract = path.startswith("\0")
    if not abstract:
        # A socket file left by a previous run would make bind() fail.
        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                os.unlink(path)
        except FileNotFoundError:
            pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return Listener(sock, None if abstract else path, address)


def bind_listener(
    address: tuple[str, int] | str | bytes, backlog: int, reuse_port: bool = False
) -> Listener:
    """Bind and listen on ``address``: ``(host, port)`` or the path of a UNIX socket.

    The wildcard host ``'::'`` also accepts IPv4 connections where the system allows it.
    With ``reuse_port``, several processes may listen on the same TCP port (``SO_REUSEPORT``:
    the operating system spreads the new connections among them); ``ValueError`` where the
    system has no such option.
    """
    if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("server.reuse_port needs SO_REUSEPORT, which this system does not have")
    if isinstance(address, (str, bytes)):
        return _bind_unix(address, backlog)
    host, port = address
    infos = socket.getaddrinfo(
        ascii_host(host) or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
    )
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if os.name != "nt":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6 and host in ("::", "::0", "::0.0.0.0"):
                try:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                except (AttributeError, OSError):
                    pass
            sock.bind(sockaddr)
            sock.listen(backlog)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.setblocking(False)
        return Listener(sock, None, address)
    raise error or OSError(f"No socket could be created for {address!r}")
