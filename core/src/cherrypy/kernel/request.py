"""The request life cycle (``cherrypy.request``): headers, dispatch, the compiled pipeline,
the eight hook points, the handler and error handling."""

from __future__ import annotations

import ipaddress
import operator
import os
import re
import sys
import threading
from http.cookies import CookieError
from os import urandom as _urandom
from typing import Any

from cherrypy.kernel import dispatch as _dispatch_module
from cherrypy.kernel import observe as _observe
from cherrypy.kernel import pipeline as _pipeline
from cherrypy.kernel.context import serving, set_idle_factory
from cherrypy.kernel.cookies import LazyCookie, load_request_cookie
from cherrypy.kernel.dispatch import Dispatcher
from cherrypy.kernel.errors import (
    HTTPError,
    HTTPRedirect,
    InternalRedirect,
    NotFound,
    bare_error,
    format_exc,
)
from cherrypy.kernel.httputil import (
    HeaderMap,
    Host,
    decode_host,
    decode_TEXT_maybe,
    parse_query_string,
)
from cherrypy.kernel.reprconf import NamespaceSet
from cherrypy.kernel.requesthooks import HOOKPOINTS, Hook, HookMap, run_point
from cherrypy.kernel.response import Response, ResponseBody
from cherrypy.kernel.runtime import site

__all__ = [
    "Hook",
    "HookMap",
    "LazyUUID4",
    "Request",
    "Response",
    "ResponseBody",
    "error_page_namespace",
    "hookpoints",
    "hooks_namespace",
    "request_namespace",
    "response_namespace",
]

hookpoints = list(HOOKPOINTS)
"""The names of the eight hook points (CherryPy's ``_cprequest.hookpoints``)."""

hooks_namespace = _pipeline.hooks_namespace
request_namespace = _pipeline.request_namespace
response_namespace = _pipeline.response_namespace
error_page_namespace = _pipeline.error_page_namespace


class _LazyUniqueId:
    """Descriptor for ``request.unique_id``: a request's :class:`LazyUUID4`, made on first
    access (None on the class).  Assignment replaces it as usual."""

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return None
        unique_id = obj.__dict__["unique_id"] = LazyUUID4()
        return unique_id


_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}").fullmatch
"""Whether an incoming ``X-Request-ID`` is kept as ``request.id``."""


class _LazyRequestId:
    """Descriptor for ``request.id``: the client's ``X-Request-ID`` when it is valid (1-128
    characters among letters, digits and ``._:-``), else ``str(request.unique_id)``; after an
    internal redirect, the id of the request redirected from.  Worked out on first access
    (None on the class); assignment replaces it as usual."""

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return None
        state = obj.__dict__
        prev = obj.prev
        if prev is not None:
            value = prev.id  # an internal redirect serves the same HTTP request
        else:
            environ = obj.wsgi_environ
            if environ:
                value = environ.get("HTTP_X_REQUEST_ID")
            else:  # a request built without an environ (tests, tools)
                value = dict.get(obj.headers, _observe.STORED_HEADER_NAME)
            if value is None or _VALID_REQUEST_ID(value) is None:
                unique_id = state.get("unique_id")
                if unique_id is None:
                    value = _uuid4_text()
                    state["unique_id"] = LazyUUID4(value)
                else:
                    value = str(unique_id)
        state["id"] = value
        return value


_SPECIAL_HEADERS = {
    "CONTENT_LENGTH": "Content-Length",
    "CONTENT_TYPE": "Content-Type",
    "REMOTE_HOST": "Remote-Host",
    "REMOTE_ADDR": "Remote-Addr",
    "HTTP_CGI_AUTHORIZATION": "Authorization",
}


class _HeaderPlan(tuple):  # type: ignore[type-arg]
    """The (environ key, header name, title-cased name) triples of an environ's headers, in
    order, with what :func:`_headers_from_environ` needs to read them in a few C calls:
    ``values`` (an ``itemgetter`` of the keys, None for fewer than two), ``names``,
    ``titles`` and ``length_at`` (the index of ``CONTENT_LENGTH``, -1 if absent)."""

    values: Any
    names: tuple[str, ...]
    titles: tuple[str, ...]
    length_at: int


def _make_plan(keys: tuple[str, ...]) -> _HeaderPlan:
    plan = _HeaderPlan(
        (key, name, name.title()) for key in keys if (name := _header_name(key)) is not None
    )
    plan.names = tuple(name for _key, name, _title in plan)
    plan.titles = tuple(title for _key, _name, title in plan)
    header_keys = [key for key, _name, _title in plan]
    plan.values = operator.itemgetter(*header_keys) if len(header_keys) > 1 else None
    plan.length_at = header_keys.index("CONTENT_LENGTH") if "CONTENT_LENGTH" in header_keys else -1
    return plan


# The environ keys of a request, in order -> its header plan: servers send the same keys
# request after request, so the names are worked out once.
_header_plans: dict[tuple[str, ...], _HeaderPlan] = {}


def _plan_of(environ: dict[str, Any]) -> _HeaderPlan:
    """The (environ key, header name, title-cased name) triples of ``environ``'s headers."""
    keys = tuple(environ)
    plan = _header_plans.get(keys)
    if plan is None:
        plan = _make_plan(keys)
        if len(_header_plans) >= 64:
            _header_plans.clear()
        _header_plans[keys] = plan
    return plan


