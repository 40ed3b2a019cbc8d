"""``cherrypy._cpserver``: the ``cherrypy.server`` object and the ``server.*`` config namespace.

:data:`server` is CherryPy's default HTTP server adapter.  Setting its attributes (directly
or through ``server.*`` config keys) configures the HTTP server it builds when the engine
starts.  ``server.<name>.<key>`` config keys create and configure additional servers, kept
in :data:`servers` (and ``cherrypy.servers``).
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Callable
from typing import Any

from .servers import ServerAdapter

__all__ = ["Server", "server", "server_namespace_handler", "servers"]


class Server(ServerAdapter):
    """An adapter for an HTTP server, configured by CherryPy's ``server.*`` settings.

    Set attributes such as ``socket_host`` and ``socket_port`` on ``cherrypy.server``
    (or in config) before the engine starts; :meth:`start` builds the HTTP server from them.
    """

    socket_port: int | None = 8080
    """The TCP port on which to listen (0 picks a free port; see ``bound_addr``)."""

    _socket_host: str | None = "127.0.0.1"

    socket_file: str | None = None
    """The path of a UNIX socket to listen on instead of TCP (host and port are ignored)."""

    socket_queue_size = 5
    """The ``listen()`` backlog (the server uses at least 128)."""

    socket_fd: int | None = None
    """A listening socket's descriptor, bound by whoever started the process, to serve on
    instead of binding ``socket_host``/``socket_port`` (systemd sockets are found by
    address without it: see docs/deployment.md)."""

    reuse_port = False
    """Let several processes listen on the same TCP port (``SO_REUSEPORT``): run one process
    per core, each with its own engine, and the system spreads the connections among them."""

    extra_addresses: Any = ()
    """More addresses to listen on besides ``socket_host``/``socket_port``: a list of
    ``"host:port"``, ``"[v6]:port"``, ``(host, port)`` or UNIX socket paths."""

    socket_timeout: float = 10
    """Seconds a client may stay silent: idle keep-alive, request head, body reads, writes."""

    accepted_queue_size = -1
    """Requests that may wait for a worker before new ones get 503 (-1: no limit)."""

    accepted_queue_timeout: float = 10
    """Accepted for compatibility: the selector thread never blocks on a full queue."""

    shutdown_timeout: float = 5
    """Seconds in-flight requests get to finish when the server stops."""

    protocol_version = "HTTP/1.1"
    """The protocol written in status lines; "HTTP/1.0" disables chunked responses."""

    thread_pool = 10
    """The number of worker threads started with the server."""

    thread_pool_max = 100
    """The most worker threads the pool may grow to when every worker is stuck.

    ``-1`` means no limit (CherryPy 18's default): slow clients or a slow application can
    then make the process start threads until it runs out of memory.
    """

    body_workers = -1
    """Workers that may wait for request bodies at once (-1: half of ``thread_pool_max``).

    Other requests whose body is still arriving wait in the selector thread, not in a worker.
    """

    body_timeout: float = 300
    """Seconds the server waits for one request body in all (408 beyond; 0: no limit)."""

    body_min_rate: float = 1024
    """Bytes/s a request body must keep up, measured over windows of ``socket_timeout`` (408)."""

    response_min_rate: float = 1024
    """Bytes/s a client must read a response at, over ``socket_timeout`` windows (else closed)."""

    max_request_header_size = 500 * 1024
    """Bytes allowed for the request line and headers (431 beyond; 0: no limit)."""

    max_request_uri_size = 64 * 1024
    """Bytes allowed for the request target (414 beyond; 0: no limit)."""

    max_request_header_line_size = 64 * 1024
    """Bytes allowed for one header line, CRLF excluded (431 beyond; 0: no per-line limit).

    A longer request line gets 414, as only its target can make it that long.
    """

    max_request_body_size = 100 * 1024 * 1024
    """Bytes allowed for a request body, chunked or not (413 beyond; 0: no limit)."""

    instance: Any = None
    """An HTTP server object (or the dotted name of a factory) to use instead of building one."""

    ssl_context: Any = None
    """An :class:`ssl.SSLContext` to serve HTTPS with."""

    ssl_certificate: str | None = None
    """The file name of the TLS certificate (PEM); setting it turns HTTPS on."""

    ssl_certificate_chain: str | None = None
    """A CA file, loaded as the verify locations of the TLS context."""

    ssl_private_key: str | None = None
    """The file name of the private key (PEM)."""

    ssl_ciphers: str | None = None
    """An OpenSSL cipher list."""

    ssl_module = "builtin"
    """The TLS implementation; only ``builtin`` (the ``ssl`` module) is available."""

    ssl_reload_interval: float | None = 1.0
    """Seconds between checks of the TLS files for a renewed certificate (0 or None: off)."""

    _tls_reloader: Any = None

    statistics = False
    """Whether the HTTP server counts accepts and requests in its ``stats`` dict."""

    nodelay = True
    """Whether to set ``TCP_NODELAY`` on accepted connections."""

    wsgi_version = (1, 0)
    """The WSGI version served (only ``(1, 0)``)."""

    peercreds = False
    """Accepted for compatibility; peer credentials are not looked up."""

    peercreds_resolve = False
    """Accepted for compatibility; peer credentials are not looked up."""

    def __init__(self) -> None:
        """Create an adapter with CherryPy's defaults; nothing is bound until :meth:`start`."""
        # ServerAdapter.__init__ is not called: its bind_addr assignment would reset the
        # host and port defaults held by this class.
        self._bus = None
        self.httpserver = None
        self.interrupt = None
        self.running = False

    @property
    def socket_host(self) -> str | None:
        """The host name or IP address to listen on ('0.0.0.0' or '::' for every interface)."""
        return self._socket_host

    @socket_host.setter
    def socket_host(self, value: str | None) -> None:
        if value == "":
            raise ValueError(
                "The empty string ('') is not an allowed value. Use '0.0.0.0' instead to "
                "listen on all active interfaces (INADDR_ANY)."
            )
        self._socket_host = value

    @property  # type: ignore[override]
    def bind_addr(self) -> Any:
        """``(socket_host, socket_port)``, or ``socket_file`` for a UNIX socket."""
        if self.socket_file:
            return self.socket_file
        if self.socket_host is None and self.socket_port is None:
            return None
        return (self.socket_host, self.socket_port)

    @bind_addr.setter
    def bind_addr(self, value: Any) -> None:
        if value is None:
            self.socket_file = None
            self._socket_host = None
            self.socket_port = None
        elif isinstance(value, (str, bytes)):
            self.socket_file = value  # type: ignore[assignment]
            self._socket_host = None
            self.socket_port = None
        else:
            try:
                self.socket_host, self.socket_port = value
            except ValueError:
                raise ValueError(
                    "bind_addr must be a (host, port) tuple (for TCP sockets) or a string "
                    f"(for Unix domain sockets), not {value!r}"
                ) from None
            self.socket_file = None

    def httpserver_from_self(self, httpserver: Any = None) -> tuple[Any, Any]:
        """Return ``(httpserver, bind_addr)``, building the server from this adapter."""
        if httpserver is None:
            httpserver = self.instance
        if httpserver is None:
            httpserver = make_http_server(self)
        if isinstance(httpserver, str):
            httpserver = _resolve(httpserver)(self)
        return httpserver, self.bind_addr

    def start(self) -> None:
        """Build the HTTP server if needed, then start it (engine ``start`` listener)."""
        if not self.httpserver:
            self.httpserver, self.bind_addr = self.httpserver_from_self()
        super().start()
        if self.ssl_certificate and self.ssl_context is None:
            from .tlsreload import reloader_for

            self._tls_reloader = reloader_for(self, self._tls_reloader)

    start.priority = 75  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Stop the TLS certificate reloader, if any, then the HTTP server."""
        if self._tls_reloader is not None:
            self._tls_reloader.stop()
        super().stop()

    stop.priority = 25  # type: ignore[attr-defined]

    def base(self) -> str:
        """``scheme://host[:port]`` of this server, or its socket file."""
        if self.socket_file:
            return self.socket_file
        host = self.socket_host or ""
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        port = self.socket_port
        if self.ssl_certificate or self.ssl_context:
            scheme, default_port = "https", 443
        else:
            scheme, default_port = "http", 80
        if port != default_port:
            host = f"{host}:{port}"
        return f"{scheme}://{host}"


def _resolve(dotted: str) -> Any:
    module_name, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def _plugin_factory() -> Callable[[Server, Callable[..., Any]], Any] | None:
    """A caller of the ``cherrypy_make_http_server`` hook, or None when nobody added it.

    The hook is this distribution's own (:mod:`cherrypy_server.hookspecs`); it is missing
    when the ``server`` plugin itself is not loaded (blocked, or plugin loading is off).
    """
    from cherrypy.plugin import get_plugin_manager

    caller = getattr(get_plugin_manager().hook, "cherrypy_make_http_server", None)
    if caller is None or not caller.has_spec():
        return None

    def make(adapter: Server, wsgi_app: Callable[..., Any]) -> Any:
        return caller(adapter=adapter, wsgi_app=wsgi_app)

    return make


def make_http_server(adapter: Server) -> Any:
    """The HTTP server for ``adapter``: asked of the plugins first, else built here."""
    from .wsgi_server import CPWSGIServer, TreeApp

    app = TreeApp()
    make = _plugin_factory()
    if make is not None:
        httpserver = make(adapter, app)
        if httpserver is not None:
            return httpserver
    return CPWSGIServer(adapter, app)


servers: dict[str, Server] = {}
"""Extra servers created by ``server.<name>.<key>`` config keys, by name."""


def server_namespace_handler(key: str, value: Any) -> None:
    """Apply one ``server.*`` config entry (the part after ``server.`` is ``key``).

    ``server.socket_port`` sets an attribute of :data:`server`; ``server.<name>.<attr>``
    creates the extra server ``<name>`` on first use, subscribes it to the engine, and sets
    its attribute (``server.<name>.on = False`` unsubscribes it).
    """
    name, dot, attr = key.partition(".")
    if not dot:
        setattr(server, key, value)
        return
    extra = servers.get(name)
    if extra is None:
        extra = servers[name] = Server()
        extra.subscribe()
        _publish_servers()
    if attr == "on":
        if value:
            extra.subscribe()
        else:
            extra.unsubscribe()
    else:
        setattr(extra, attr, value)


def _publish_servers() -> None:
    import sys

    module = sys.modules.get("cherrypy")
    if module is not None:
        try:
            module.servers = servers  # type: ignore[attr-defined]
        except Exception:
            pass


server = Server()
"""The default HTTP server adapter, ``cherrypy.server``."""
