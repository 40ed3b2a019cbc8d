"""The HTTP semantic-convention attributes of a server span, worked out from a WSGI environ.

Pure functions and small bounded caches, no OpenTelemetry import: the values a client controls
(method, ``Host``) go through a cache of bounded size, the rest are plain ``environ`` reads.
Attribute names are the stable HTTP semantic conventions
(https://opentelemetry.io/docs/specs/semconv/http/http-spans/).
"""

from __future__ import annotations

import re
from collections.abc import ItemsView, Iterator, Mapping
from typing import Any

__all__ = [
    "KNOWN_METHODS",
    "REQUEST_ID_ATTRIBUTE",
    "StartAttributes",
    "error_type",
    "method_attributes",
    "protocol_version",
    "redact_query",
    "server_address",
    "span_name",
    "start_attributes",
    "status_code",
]

KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY")
)
"""The methods recorded as themselves in ``http.request.method``; others become ``_OTHER``."""

REQUEST_ID_ATTRIBUTE = "cherrypy.request.id"
"""The span attribute carrying ``cherrypy.request.id`` (the ``X-Request-ID`` of the response)."""

_CACHE_LIMIT = 256

_method_cache: dict[str, tuple[str, dict[str, str]]] = {}
_host_cache: dict[tuple[str, str], tuple[str, int | None]] = {}
_name_cache: dict[tuple[str, str | None], str] = {}
_status_cache: dict[Any, int] = {}

_PROTOCOLS = {"HTTP/1.1": "1.1", "HTTP/1.0": "1.0", "HTTP/2": "2", "HTTP/2.0": "2", "HTTP/3": "3"}

_SENSITIVE_QUERY = re.compile(
    r"(?i)(^|&)(AWSAccessKeyId|Signature|sig|X-Goog-Signature)=[^&]*",
)
"""Query parameters whose values the semantic conventions say to redact in ``url.query``."""


def method_attributes(method: str) -> tuple[str, dict[str, str]]:
    """``(method for the span name, method attributes)`` for a request method.

    A known method is itself; any other becomes ``_OTHER`` with the original in
    ``http.request.method_original``, and names its span ``HTTP``.
    """
    found = _method_cache.get(method)
    if found is not None:
        return found
    if method in KNOWN_METHODS:
        found = (method, {"http.request.method": method})
    else:
        found = ("HTTP", {"http.request.method": "_OTHER", "http.request.method_original": method})
    if len(_method_cache) >= _CACHE_LIMIT:
        _method_cache.clear()  # clients choose methods: the cache must stay bounded
    _method_cache[method] = found
    return found


def server_address(host: str, scheme: str) -> tuple[str, int | None]:
    """``(server.address, server.port)`` from a ``Host`` header value.

    A ``Host`` without a port gives the scheme's default port; an IPv6 literal loses its
    brackets; a port that is not a number gives ``None``.
    """
    key = (host, scheme)
    found = _host_cache.get(key)
    if found is not None:
        return found
    address, port_text = host, ""
    if host.startswith("["):
        end = host.find("]")
        if end != -1:
            address, port_text = host[1:end], host[end + 2 :]
    elif host.count(":") == 1:
        address, port_text = host.split(":")
    port: int | None
    if port_text:
        port = int(port_text) if port_text.isdigit() else None
    else:
        port = 443 if scheme == "https" else 80
    found = (address, port)
    if len(_host_cache) >= _CACHE_LIMIT:
        _host_cache.clear()
    _host_cache[key] = found
    return found


def protocol_version(server_protocol: str) -> str | None:
    """``network.protocol.version`` (``"1.1"``) from the request's ``SERVER_PROTOCOL``."""
    found = _PROTOCOLS.get(server_protocol)
    if found is None and server_protocol.startswith("HTTP/"):
        found = server_protocol[5:]
    return found


def redact_query(query: str) -> str:
    """``query`` with the values of signature-like parameters replaced by ``REDACTED``."""
    if "=" not in query:
        return query
    return _SENSITIVE_QUERY.sub(r"\1\2=REDACTED", query)


def start_attributes(
    environ: Mapping[str, Any], method_attrs: dict[str, str], query: bool
) -> dict[str, Any]:
    """The attributes known when the request starts (the ones a sampler may look at)."""
    get = environ.get
    scheme = get("wsgi.url_scheme", "http")
    attrs: dict[str, Any] = dict(method_attrs)
    attrs["url.scheme"] = scheme
    attrs["url.path"] = get("SCRIPT_NAME", "") + get("PATH_INFO", "")
    host = get("HTTP_HOST")
    if host:
        address, port = server_address(host, scheme)
    else:
        address = get("SERVER_NAME", "")
        port_value = get("SERVER_PORT")
        port = int(port_value) if port_value and str(port_value).isdigit() else None
    if address:
        attrs["server.address"] = address
        if port is not None:
            attrs["server.port"] = port
    if query:
        query_string = get("QUERY_STRING")
        if query_string:
            attrs["url.query"] = redact_query(query_string)
    version = protocol_version(get("SERVER_PROTOCOL", ""))
    if version is not None:
        attrs["network.protocol.version"] = version
    client = get("REMOTE_ADDR")
    if client:
        attrs["client.address"] = client
    agent = get("HTTP_USER_AGENT")
    if agent:
        attrs["user_agent.original"] = agent
    return attrs


class StartAttributes(Mapping[str, Any]):
    """:func:`start_attributes`, worked out when something first reads them.

    The span's start attributes go to the sampler, which may look at them; the SDK's ratio
    and parent-based samplers do not, and a span they drop never reads them: those requests
    skip building them.
    """

    __slots__ = ("_attrs", "_environ", "_method_attrs", "_query")

    def __init__(
        self, environ: Mapping[str, Any], method_attrs: dict[str, str], query: bool
    ) -> None:
        self._environ = environ
        self._method_attrs = method_attrs
        self._query = query
        self._attrs: dict[str, Any] | None = None

    def _built(self) -> dict[str, Any]:
        attrs = self._attrs
        if attrs is None:
            attrs = self._attrs = start_attributes(self._environ, self._method_attrs, self._query)
        return attrs

    def __getitem__(self, key: str) -> Any:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def items(self) -> ItemsView[str, Any]:
        """The attributes' (name, value) pairs."""
        return self._built().items()


def span_name(method_name: str, route: str | None) -> str:
    """``"{method} {route}"``, or the method alone when nothing matched (computed once)."""
    key = (method_name, route)
    found = _name_cache.get(key)
    if found is None:
        found = method_name if route is None else f"{method_name} {route}"
        if len(_name_cache) >= _CACHE_LIMIT * 4:
            _name_cache.clear()
        _name_cache[key] = found
    return found


def status_code(output_status: Any) -> int | None:
    """The status code of ``response.output_status`` (``b"200 OK"``) or ``response.status``."""
    found = _status_cache.get(output_status)
    if found is not None:
        return found
    if isinstance(output_status, int):
        return output_status
    if isinstance(output_status, (bytes, str)) and output_status[:3].isdigit():
        found = int(output_status[:3])
        if len(_status_cache) < _CACHE_LIMIT:
            _status_cache[output_status] = found
        return found
    return None


def error_type(error: BaseException) -> str:
    """``error.type`` for an exception: its fully qualified class name (builtins unqualified)."""
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"