def _header_name(key: str) -> str | None:
    """The header name an environ key stands for, or None if it is not a header."""
    if key in _SPECIAL_HEADERS:
        return _SPECIAL_HEADERS[key]
    if key.startswith("HTTP_"):
        return key[5:].replace("_", "-")
    return None


def _known_thread(engine: Any, acquirers: Any) -> bool:
    """Whether publishing ``acquire_thread`` (to ``acquirers``, the channel's listeners) would
    do nothing: its only listener is the engine's thread manager, which knows this thread."""
    manager = engine.__dict__.get("thread_manager")
    return (
        manager is not None
        and len(acquirers) == 1
        and manager.acquire_thread in acquirers
        and threading.get_ident() in manager.threads
    )


def _take_environ_extras(request: Any, get: Any) -> None:
    """Give a compiled route's ``request`` what the environ (``get`` is its ``get``) says of
    the user and the WSGI flags, storing only values that differ from the class defaults."""
    value = get("LOGON_USER") or get("REMOTE_USER") or None
    if value is not None:
        request.login = value
    value = get("wsgi.multithread", True)
    if value is not True:
        request.multithread = value
    value = get("wsgi.multiprocess", False)
    if value is not False:
        request.multiprocess = value
    value = get("cherrypy.previous_request")
    if value is not None:
        request.prev = value


_FROM_ENVIRON: Any = Host("", -1)
"""What ``AppResponse.run`` passes as ``local_host`` and ``remote_host`` for a compiled
route's request: ``request.local`` and ``request.remote`` are then made from
``request.wsgi_environ`` on first access (:class:`_HostFromEnviron`)."""

_port_numbers: dict[Any, int] = {}


def _port_number(value: Any) -> int:
    """``int(value or -1)``, remembered for the port strings seen most."""
    found = _port_numbers.get(value) if value.__class__ is str else None
    if found is None:
        found = int(value or -1)
        if value.__class__ is str:
            if len(_port_numbers) >= 1024:
                _port_numbers.clear()
            _port_numbers[value] = found
    return found


def _environ_port(value: Any) -> int:
    """A port from the environ (``SERVER_PORT``, ``REMOTE_PORT``); -1 when it is no number."""
    try:
        return _port_number(value)
    except (TypeError, ValueError):
        return -1


class _FromEnviron:
    """Base of the descriptors below: a request attribute made from ``wsgi_environ`` on first
    access, with ``default`` on the class (and for a request that has no such source)."""

    def __init__(self, default: Any) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class _HostFromEnviron(_FromEnviron):
    """Descriptor for ``request.local`` and ``request.remote``: a request built with
    :data:`_FROM_ENVIRON` (a compiled route's) makes its :class:`Host` from
    ``request.wsgi_environ`` on first access, as the general path does at once
    (``SERVER_NAME``/``SERVER_PORT``; ``REMOTE_ADDR``/``REMOTE_PORT``/``REMOTE_HOST``).
    Not a data descriptor: the request's own value, once stored, is found first."""

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return self.default
        environ = obj.wsgi_environ
        if not environ:
            return self.default
        get = environ.get
        if self.name == "local":
            host = Host("", _environ_port(get("SERVER_PORT", 80)), get("SERVER_NAME", ""))
        else:
            host = Host(
                get("REMOTE_ADDR", ""),
                _environ_port(get("REMOTE_PORT", -1)),
                get("REMOTE_HOST", ""),
            )
        setattr(obj, self.name, host)
        return host


class _LaneHandler:
    """Descriptor for ``request.handler``: None on the class and for most requests; a request
    served by the lane (:meth:`~cherrypy.kernel.wsgi.CPWSGIApp.serve_lane`), which calls its
    route's handler without making handler objects, has them made on first access: the
    :class:`~cherrypy.kernel.dispatch.LateParamPageHandler`, wrapped in the
    :class:`~cherrypy.kernel.builtin_tools.ResponseEncoder` when ``tools.encode`` is on, as
    the general path makes them.  Not a data descriptor: an assigned value is found first."""

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return None
        route = obj._lane_route
        if route is None:
            return None
        handler = obj.handler = route.lane_handler(obj)
        return handler


class _LaneHooks:
    """Descriptor for ``request.hooks``: the shared empty map on the class and for a request
    not given its own yet; a request the lane serves has its route's hooks (a new
    :class:`HookMap` from the pipeline) made on first access, and remembered as
    ``_lane_hooks`` too, so the lane knows the map may have been changed.  Not a data
    descriptor: an assigned map is found first."""

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return _EMPTY_HOOKS
        route = obj._lane_route
        if route is None:
            return _EMPTY_HOOKS
        hooks = obj.hooks = obj._lane_hooks = route.pipeline.new_hookmap()
        return hooks


class _HeadersFromEnviron(_FromEnviron):
    """Descriptor for ``request.headers`` and ``request.header_list`` of a compiled route's
    request: both are read from the WSGI environ on first access (not a data descriptor, so
    the request's own value, once stored, is found first).

    A request served through a :class:`~cherrypy.kernel.compiled.CompiledRoute` whose
    ``Host`` header is one already found valid and whose ``Content-Length`` (if any) is all
    digits is checked without building either: a hello world never reads them.  Every other
    request, and every request of the general path, has both set as before.  (Made later,
    they reflect the environ as it is then: a handler that changes ``wsgi_environ`` before
    its first look at ``request.headers`` sees its change there.)
    """

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return self.default
        source = obj._header_source
        if source is None:
            return self.default  # a request built without headers (tests, tools)
        header_list, headers = _headers_from_environ(source, _plan_of(source))
        obj._header_source = None  # (after: a failure leaves the next access to fail alike)
        # Either one may have been assigned already: keep what was assigned.
        state = obj.__dict__
        if state.get("headers", _DEFAULT_HEADERS) is _DEFAULT_HEADERS:
            state["headers"] = headers
        if state.get("header_list", _DEFAULT_HEADER_LIST) is _DEFAULT_HEADER_LIST:
            state["header_list"] = header_list
        return state[self.name]


