"""Typed views of the kernel's objects, as plugins may use them (re-exported by the plugin API).

Structural :class:`~typing.Protocol` classes: the kernel's Request, Response, Application,
Bus and server adapter satisfy them, and so may any stand-in a plugin's tests use.  They list
what is stable for plugins; the kernel classes have more, which is private.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cherrypy.kernel.httputil import HeaderMap, Host

__all__ = ["ApplicationView", "BusView", "RequestView", "ResponseView", "ServerView"]


@runtime_checkable
class RequestView(Protocol):
    """What a plugin may read and set of ``cherrypy.request`` (the kernel's Request)."""

    app: Any
    method: str
    scheme: str
    path_info: str
    script_name: str
    query_string: str
    request_line: str
    protocol: tuple[int, int]
    params: dict[str, Any]
    headers: HeaderMap
    header_list: list[tuple[str, str]]
    config: dict[str, Any] | None
    handler: Any
    inner_handler: Any
    is_index: bool | None
    login: str | None
    closed: bool
    stage: str | None
    process_request_body: bool
    show_tracebacks: bool
    error_response: Callable[[], Any]
    rfile: Any
    wsgi_environ: dict[str, Any]
    route: str | None
    """What handled the request, from a bounded set: the mount point plus the handler's
    attribute path (default dispatcher) or the route template (routes); None when nothing
    matched.  Set by the dispatcher (:func:`cherrypy.plugin.set_route`)."""
    id: str
    """The request id: a valid incoming ``X-Request-ID`` (1-128 characters among letters,
    digits and ``._:-``), else ``str(request.unique_id)`` (a UUID4); computed on first use."""

    @property
    def local(self) -> Host:
        """The server's address (``ip``, ``port``, ``name``)."""

    @property
    def remote(self) -> Host:
        """The client's address (``ip``, ``port``, ``name``)."""

    @property
    def body(self) -> Any:
        """The request entity: ``read()``, ``fp``, ``params``, ``processors``."""


@runtime_checkable
class ResponseView(Protocol):
    """What a plugin may read and set of ``cherrypy.response``."""

    status: Any
    headers: HeaderMap
    header_list: list[tuple[bytes, bytes]]
    body: Any
    stream: bool
    time: float
    output_status: bytes

    def collapse_body(self) -> bytes:
        """Join the body into bytes (and keep it as the body)."""


@runtime_checkable
class ApplicationView(Protocol):
    """A mounted application (``cherrypy.tree.apps[script_name]``, ``request.app``)."""

    root: Any
    config: dict[str, Any]
    log: Any
    namespaces: MutableMapping[str, Any]
    toolboxes: MutableMapping[str, Any]

    @property
    def script_name(self) -> str:
        """Where the application is mounted (``""`` for the root)."""

    def find_config(self, path: str, key: str, default: Any = None) -> Any:
        """The most specific value of ``key`` for ``path`` in the app's config."""


@runtime_checkable
class BusView(Protocol):
    """``cherrypy.engine`` as plugins use it: channels, states and the life cycle."""

    state: Any
    states: Any
    startup_cwd: str | None
    listeners: dict[str, Any]

    def subscribe(
        self, channel: str, callback: Callable[..., Any], priority: int | None = None
    ) -> None:
        """Call ``callback`` on every publish of ``channel`` (lower priority first)."""

    def unsubscribe(self, channel: str, callback: Callable[..., Any]) -> None:
        """Stop calling ``callback`` on ``channel``."""

    def publish(self, channel: str, *args: Any, **kwargs: Any) -> list[Any]:
        """Call every listener of ``channel``; return their results."""

    def log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Log ``msg`` to the error log under the ENGINE context."""

    def start(self) -> None:
        """Start every subscriber (``start`` channel); the bus is then STARTED."""

    def stop(self) -> None:
        """Stop every subscriber (``stop`` channel)."""

    def graceful(self) -> None:
        """Restart the subscribers in place (``graceful`` channel)."""

    def restart(self) -> None:
        """Stop, then re-execute the process (the autoreloader uses it); the listening
        sockets stay open across the re-execution."""

    sighup: str
    """What SIGHUP does: ``"default"`` (restart a daemon, exit otherwise), ``"reload"``,
    ``"restart"`` or ``"exit"`` (config ``engine.sighup``)."""

    def reload(self) -> None:
        """Graceful reload: start a new process on the same listening sockets; once it
        serves, stop this one (requests in flight finish) and exit."""

    def exit(self) -> None:
        """Stop and exit (``exit`` channel)."""

    def block(self, interval: float = 0.1) -> None:
        """Wait in the main thread until the bus exits, publishing ``main`` meanwhile."""


@runtime_checkable
class ServerView(Protocol):
    """An HTTP server a plugin builds or drives (``start()`` serves until ``stop()``)."""

    ready: bool

    def start(self) -> None:
        """Serve until :meth:`stop` is called (blocks)."""

    def stop(self) -> None:
        """Stop accepting, finish in-flight requests and close."""