def _headers_from_environ(
    environ: dict[str, Any], plan: Any
) -> tuple[list[tuple[str, str]], HeaderMap]:
    """``request.header_list`` and ``request.headers`` from ``environ``'s headers, whose
    (environ key, header name, title-cased name) triples ``plan`` holds in order.  An empty
    ``CONTENT_LENGTH`` means no length given (PEP 3333): no header for it."""
    headers = dict.__new__(HeaderMap)
    values = plan.values if plan.__class__ is _HeaderPlan else None
    if values is not None:
        found = values(environ)
        length_at = plan.length_at
        if length_at < 0 or found[length_at]:
            # The usual case, in C calls: every value is kept, and none holds an encoded
            # word (else the loop below decodes them one by one).
            stripped = list(map(str.strip, found))
            if "=?" not in "\n".join(stripped):
                dict.update(headers, zip(plan.titles, stripped, strict=True))
                return list(zip(plan.names, found, strict=True)), headers
    header_list: list[tuple[str, str]] = []
    append = header_list.append
    store = dict.__setitem__
    for key, name, title in plan:
        value = environ[key]
        if not value and key == "CONTENT_LENGTH":
            continue
        append((name, value))
        value = value.strip()
        store(headers, title, _decoded(title, value) if "=?" in value else value)
    return header_list, headers


_set_header = dict.__setitem__
_ID_HEADER_BYTES = _observe.STORED_HEADER_NAME.encode("ascii")


_random_hex = threading.local()
"""Per thread: ``pending``, the UUID4 strings made and not handed out yet."""


def _forget_random_hex() -> None:
    """A forked child must not hand out the ids its parent's pool still holds."""
    global _random_hex
    _random_hex = threading.local()


os.register_at_fork(after_in_child=_forget_random_hex)


def _uuid4_text() -> str:
    """What ``str(uuid.uuid4())`` gives (122 random bits from ``os.urandom``, the version and
    RFC 4122 variant digits set), without building a ``uuid.UUID``.  Request ids make one per
    request, so each thread makes them 64 at a time (:func:`_new_uuid4_texts`)."""
    try:
        return _random_hex.pending.pop()
    except (AttributeError, IndexError):
        pending = _random_hex.pending = _new_uuid4_texts()
        return pending.pop()


_HEX_DIGIT = bytes(b"0123456789abcdef"[b & 15] for b in range(256))
"""A random byte -> a random hex digit (its low four bits)."""
_VARIANT_DIGIT = bytes(b"89ab"[b & 3] for b in range(256))
"""A random byte -> a random RFC 4122 variant digit (``10xx``)."""
_IDS_PER_POOL = 64
_ID_WIDTH = 37  # 36 characters and a newline


def _new_uuid4_texts() -> list[str]:
    """64 UUID4 strings, made with a few C calls: a random hex digit per character (one
    ``os.urandom`` byte each), then the dashes, the version and variant digits and a newline
    after each id written into every id at once by slice assignment."""
    count = _IDS_PER_POOL
    buf = bytearray(_urandom(count * _ID_WIDTH).translate(_HEX_DIGIT))
    buf[8::_ID_WIDTH] = buf[13::_ID_WIDTH] = buf[18::_ID_WIDTH] = buf[23::_ID_WIDTH] = b"-" * count
    buf[14::_ID_WIDTH] = b"4" * count
    buf[19::_ID_WIDTH] = _urandom(count).translate(_VARIANT_DIGIT)
    buf[36::_ID_WIDTH] = b"\n" * count
    return buf.decode("ascii").split()


class LazyUUID4:
    """A UUID4 made on first ``str()`` (``request.unique_id``)."""

    __slots__ = ("_uuid",)

    def __init__(self, text: str | None = None) -> None:
        self._uuid: str | None = text

    def __str__(self) -> str:
        if self._uuid is None:
            self._uuid = _uuid4_text()
        return self._uuid

    @property
    def uuid4(self) -> str:
        """The UUID as a string."""
        return str(self)

    def __repr__(self) -> str:
        return f"<LazyUUID4 {self}>"


def _default_error_response() -> None:
    """The default ``request.error_response``: a plain 500.  A function, not a bound method,
    so a request does not reference itself (it is then freed without the cycle collector)."""
    HTTPError(500).set_response()


_HTTP_11 = (1, 1)


class _ErrorPages:
    """Descriptor for ``request.error_page``: the class's dict of error pages (``shared``,
    what ``Request.error_page`` gives), copied into a request when it first reads its own.

    CherryPy copies it when the request is made; most requests never look at it, and one
    attribute fewer keeps a request in CPython's compact per-class attribute layout.
    """

    def __init__(self) -> None:
        self.shared: dict[Any, Any] = {}

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return self.shared
        pages = self.shared.copy()
        obj.error_page = pages  # not a data descriptor: this stores the request's own
        return pages


_EMPTY_HOOKS = HookMap(HOOKPOINTS)

_PENDING = object()  # request.body not built yet

# Stages that run before a path's config is applied to the request.
_EARLY_STAGES = frozenset(("run", "respond", "process_headers", "get_resource", "compile"))


class _RequestNamespaces(NamespaceSet):
    """Request-scope config namespaces; adding or removing one invalidates compiled pipelines."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        _pipeline.invalidate()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        _pipeline.invalidate()


_request_body_class: Any = None
""":class:`~cherrypy.kernel.reqbody.RequestBody`, imported on the first request with a body
(an ``import`` statement costs ~0.4 µs each time it runs)."""


def _load_request_body_class() -> Any:
    global _request_body_class
    from cherrypy.kernel.reqbody import RequestBody

    _request_body_class = RequestBody
    return RequestBody


class Request:
    """An HTTP request, as seen by page handlers through ``cherrypy.request``."""

    prev: Request | None = None
    local: Host = _HostFromEnviron(Host("127.0.0.1", 80))  # type: ignore[assignment]
    remote: Host = _HostFromEnviron(Host("127.0.0.1", 1111))  # type: ignore[assignment]
    scheme = "http"
    server_protocol = "HTTP/1.1"
    base = ""
    request_line = ""
    method = "GET"
    query_string = ""
    query_string_encoding = "utf8"
    protocol = _HTTP_11
    params: dict[str, Any] = {}
    header_list: list[tuple[str, str]] = _HeadersFromEnviron([])  # type: ignore[assignment]
    headers: HeaderMap = _HeadersFromEnviron(HeaderMap())  # type: ignore[assignment]
    _header_source: dict[str, Any] | None = None  # the environ headers are read from later
    cookie = LazyCookie()
    _has_cookie_state = False  # see LazyCookie: True once this request has cookie state
    rfile: Any = None
    process_request_body = True
    methods_with_bodies = ("POST", "PUT", "PATCH")
    _body: Any = None
    dispatch: Any = Dispatcher()
    script_name = ""
    path_info = "/"
    login: str | None = None
    app: Any = None
    handler: Any = _LaneHandler()
    _lane_route: Any = None  # the CompiledRoute of a request the lane serves
    args: tuple[Any, ...]  # the page handler's positional arguments (set with the handler)
    kwargs: dict[str, Any]  # its keyword arguments given by the dispatcher
    inner_handler: Any = None
    """The page handler a handler-wrapping tool replaced (``tools.json_out`` sets it)."""
    toolmaps: dict[str, Any] = {}
    _own_config: dict[str, Any] | None = None
    _shared_config: dict[str, Any] | None = None
    _lazy_config = True  # the dispatcher may hand over a shared config dict (see ``config``)
    is_index: bool | None = None
    hooks: HookMap = _LaneHooks()  # type: ignore[assignment]
    _lane_hooks: HookMap | None = None  # the hooks made for a request the lane serves
    # The default (a function, not a method: the staticmethod hands it out as is).  A request
    # stores its own only when it differs, so most requests keep fewer attributes of their own.
    error_response: Any = staticmethod(_default_error_response)
    error_page: Any = _ErrorPages()
    show_tracebacks = True
    show_mismatched_params = True
    throws: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, InternalRedirect)
    throw_errors = False
    closed = False
    stage: str | None = None
    unique_id = _LazyUniqueId()
    id: str = _LazyRequestId()  # type: ignore[assignment]
    """The request id: a valid incoming ``X-Request-ID``, else ``str(unique_id)``."""
    route: str | None = None
    """What handled the request, from a bounded set (set by the dispatcher; None: 404)."""
    _observation: Any = None  # the observe.Observation of an observed request
    _pipeline_entry: Any = None
    _walk_dynamic = False  # set by a _cp_dispatch walk the dispatcher must not cache
    wsgi_environ: dict[str, Any] = {}
    multithread = True
    multiprocess = False
    namespaces = _RequestNamespaces(
        hooks=_pipeline.hooks_namespace,
        request=_pipeline.request_namespace,
        response=_pipeline.response_namespace,
        error_page=_pipeline.error_page_namespace,
        plugins=_pipeline.plugins_namespace,
    )

    def __init__(
        self,
        local_host: Host,
        remote_host: Host,
        scheme: str = "http",
        server_protocol: str = "HTTP/1.1",
    ) -> None:
        if local_host is not _FROM_ENVIRON:
            self.local = local_host
        if remote_host is not _FROM_ENVIRON:
            self.remote = remote_host
        self.scheme = scheme
        self.server_protocol = server_protocol
        # closed, stage and hooks start as the class defaults; unique_id is made on first use
        if self.__class__ is not Request or _REQUEST_ATTRS["error_page"] is not _ERROR_PAGES:
            # A subclass (or a replaced class attribute) may hold its own dict: copy it now.
            self.error_page = self.error_page.copy() if self.error_page else {}
        if self.error_response is not _default_error_response:
            self.error_response = _default_error_response

    @property
    def _json_inner_handler(self) -> Any:
        """CherryPy's name for :attr:`inner_handler` (custom ``json_out`` handlers call it)."""
        return self.inner_handler

    @_json_inner_handler.setter
    def _json_inner_handler(self, value: Any) -> None:
        self.inner_handler = value

    @property
    def body(self) -> Any:
        """The request entity (:class:`~cherrypy.kernel.reqbody.RequestBody`), made on first use."""
        body = self._body
        if body is _PENDING:
            body_class = _request_body_class or _load_request_body_class()
            body = self._body = body_class(self.rfile, self.headers, request_params=self.params)
        return body

    @body.setter
    def body(self, value: Any) -> None:
        self._body = value

    @property
    def config(self) -> dict[str, Any] | None:
        """The config of the requested path (a dict this request may change freely).

        The default dispatcher hands over the cached config of the path without copying it;
        the copy is made here, only when someone asks for it.
        """
        own = self._own_config
        if own is None:
            shared = self._shared_config
            if shared is not None:
                own = self._own_config = shared.copy()
        return own

    @config.setter
    def config(self, value: dict[str, Any] | None) -> None:
        self._own_config = value
        self._shared_config = None

    def _default_error_response(self) -> None:
        HTTPError(500).set_response()

    def close(self) -> None:
        """Run the ``on_end_request`` hooks (once)."""
        if not self.closed:
            self.closed = True
            self.stage = "on_end_request"
            hooks = self.hooks
            if hooks.__class__ is not HookMap or dict.get(hooks, "on_end_request"):
                run_point(hooks, "on_end_request")
            self.stage = "close"

    def run(
        self, method: str, path: str, query_string: str, req_protocol: str, headers: Any, rfile: Any
    ) -> Any:
        """Process the request and return ``cherrypy.response`` (the kernel's core)."""
        response = serving.response
        self.stage = "run"
        try:
            # Attributes whose value is already the one to set (usually the class default)
            # are not stored again: an instance with fewer attributes of its own keeps them
            # in CPython's compact per-class layout, which makes every access cheaper.
            if self.error_response is not _default_error_response:
                self.error_response = _default_error_response
            self.method = method
            path = path or "/"
            query_string = query_string or ""
            if self.query_string is not query_string:
                self.query_string = query_string
            self.params = {}
            protocol = _effective.get((req_protocol, self.server_protocol))
            if protocol is None:
                protocol = _effective_protocol(req_protocol, self.server_protocol)
            if self.protocol is not protocol:
                self.protocol = protocol
            if protocol != (1, 1):
                response.headers.protocol = protocol
            url = path + "?" + query_string if query_string else path
            self.request_line = f"{method} {url} {req_protocol}"
            self.header_list = list(headers)
            self.headers = dict.__new__(HeaderMap)
            self.rfile = rfile
            self._body = None
            if self._has_cookie_state:
                state = self.__dict__
                state.pop("cookie", None)  # a fresh one is made on first use
                state.pop("_cookie_headers", None)
            self.handler = None
            self.script_name = self.app.script_name
            self.path_info = path[len(self.script_name) :]
            self.stage = "respond"
            self.respond(self.path_info)
        except self.throws:
            raise
        except Exception:
            self._run_failed(response)
        self._run_done(response)
        return response

    def _run_route(
        self,
        route: Any,
        response: Any,
        method: str,
        query_string: str,
        req_protocol: str,
        environ: dict[str, Any],
        rfile: Any,
    ) -> None:
        """:meth:`run` of a new request for a compiled route's path, in one frame.

        What :meth:`run`, :meth:`respond` and ``_do_respond`` do, in the same order, with the
        dispatcher's work taken from ``route`` (a
        :class:`~cherrypy.kernel.compiled.CompiledRoute`); any exception gets the same
        handling as theirs.
        """
        self.stage = "run"
        try:
            self.method = method
            if query_string:
                self.query_string = query_string
            self.params = {}
            protocol = _effective.get((req_protocol, self.server_protocol))
            if protocol is None:
                protocol = _effective_protocol(req_protocol, self.server_protocol)
            if protocol is not _HTTP_11:
                self.protocol = protocol
                if protocol != (1, 1):
                    response.headers.protocol = protocol
            script_name = route.script_name
            path = route.full_path
            url = path + "?" + query_string if query_string else path
            self.request_line = f"{method} {url} {req_protocol}"
            # header_list and headers are made from the environ at process_headers
            self.rfile = rfile
            if script_name:
                self.script_name = script_name
            self.path_info = route.path
            self.stage = "respond"
            try:
                self.toolmaps = {}
                self.hooks = dict.__new__(HookMap)
                self.stage = "process_headers"
                self._read_headers(environ)
                if _observe.active:
                    _observe.begin(self, response)
                self.stage = "get_resource"
                _pipeline._stats["hits"] += 1
                entry = route.entry
                self._pipeline_entry = entry
                self._shared_config = entry.config  # copied on first access
                if route.is_index is not None:
                    self.is_index = route.is_index
                self.route = route.route
                func = route.func
                self.handler = (
                    _dispatch_module.LateParamPageHandler(func, *route.args) if func else NotFound()
                )
                self._body = _PENDING  # built on first use: most GETs never look at it
                self.stage = "compile"
                attributes = route.request_attrs
                if attributes is None or self.hooks:
                    route.pipeline.install(self, response)
                else:
                    # What Pipeline.install does for a pipeline of hooks and request
                    # attributes, on a request no hook was attached to yet.
                    pipeline = route.pipeline
                    self.toolmaps = pipeline.toolmaps
                    self.hooks = pipeline.new_hookmap()
                    for name, value in attributes:
                        setattr(self, name, value)
                self._serve_resource(response, route)
            except BaseException as exc:
                self._respond_with(_raise, [exc])
            else:
                self._end_resource()
        except self.throws:
            raise
        except Exception:
            self._run_failed(response)
        self._run_done(response)

    def _end_resource(self) -> None:
        """The ``on_end_resource`` hooks of a route's request served without an exception
        (with their error handling); a point without hooks only sets the stage."""
        hooks = self.hooks
        if hooks.__class__ is not HookMap or dict.get(hooks, "on_end_resource"):
            self._respond_with(_nothing, None)
        else:
            self.stage = "on_end_resource"

    def _resume_route(
        self, response: Any, route: Any, handler_done: bool | None, value: Any
    ) -> None:
        """The rest of :meth:`_run_route` for a request the lane began
        (:meth:`~cherrypy.kernel.wsgi.CPWSGIApp.serve_lane`) and hands back: ``value`` is
        what the page handler returned (``handler_done``), else a one-item list holding the
        exception raised at ``self.stage`` (taken out to be raised: see :func:`_raise`);
        ``handler_done`` None: a hooked path's resource was served up to its finalize.  From
        here on the request goes as on the general path: the result is encoded by
        ``tools.encode``, hooks attached meanwhile run, errors are handled."""
        try:
            if handler_done is None:
                # A hooked path's resource was served to its finalize (Request._serve_resource):
                # what follows in _run_route.
                self._end_resource()
            else:
                if not handler_done and self.stage == "run":
                    raise value.pop()  # what _run_route's own first steps raise: the bare 500
                try:
                    if not handler_done:
                        raise value.pop()
                    response.body = route.lane_encode(self, value)
                    self._finish_resource(response)
                except BaseException as exc:
                    self._respond_with(_raise, [exc])
                else:
                    self._end_resource()
        except self.throws:
            raise
        except Exception:
            self._run_failed(response)
        self._run_done(response)

    def _run_failed(self, response: Any) -> None:
        """The bare 500 of an error that escaped :meth:`respond` (or its error handling)."""
        if self.throw_errors:
            raise
        if _observe.active:
            _observe.begin_late(self, response, sys.exc_info()[1])
        site.log(traceback=True, severity=40)
        if self.stage in _EARLY_STAGES:
            self._apply_early_error_config()
        body = format_exc() if self.show_tracebacks else ""
        response.output_status, response.header_list, response.body = bare_error(body)
        if _observe.request_id_header_wanted:
            response.header_list.append((_ID_HEADER_BYTES, self.id.encode("ascii")))

    def _run_done(self, response: Any) -> None:
        """What ends :meth:`run`: no body for HEAD, then the access log line."""
        if self.method == "HEAD":
            response.body = []
        try:
            site.log.access()
        except Exception:
            site.log.error(traceback=True)

    def respond(self, path_info: str) -> None:
        """Generate the response for ``path_info`` (runs hooks, handler and error handling)."""
        self._respond_with(self._do_respond, path_info)

    def _respond_with(self, inner: Any, argument: Any) -> None:
        """Run ``inner(argument)`` (what makes the response) with the error handling of
        :meth:`respond` around it."""
        try:
            try:
                try:
                    inner(argument)
                except (HTTPRedirect, HTTPError) as inst:
                    if _observe.active:
                        _observe.begin_late(self, serving.response)
                    if self.stage in _EARLY_STAGES:
                        self._apply_early_error_config()
                    inst.set_response()
                    self.stage = "before_finalize (HTTPError)"
                    self.hooks.run("before_finalize")
                    self._finalize(serving.response)
            finally:
                failed_stage = self.stage  # where an exception (if any) came from
                self.stage = "on_end_resource"
                hooks = self.hooks
                if hooks.__class__ is not HookMap or dict.get(hooks, "on_end_resource"):
                    run_point(hooks, "on_end_resource")
        except self.throws:
            raise
        except Exception:
            if _observe.active:
                _observe.begin_late(self, serving.response, sys.exc_info()[1])
            if self.throw_errors:
                raise
            if failed_stage == "compile":
                # The path's pipeline (its tools, hence tools.log_tracebacks) could not be
                # built: a bad config value or a broken plugin.  Log it here, or nothing would.
                site.log(
                    f"Could not build the request pipeline for {self.path_info!r}",
                    "HTTP",
                    severity=40,
                    traceback=True,
                )
            if failed_stage in _EARLY_STAGES:
                self._apply_early_error_config()
            self.handle_error()

    def _apply_early_error_config(self) -> None:
        """Honour ``show_tracebacks`` / ``show_mismatched_params`` for errors raised before the
        path's pipeline is installed (bad headers, a failing dispatcher).

        Only the error path pays for these look-ups; the app's config wins over the site's.
        """
        app = self.app
        path = self.path_info
        cls = type(self)
        for name in ("show_tracebacks", "show_mismatched_params"):
            key = "request." + name
            value = site.config.get(key, getattr(cls, name))
            if app is not None:
                value = app.find_config(path, key, value)
            setattr(self, name, value)

    def _do_respond(self, path_info: str) -> None:
        response = serving.response
        if self.app is None:
            raise NotFound()
        self.toolmaps = {}
        self.hooks = dict.__new__(HookMap)  # hooks attached before the pipeline is installed
        self.stage = "process_headers"
        self.process_headers()
        if _observe.active:
            _observe.begin(self, response)
        self.stage = "get_resource"
        self._pipeline_entry = None
        if self._own_config is not None:  # ``config`` is None until dispatched
            self._own_config = None
        self._shared_config = None
        self.get_resource(path_info)
        self._body = _PENDING  # built on first use: most GETs never look at it
        self.stage = "compile"
        self._install_pipeline(path_info, response)
        self._serve_resource(response)

    def _serve_resource(self, response: Any, route: Any = None) -> None:
        """The request from ``on_start_resource`` to ``finalize``: hooks, query string, body
        and handler (the pipeline is installed).  A compiled ``route`` whose ``before_handler``
        hooks are CherryPy's default tools has them run without the hook machinery."""
        # A point without hooks is skipped without calling HookMap.run (kept for other maps).
        self.stage = "on_start_resource"
        hooks = self.hooks
        if hooks.__class__ is not HookMap or dict.get(hooks, "on_start_resource"):
            run_point(hooks, "on_start_resource")
        self.stage = "process_query_string"
        if route is None or self.query_string:  # (a route's request is of this very class)
            self.process_query_string()
        if self.process_request_body and self.method not in self.methods_with_bodies:
            self.process_request_body = False
        self.stage = "before_request_body"
        hooks = self.hooks
        if hooks.__class__ is not HookMap or dict.get(hooks, "before_request_body"):
            run_point(hooks, "before_request_body")
        if self.process_request_body:
            self.body.process()
        self.stage = "before_handler"
        hooks = self.hooks
        if hooks.__class__ is not HookMap:
            hooks.run("before_handler")
        else:
            attached = dict.get(hooks, "before_handler")
            if attached:
                plain = None if route is None else route.plain_before_handler
                if (
                    plain is not None
                    and len(attached) == 2
                    and attached[0] is plain[0]
                    and attached[1] is plain[1]
                ):
                    # tools.trailing_slash has nothing to do on this path (decided when the
                    # route was compiled); tools.encode wraps the handler.
                    plain[1].callback()
                else:
                    run_point(hooks, "before_handler")
        if self.handler:
            self.stage = "handler"
            response.body = self.handler()
        self._finish_resource(response)

    def _finish_resource(self, response: Any) -> None:
        """What follows the handler: the ``before_finalize`` hooks, then ``finalize``."""
        self.stage = "before_finalize"
        hooks = self.hooks
        if hooks.__class__ is not HookMap or dict.get(hooks, "before_finalize"):
            run_point(hooks, "before_finalize")
        self._finalize(response)

    def _namespace_pairs(self) -> list[tuple[str, Any]]:
        pairs = list(self.namespaces.items())
        app = self.app
        if app is not None:
            for name, toolbox in app.toolboxes.items():
                pairs = [(n, h) for n, h in pairs if n != name]
                pairs.append((name, toolbox))
        return pairs

    def _install_pipeline(self, path_info: str, response: Any = None) -> None:
        if response is None:
            response = serving.response
        entry = self._pipeline_entry
        if entry is not None and self._own_config is None and self._shared_config is entry.config:
            # The dispatcher's config, untouched since: the entry's pipeline applies as is.
            entry.get_pipeline(self.app, self._namespace_pairs).install(self, response)
            return
        config = self.config
        if entry is None or config != entry.config:
            if config is None:
                config = self.config = site.config.copy()
            entry = _pipeline.entry_for_config(self.app, config, path_info)
        entry.get_pipeline(self.app, self._namespace_pairs).install(self, response)

    def process_query_string(self) -> None:
        """Parse the query string into ``params`` (404 when it cannot be decoded)."""
        if not self.query_string:
            return
        try:
            parsed = parse_query_string(self.query_string, encoding=self.query_string_encoding)
        except UnicodeDecodeError:
            raise HTTPError(
                404,
                "The given query string could not be processed. Query strings for this "
                f"resource must be encoded with {self.query_string_encoding!r}.",
            )
        self.params.update(parsed)

    def process_headers(self) -> None:
        """Fill ``headers`` and ``cookie`` from ``header_list``; set ``base``."""
        headers = self.headers
        titles = _titles
        store = dict.__setitem__
        for name, value in self.header_list:
            title = titles.get(name)
            if title is None:
                title = name.title()
                if len(titles) < 512:
                    titles[name] = title
            name = title
            value = value.strip()
            # HeaderMap keys are title-cased: store directly under the title-cased name.
            store(headers, name, _decoded(name, value) if "=?" in value else value)
            if name == "Cookie":
                try:
                    load_request_cookie(self, value)
                except CookieError as exc:
                    raise HTTPError(400, str(exc))
        self._check_headers(headers)

    def _read_headers(self, environ: dict[str, Any]) -> None:
        """:meth:`process_headers` for a compiled route, reading the environ directly.

        When the ``Host`` value is one already found valid (such values have no spaces and
        no encoded words, so stripping and decoding would not change them) and a
        ``Content-Length``, if any, is all digits, nothing else can make the headers
        refused: ``headers`` and ``header_list`` are then made on first access
        (:class:`_HeadersFromEnviron`).  Otherwise they are made and checked now.
        """
        cookie = environ.get("HTTP_COOKIE")
        if cookie is not None:
            try:
                load_request_cookie(self, cookie.strip())
            except CookieError as exc:
                raise HTTPError(400, str(exc))
        host = environ.get("HTTP_HOST")
        length = environ.get("CONTENT_LENGTH")
        if host in _valid_hosts and (length is None or (length.isdigit() and length.isascii())):
            self._header_source = environ
            self.base = f"{self.scheme}://{host}"
        else:
            self.header_list, headers = _headers_from_environ(environ, _plan_of(environ))
            self.headers = headers
            self._check_headers(headers)

    def _check_headers(self, headers: HeaderMap) -> None:
        """Refuse a malformed Content-Length or Host (400); set ``base``."""
        length = dict.get(headers, "Content-Length")
        if length is not None and not (length.isascii() and length.isdigit()):
            raise HTTPError(400, "Malformed Content-Length Header.")
        host = dict.get(headers, "Host")
        if host is None:
            if self.protocol >= (1, 1):
                raise HTTPError(400, "HTTP/1.1 requires a 'Host' request header.")
            host = self.local.name or self.local.ip
        elif host not in _valid_hosts:
            if not valid_host(host):
                raise HTTPError(400, "Invalid Host header.")
            if len(_valid_hosts) >= 256:
                _valid_hosts.clear()
            _valid_hosts[host] = True
        self.base = f"{self.scheme}://{host}"

    def get_resource(self, path: str) -> None:
        """Find the handler (and config) for ``path`` with the configured dispatcher."""
        dispatch = self.app.find_config(path, "request.dispatch", self.dispatch)
        dispatch(path)

    def _finalize(self, response: Any) -> None:
        """``response.finalize()``, with this request's ``X-Request-ID`` when ids are echoed:
        set again here because a tool may have replaced the headers since the request began
        (a cached response carries the id of the request that filled the cache)."""
        if _observe.request_id_header_wanted:
            _set_header(response.headers, _observe.STORED_HEADER_NAME, self.id)
        response.finalize()

    def handle_error(self) -> None:
        """Turn the exception being handled into a response (``request.error_response``)."""
        try:
            self.hooks.run("before_error_response")
            if self.error_response:
                self.error_response()
            self.hooks.run("after_error_response")
            self._finalize(serving.response)
        except HTTPRedirect as inst:
            inst.set_response()
            self._finalize(serving.response)


def _decoded(name: str, value: str) -> str:
    """A request header's value with its RFC 2047 encoded words decoded (``Host`` as a host)."""
    return decode_host(value) if name == "Host" else decode_TEXT_maybe(value)


def _raise(holder: list[BaseException]) -> None:
    """Raise again the exception ``holder`` holds (:meth:`Request._run_route` hands its errors
    to ``_respond_with``).

    It is taken out of the list as it is raised: the frames the traceback keeps then hold no
    reference to the exception, which holds the traceback, so a handled error (a 404, say)
    leaves no reference cycle for the garbage collector (the request, response and frames
    are freed as soon as the request ends)."""
    raise holder.pop()


def _nothing(_argument: Any) -> None:
    """An ``inner`` for ``_respond_with`` that only runs the ``on_end_resource`` hooks."""


_REQUEST_ATTRS = Request.__dict__
_DEFAULT_HEADERS = Request.headers
_DEFAULT_HEADER_LIST = Request.header_list
_ERROR_PAGES = _REQUEST_ATTRS["error_page"]

# The kernel's own Request keeps ``config`` in two plain fields the dispatcher may set.
_dispatch_module._config_fields_classes.add(Request)


_titles: dict[str, str] = {}  # header name as received -> its title-cased form
_protocols: dict[str, tuple[int, int]] = {}


_effective: dict[tuple[str, str], tuple[int, int]] = {}


_valid_hosts: dict[str, bool] = {}
"""Host header values already found valid (a bounded cache: most sites see few hosts)."""

_REG_NAME_OR_IPV4 = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
_PORT = re.compile(r"[0-9]*")


def valid_host(value: str) -> bool:
    """Whether ``value`` is a Host header value: ``host [":" port]`` (RFC 9112 §3.2, RFC 3986).

    ``host`` is a registered name or IPv4 address (unreserved characters, percent-encodings and
    sub-delimiters only: no ``/``, ``?``, ``#``, ``@``, space or control character) or an IPv6
    literal in brackets; ``port`` is digits.  An empty value is valid (RFC 9112 allows it for
    a target without authority).
    """
    if value.startswith("["):
        literal, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not (rest[0] == ":" and _PORT.fullmatch(rest[1:]))):
            return False
        if literal[:1] in ("v", "V"):
            return (
                re.fullmatch(r"[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+", literal)
                is not None
            )
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return False
        return "%" not in literal
    name, colon, port = value.rpartition(":") if ":" in value else (value, "", "")
    if colon and not _PORT.fullmatch(port):
        return False
    return _REG_NAME_OR_IPV4.fullmatch(name) is not None


def _effective_protocol(request_protocol: str, server_protocol: str) -> tuple[int, int]:
    """The lower of the two protocol versions (cached for the few pairs seen)."""
    key = (request_protocol, server_protocol)
    found = _effective.get(key)
    if found is None:
        found = min(_protocol_tuple(request_protocol), _protocol_tuple(server_protocol))
        if len(_effective) < 16:
            _effective[key] = found
    return found


def _protocol_tuple(text: str) -> tuple[int, int]:
    """(major, minor) of an ``HTTP/x.y`` string; (1, 0) when it cannot be read."""
    found = _protocols.get(text)
    if found is not None:
        return found
    try:
        found = int(text[5]), int(text[7])
    except (IndexError, ValueError, TypeError):
        found = (1, 0)
    if found == _HTTP_11:
        found = _HTTP_11  # the class default itself, so most requests need not store theirs
    if len(_protocols) < 16:
        _protocols[text] = found
    return found


def _idle_pair() -> tuple[Request, Response]:
    """The harmless request/response pair ``cherrypy.request`` shows outside a request."""
    return Request(Host("127.0.0.1", 80), Host("127.0.0.1", 1111)), Response()


set_idle_factory(_idle_pair)
