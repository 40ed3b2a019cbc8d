"""The WSGI side of an application: :class:`CPWSGIApp`, its middleware pipeline and the
per-request :class:`AppResponse` that runs the kernel."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from cherrypy.kernel import observe as _observe
from cherrypy.kernel.compiled import MAX_ROUTES, NEVER, compile_route, generations
from cherrypy.kernel.context import serving
from cherrypy.kernel.dispatch import LateParamPageHandler, handler_type_error
from cherrypy.kernel.errors import InternalRedirect, NotFound, bare_error, format_exc
from cherrypy.kernel.httputil import Host, _plain_type, _plain_types, _with_charset, urljoin
from cherrypy.kernel.pipeline import _stats as _pipeline_stats
from cherrypy.kernel.request import (
    _ERROR_PAGES,
    _FROM_ENVIRON,
    _HTTP_11,
    _PENDING,
    _REQUEST_ATTRS,
    _effective,
    _effective_protocol,
    _environ_port,
    _known_thread,
    _plan_of,
    _port_number,
    _port_numbers,
    _take_environ_extras,
    _valid_hosts,
)
from cherrypy.kernel.request import Request as _Request
from cherrypy.kernel.requesthooks import HookMap
from cherrypy.kernel.response import _CACHED_STATUS_TYPES, _output_with_length, _statuses
from cherrypy.kernel.response import Response as _Response
from cherrypy.kernel.runtime import site

_new_object = object.__new__
_ERROR_RESPONSE = _REQUEST_ATTRS["error_response"]

__all__ = [
    "AppResponse",
    "CPWSGIApp",
    "ExceptionTrapper",
    "InternalRedirector",
    "VirtualHost",
    "downgrade_wsgi_ux_to_1x",
    "is_closable_iterator",
    "port_number",
]


def is_closable_iterator(obj: Any) -> bool:
    """True for a generator (or other iterator) with a ``close`` method."""
    import inspect

    if inspect.isgenerator(obj):
        return True
    return hasattr(obj, "__next__") and callable(getattr(obj, "close", None))


def downgrade_wsgi_ux_to_1x(environ: dict[str, Any]) -> dict[str, Any]:
    """Return ``environ`` unchanged (WSGI u.x environs do not exist on Python 3)."""
    return environ


class VirtualHost:
    """WSGI middleware choosing a WSGI app by the Host header (``cherrypy._cpwsgi.VirtualHost``)."""

    def __init__(
        self,
        default: Callable[..., Any],
        domains: dict[str, Callable[..., Any]] | None = None,
        use_x_forwarded_host: bool = True,
    ) -> None:
        self.default = default
        self.domains = domains or {}
        self.use_x_forwarded_host = use_x_forwarded_host

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Dispatch to the app registered for this request's host."""
        domain = environ.get("HTTP_HOST", "")
        if self.use_x_forwarded_host:
            domain = environ.get("HTTP_X_FORWARDED_HOST", domain)
        return self.domains.get(domain, self.default)(environ, start_response)


class InternalRedirector:
    """WSGI middleware that serves :class:`InternalRedirect` targets (with loop protection)."""

    def __init__(self, nextapp: Callable[..., Any], recursive: bool = False) -> None:
        self.nextapp = nextapp
        self.recursive = recursive

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve the request, following internal redirects."""
        return self.follow(environ, start_response, None)

    def follow(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        pending: InternalRedirect | None,
    ) -> Any:
        """Serve the request (or, given ``pending``, the redirect it raised already),
        following internal redirects."""
        visited: list[str] | None = None
        while True:
            try:
                if pending is None:
                    return self.nextapp(environ, start_response)
                ir, pending = pending, None
                raise ir
            except InternalRedirect as ir:
                if visited is None:
                    visited = []
                sn = environ.get("SCRIPT_NAME", "")
                path = environ.get("PATH_INFO", "")
                qs = environ.get("QUERY_STRING", "")
                old_uri = sn + path + ("?" + qs if qs else "")
                visited.append(old_uri)
                if not self.recursive:
                    new_uri = sn + ir.path + ("?" + ir.query_string if ir.query_string else "")
                    if new_uri in visited:
                        ir.request.close()
                        error = RuntimeError(
                            f"InternalRedirector visited the same URL twice: {new_uri!r}"
                        )
                        _observe.abandon(environ, ir.request, error)
                        raise error
                    if len(visited) > 100:
                        error = RuntimeError("InternalRedirector followed more than 100 redirects")
                        _observe.abandon(environ, ir.request, error)
                        raise error
                environ = environ.copy()  # the next attempt gets its own, rewritten environ
                environ["REQUEST_METHOD"] = "GET"
                environ["PATH_INFO"] = ir.path
                environ["QUERY_STRING"] = ir.query_string
                environ["wsgi.input"] = io.BytesIO()
                environ["CONTENT_LENGTH"] = "0"
                environ["cherrypy.previous_request"] = ir.request


_TRAPPER_THROWS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit)
"""What ``ExceptionTrapper`` lets through by default."""


class ExceptionTrapper:
    """WSGI middleware turning uncaught exceptions into a bare 500 response."""

    def __init__(
        self,
        nextapp: Callable[..., Any],
        throws: tuple[type[BaseException], ...] = _TRAPPER_THROWS,
    ) -> None:
        self.nextapp = nextapp
        self.throws = throws

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve the request, trapping errors."""
        try:
            inner = self.nextapp(environ, start_response)
        except self.throws:
            raise
        except StopIteration:
            raise
        except Exception as exc:
            # Let the trapping response log it and answer with the bare error page.
            return _TrappedResponse(_reraiser(exc), environ, start_response, self.throws)
        return _trapped(inner, self.nextapp, environ, start_response, self.throws)


def _trapped(
    inner: Any,
    nextapp: Callable[..., Any],
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    throws: tuple[type[BaseException], ...],
) -> Any:
    """``inner``, or a response that traps the errors its iteration raises."""
    if getattr(inner, "buffered_body", None) is not None or _is_file_wrapper(inner, environ):
        # Nothing can fail while a list of bytes or a file wrapper is sent: hand the inner
        # response to the server as is (a file wrapper lets it use sendfile).
        return inner
    trapped = _TrappedResponse.__new__(_TrappedResponse)
    trapped.nextapp = nextapp
    trapped.environ = environ
    trapped.start_response = start_response
    trapped.throws = throws
    trapped.started_response = False
    trapped.response = inner
    trapped.iter_response = iter(inner)
    return trapped


def _reraiser(exc: BaseException) -> Callable[..., Any]:
    """A WSGI app that raises ``exc`` again (its traceback keeps the original frames)."""

    def reraise(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raise exc

    return reraise


def _is_file_wrapper(obj: Any, environ: dict[str, Any]) -> bool:
    wrapper = environ.get("wsgi.file_wrapper")
    return isinstance(wrapper, type) and isinstance(obj, wrapper)


class _TrappedResponse:
    response: Any = iter([])

    def __init__(
        self,
        nextapp: Callable[..., Any],
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        throws: tuple[type[BaseException], ...],
    ) -> None:
        self.nextapp = nextapp
        self.environ = environ
        self.start_response = start_response
        self.throws = throws
        self.started_response = False
        self.response = self.trap(self.nextapp, self.environ, self.start_response)
        self.iter_response = iter(self.response)

    def __iter__(self) -> Iterator[bytes]:
        self.started_response = True
        buffered = getattr(self.response, "buffered_body", None)
        if buffered is not None:
            # A finalized, buffered body is a list of bytes: nothing left to trap.
            return iter(buffered)
        return self

    def __next__(self) -> bytes:
        return self.trap(next, self.iter_response)

    def close(self) -> None:
        close = getattr(self.response, "close", None)
        if close is not None:
            close()

    def trap(self, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return func(*args)
        except self.throws:
            raise
        except StopIteration:
            raise
        except Exception:
            tb = format_exc()
            site.log(tb, severity=40)
            request = serving.request
            if request is not None:
                show = getattr(request, "show_tracebacks", False)
            else:
                # The request is already released: fall back to the site-wide setting.
                show = site.config.get("request.show_tracebacks", True)
            if not show:
                tb = ""
            status, headers, body = bare_error(tb)
            if self.started_response:
                self.iter_response = iter([])
            else:
                self.iter_response = iter(body)
            try:
                self.start_response(
                    status.decode("latin-1"),
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
                    sys.exc_info(),
                )
            except Exception:
                site.log(traceback=True, severity=40)
                raise
            if self.started_response:
                return b"".join(body)
            return body


_native_statuses: dict[bytes, str] = {}


def port_number(value: Any) -> int:
    """A port from the environ (``SERVER_PORT``, ``REMOTE_PORT``); -1 when it is no number."""
    return _environ_port(value)


class AppResponse:
    """The WSGI response iterable for one request: runs the kernel, then streams the body."""

    buffered_body: list[bytes] | None = None
    """The body as a list of bytes when it was buffered (not streamed), else None."""
    route: Any = None
    """The path's :class:`~cherrypy.kernel.compiled.CompiledRoute`, when it has one."""

    def __init__(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        cpapp: Any,
        route: Any = None,
        resume: tuple[bool | None, Any] | None = None,
    ) -> None:
        self.cpapp = cpapp
        if route is not None:
            self.route = route
        try:
            self.environ = environ
            if resume is None:
                self.run()
            else:  # a request the lane began (CPWSGIApp.serve_lane) and hands back
                serving.request._resume_route(serving.response, route, *resume)
            response = serving.response
            # (the kernel's own Response keeps the body where ResponseBody reads it)
            body = response._body if response.__class__ is _Response else response.body
            self.body_object = body
            if not response.stream and body.__class__ is list:
                self.buffered_body = body
                self.iter_response = iter(body)
            elif serving.request._observation is not None and not _is_file_wrapper(body, environ):
                self.iter_response = _observe.wrap_body(serving.request, iter(body))
            else:
                self.iter_response = iter(body)
            status = response.output_status
            native_status = _native_statuses.get(status) if status.__class__ is bytes else None
            if native_status is None:
                native_status = status.decode("latin-1")
                if status.__class__ is bytes and len(_native_statuses) < 64:
                    _native_statuses[status] = native_status
            self.write = start_response(native_status, _native_headers(response.header_list))
        except BaseException as exc:
            if _observe.active:
                _observe.escaped(environ, serving.request, exc)
            self.close()
            raise

    def __iter__(self) -> Iterator[bytes]:
        if type(self).__next__ is AppResponse.__next__:
            # Iterating the body's own iterator yields the same items without a Python call
            # per item (and without raising StopIteration through a Python frame).
            return self.iter_response  # type: ignore[no-any-return]
        return self

    def __next__(self) -> bytes:
        return next(self.iter_response)

    def close(self) -> None:
        """Close the request (``on_end_request``) and release the thread's context."""
        iterator = getattr(self, "iter_response", None)
        close = getattr(iterator, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                site.log(traceback=True, severity=40)
        self.cpapp.release_serving()

    def run(self) -> None:
        """Build the request from the environ and run it."""
        env = self.environ
        get = env.get
        cpapp = self.cpapp
        route = self.route
        if (
            route is not None
            and cpapp.request_class is _Request
            and cpapp.response_class is _Response
        ):
            # The request's local and remote hosts are made when first read; the route
            # stands for an ASCII path (so only the query string may need recoding).
            request, response = cpapp._serving_from_environ(
                env, get("wsgi.url_scheme", "http"), get("ACTUAL_SERVER_PROTOCOL", "HTTP/1.1")
            )
            _take_environ_extras(request, get)
            qs = get("QUERY_STRING", "")
            if not qs.isascii():
                qs = self.recode_path_qs(route.full_path, qs)[1]
            request._run_route(
                route,
                response,
                env["REQUEST_METHOD"],
                qs,
                get("SERVER_PROTOCOL", "HTTP/1.0"),
                env,
                get("wsgi.input"),
            )
            return
        ports = _port_numbers
        value = get("SERVER_PORT", 80)
        port = ports.get(value) if value.__class__ is str else None
        local = Host("", _port_number(value) if port is None else port, get("SERVER_NAME", ""))
        value = get("REMOTE_PORT", -1)
        port = ports.get(value) if value.__class__ is str else None
        remote = Host(
            get("REMOTE_ADDR", ""),
            _port_number(value) if port is None else port,
            get("REMOTE_HOST", ""),
        )
        request, _response = cpapp.get_serving(
            local,
            remote,
            get("wsgi.url_scheme", "http"),
            get("ACTUAL_SERVER_PROTOCOL", "HTTP/1.1"),
        )
        # A value the request already has (the class default, as a rule) is not stored
        # again: fewer attributes of its own keep the request in CPython's compact layout.
        value = get("LOGON_USER") or get("REMOTE_USER") or None
        if request.login is not value:
            request.login = value
        value = get("wsgi.multithread", True)
        if request.multithread is not value:
            request.multithread = value
        value = get("wsgi.multiprocess", False)
        if request.multiprocess is not value:
            request.multiprocess = value
        request.wsgi_environ = env
        value = get("cherrypy.previous_request")
        if request.prev is not value:
            request.prev = value
        script_name = get("SCRIPT_NAME", "")
        path = get("PATH_INFO", "")
        if script_name or "//" in path or not path:
            path = urljoin(script_name, path)
        qs = get("QUERY_STRING", "")
        if not (path.isascii() and qs.isascii()):
            path, qs = self.recode_path_qs(path, qs)
        if route is None:
            request.run(
                env["REQUEST_METHOD"],
                path,
                qs,
                get("SERVER_PROTOCOL", "HTTP/1.0"),
                self.translate_headers(env),
                get("wsgi.input"),
            )
        else:
            request._run_route(
                route,
                _response,
                env["REQUEST_METHOD"],
                qs,
                get("SERVER_PROTOCOL", "HTTP/1.0"),
                env,
                get("wsgi.input"),
            )

    def recode_path_qs(self, path: str, qs: str) -> tuple[str, str]:
        """Re-decode the latin-1 WSGI path and query string with ``request.uri_encoding``.

        ASCII needs no recoding; otherwise a path that does not decode is passed through.
        """
        env = self.environ
        old = env.get("wsgi.url_encoding", "ISO-8859-1")
        new = self.cpapp.find_config(env.get("PATH_INFO", ""), "request.uri_encoding", "utf-8")
        if new.lower() == old.lower() or (path.isascii() and qs.isascii()):
            return path, qs
        try:
            return path.encode(old).decode(new), qs.encode(old).decode(new)
        except (UnicodeEncodeError, UnicodeDecodeError, LookupError):
            return path, qs

    @staticmethod
    def translate_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
        """Turn CGI-style environ keys back into (header name, value) pairs."""
        headers = [(name, environ[key]) for key, name, _title in _plan_of(environ)]
        if not environ.get("CONTENT_LENGTH", True):
            # An empty CONTENT_LENGTH means no length given (PEP 3333): no header for it.
            headers = [pair for pair in headers if pair[0] != "Content-Length" or pair[1]]
        return headers


_native_cache: dict[tuple[bytes, bytes], tuple[str, str]] = {}
_VOLATILE_NAMES = frozenset({_observe.STORED_HEADER_NAME.encode("ascii")})
"""Response headers whose value changes with every response: never cached."""


_native_of_item: dict[tuple[str, str], tuple[str, str]] = {}
"""(header name, str value) of a response's headers -> the native pair the server gets, for
the pairs :func:`~cherrypy.kernel.response._output` accepted before (the lane's look-up)."""
_native_lengths: dict[int, tuple[str, str]] = {}
"""Content-Length (an exact int) -> its native pair."""


def _native_for_lane(response: Any, headers: Any, length: int) -> list[tuple[str, str]]:
    """The native headers of a response the lane finalized, whose headers (ending with its
    ``Content-Length``, ``length``) are not all in :data:`_native_of_item` yet: encoded and
    checked as ``finalize`` does (``response.header_list``), then remembered."""
    header_list = response.header_list = _output_with_length(headers, length)
    native = _native_headers(header_list)
    if _observe.STORED_HEADER_NAME in headers:
        return native  # a value made for this response (and sent last): nothing to keep
    if len(_native_of_item) >= 512:
        _native_of_item.clear()
    for item, pair in zip(dict.items(headers), native, strict=True):
        if item[1].__class__ is str and item[0].__class__ is str:
            _native_of_item[item] = pair
    if len(_native_lengths) >= 512:
        _native_lengths.clear()
    _native_lengths[length] = native[-1]
    return native


def _native_headers(header_list: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """The response headers as PEP 3333 native strings (latin-1), with a cache for the
    pairs every response repeats (Server, Content-Type, ...)."""
    cache = _native_cache
    get = cache.get
    try:
        found = list(map(get, header_list))  # no Python frame per pair
    except TypeError:
        pass  # an unhashable entry: the loop below says what is wrong with it
    else:
        if None not in found:
            return found  # type: ignore[return-value]
        index = found.index(None)
        pair = header_list[index]
        if (
            len(pair) == 2
            and pair[0] in _VOLATILE_NAMES
            and pair[1].__class__ is bytes
            and found.count(None) == 1
        ):
            name, value = pair
            # Only the request id is new: decode it alone, and send it last (the server
            # then finds the head of the other headers in its cache).
            del found[index]
            found.append((name.decode("latin-1"), value.decode("latin-1")))
            return found  # type: ignore[return-value]
    # A pair not seen yet, a volatile one (X-Request-ID) or a malformed one: the loop below
    # encodes and checks.
    out = []
    for pair in header_list:
        native = cache.get(pair)
        if native is None:
            try:
                native = (pair[0].decode("latin-1"), pair[1].decode("latin-1"))
            except AttributeError:
                raise TypeError(_not_bytes_message(pair)) from None
            if pair[0] in _VOLATILE_NAMES:
                out.append(native)  # a value made for this response only
                continue
            if len(cache) >= 256:
                cache.clear()  # values that keep changing (lengths) must not crowd out the rest
            cache[pair] = native
        out.append(native)
    return out


def _not_bytes_message(pair: Any) -> str:
    """Which half of a malformed ``header_list`` entry is not bytes (as CherryPy words it)."""
    name, value = pair
    if not isinstance(name, bytes):
        return f"response.header_list key {name!r} is not a byte string."
    return f"response.header_list value {value!r} is not a byte string."


class CPWSGIApp:
    """The WSGI callable of an application: middleware (``wsgi.pipeline``) around the kernel."""

    pipeline: list[tuple[str, Callable[..., Any]]] = [
        ("ExceptionTrapper", ExceptionTrapper),
        ("InternalRedirector", InternalRedirector),
    ]
    head: Callable[..., Any] | None = None
    plain = False
    """Whether the pipeline is the default one, which :meth:`serve_route` stands in for
    (worked out with ``head``)."""
    config: dict[str, dict[str, Any]] = {}
    response_class = AppResponse

    def __init__(
        self, cpapp: Any, pipeline: list[tuple[str, Callable[..., Any]]] | None = None
    ) -> None:
        self.cpapp = cpapp
        self.routes: dict[str, Any] = {}
        """PATH_INFO -> its :class:`~cherrypy.kernel.compiled.CompiledRoute` (bounded)."""
        self.unroutable: dict[str, tuple[int, int]] = {}
        """PATH_INFO -> the generations under which it can have no route (bounded)."""
        self.pipeline = self.pipeline[:]
        if pipeline:
            self.pipeline.extend(pipeline)
        self.config = self.config.copy()

    def tail(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The innermost WSGI app: run the CherryPy request.

        When the body is the server's ``wsgi.file_wrapper`` (static files), that object is
        returned itself so the server can send it with ``sendfile``; closing it also closes
        the request.
        """
        try:
            response = self.response_class(environ, start_response, self.cpapp)
        finally:
            if self.plain:
                # The dispatcher's walk of the path is cached now (whatever the handler did):
                # compile the route.
                self._learn(environ)
        return self._sendable(response, environ)

    def _learn(self, environ: dict[str, Any]) -> None:
        """Compile the route of the path just served, unless it is known to have none."""
        path = environ.get("PATH_INFO", "")
        unroutable = self.unroutable
        now = generations()
        if unroutable.get(path) == now:
            return
        try:
            route = compile_route(self.cpapp, path, environ.get("SCRIPT_NAME", ""))
        except Exception:  # a config the general path copes with: no route, no harm
            route = NEVER
        if route is NEVER:
            if len(unroutable) >= MAX_ROUTES:
                unroutable.clear()
            unroutable[path] = now
        elif route is not None:
            routes = self.routes
            if len(routes) >= MAX_ROUTES:
                routes.clear()
            routes[path] = route

    def _sendable(self, response: Any, environ: dict[str, Any]) -> Any:
        """What the tail hands back for ``response``: itself, or the server's file wrapper
        (whose ``close`` then closes the request too)."""
        if getattr(response, "buffered_body", None) is not None:
            return response  # a list of bytes: not the server's file wrapper
        body = getattr(response, "body_object", None)
        if body is not None and _is_file_wrapper(body, environ):
            inner_close = getattr(body, "close", None)

            def close() -> None:
                try:
                    if inner_close is not None:
                        inner_close()
                finally:
                    self.cpapp.release_serving()

            try:
                body.close = close
            except AttributeError:
                return response
            return body
        return response

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Serve a WSGI request through the middleware pipeline."""
        route = self.routes.get(environ.get("PATH_INFO", ""))
        if (
            route is not None
            and self.plain
            and route.current()
            and environ.get("SCRIPT_NAME", "") == route.script_name
        ):
            if route.lane or route.hooked:
                return self.serve_lane(route, environ, start_response)
            return self.serve_route(route, environ, start_response)
        head = self.head
        if head is None:
            head = self.tail
            for name, callable_ in self.pipeline[::-1]:
                conf = self.config.get(name, {})
                head = callable_(head, **conf)
            self.head = head
            self.plain = (
                self.pipeline == _DEFAULT_PIPELINE
                and not self.config
                and self.response_class is AppResponse
            )
        return head(environ, start_response)

    def serve_route(
        self,
        route: Any,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        resume: tuple[bool | None, Any] | None = None,
    ) -> Any:
        """What the default pipeline (``ExceptionTrapper``, ``InternalRedirector``) and the
        tail do, in one frame, for a path with a
        :class:`~cherrypy.kernel.compiled.CompiledRoute`; with ``resume``, for a request
        :meth:`serve_lane` began (see :meth:`Request._resume_route
        <cherrypy.kernel.request.Request._resume_route>`)."""
        try:
            response = AppResponse(environ, start_response, self.cpapp, route, resume)
        except InternalRedirect as ir:
            redirector = InternalRedirector(self.tail)
            return ExceptionTrapper(partial(redirector.follow, pending=ir))(environ, start_response)
        except _TRAPPER_THROWS:
            raise
        except StopIteration:
            raise
        except Exception as exc:
            return _TrappedResponse(_reraiser(exc), environ, start_response, _TRAPPER_THROWS)
        if response.buffered_body is not None:
            return response  # a list of bytes: nothing can fail while it is sent
        return _trapped(
            self._sendable(response, environ), self.tail, environ, start_response, _TRAPPER_THROWS
        )

    def serve_lane(
        self, route: Any, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Any:
        """:meth:`serve_route` for a route whose pipeline is plain (``route.lane``: no hooks
        on a successful request's way but CherryPy's default ``before_handler`` tools), in
        one frame and without the objects only hooks or a streamed body need.

        It does what the general route path does, in the same order, with the same request
        attributes (the handler objects are made if ``request.handler`` is read), and
        hands the request back to it (:meth:`serve_route` with ``resume``) at the first thing
        it does not do itself: an exception, a result ``tools.encode`` does not encode in
        one step (bytes, a generator, a stream), a hook the handler attached, an unusual
        status.  Requests the lane cannot begin (an engine listener to tell, an observed
        request, an ``X-Request-ID`` to echo, a non-ASCII query string) go to
        :meth:`serve_route` at once.  A buffered body needs nothing at ``close``: the
        request is closed and the thread's context released before the body is returned.

        A route with tools (``route.hooked``: hooks and request attributes) is begun the same
        way, then served by :meth:`Request._serve_resource
        <cherrypy.kernel.request.Request._serve_resource>` (hooks, handler, finalize) here;
        its buffered answer is sent from here too (an :class:`_EndingBody` when
        ``on_end_request`` hooks must run at ``close``), anything else is handed back once
        the resource is served (``resume`` ``(None, None)``).
        """
        engine = site.engine
        listeners = engine.listeners
        cpapp = self.cpapp
        get = environ.get
        method = get("REQUEST_METHOD")
        qs = get("QUERY_STRING", "")
        if (
            method is None
            or _observe.active
            or _observe.request_id_header_wanted
            or listeners.get("before_request")
            or listeners.get("after_request")
            or cpapp.request_class is not _Request
            or cpapp.response_class is not _Response
            or not qs.isascii()
        ):
            return self.serve_route(route, environ, start_response)
        acquirers = listeners.get("acquire_thread")
        if acquirers and not _known_thread(engine, acquirers):
            return self.serve_route(route, environ, start_response)  # acquire_thread to tell
        # Application._serving_from_environ and AppResponse.run
        scheme = get("wsgi.url_scheme", "http")
        if _REQUEST_ATTRS["error_page"] is _ERROR_PAGES and (
            _REQUEST_ATTRS["error_response"] is _ERROR_RESPONSE
        ):
            # What Request.__init__ does with the class defaults, without the call.
            request = _new_object(_Request)
            request.scheme = scheme
            request.server_protocol = get("ACTUAL_SERVER_PROTOCOL", "HTTP/1.1")
        else:
            request = _Request(
                _FROM_ENVIRON, _FROM_ENVIRON, scheme, get("ACTUAL_SERVER_PROTOCOL", "HTTP/1.1")
            )
        request.wsgi_environ = environ
        request.app = cpapp
        response = _Response()
        serving.request = request
        serving.response = response
        try:
            _take_environ_extras(request, get)
            # Request._run_route
            request.stage = "run"
            request.method = method
            if qs:
                request.query_string = qs
            request.params = {}
            req_protocol = get("SERVER_PROTOCOL", "HTTP/1.0")
            protocol = _effective.get((req_protocol, request.server_protocol))
            if protocol is None:
                protocol = _effective_protocol(req_protocol, request.server_protocol)
            if protocol is not _HTTP_11:
                request.protocol = protocol
                if protocol != (1, 1):
                    response.headers.protocol = protocol
            if qs:
                request.request_line = f"{method} {route.full_path}?{qs} {req_protocol}"
            else:
                request.request_line = f"{method} {route.full_path} {req_protocol}"
            request.rfile = get("wsgi.input")
            if route.script_name:
                request.script_name = route.script_name
            request.path_info = route.path
            request.stage = "process_headers"
            host = get("HTTP_HOST")
            if (
                host in _valid_hosts
                and get("HTTP_COOKIE") is None
                and get("CONTENT_LENGTH") is None
            ):
                request._header_source = environ  # Request._read_headers' lazy case
                request.base = f"{scheme}://{host}"
            else:
                try:
                    request._read_headers(environ)
                except BaseException:
                    request.toolmaps = {}  # the path's pipeline is not installed yet
                    request.hooks = dict.__new__(HookMap)
                    raise
            request.stage = "get_resource"
            _pipeline_stats["hits"] += 1
            entry = route.entry
            request._pipeline_entry = entry
            request._shared_config = entry.config
            if route.is_index is not None:
                request.is_index = route.is_index
            request.route = route.route
            args = request.args = route.args
            request.kwargs = {}
            request._body = _PENDING
            request.toolmaps = route.pipeline.toolmaps
            for name, value in route.request_attrs:
                setattr(request, name, value)
            encoded: bytes | None = None
            native: list[Any] | None = None  # the server's headers, when made here
            answered = False  # (a response the lane finished without encoding a result)
            served = False  # (a hooked path's resource served, the rest to the general path)
            ending = False  # (a buffered body whose request ends when the server closes it)
            if route.hooked:
                # A path whose tools attach hooks: what Request._run_route does once the
                # pipeline is installed (the hooks and handler objects made as it makes them,
                # then Request._serve_resource), in this frame.
                request.hooks = route.pipeline.new_hookmap()
                func = route.func
                request.handler = (
                    LateParamPageHandler(func, *args) if func is not None else NotFound()
                )
                request._serve_resource(response, route)
                hooks = request.hooks  # (a hook may have replaced the map)
                if (
                    hooks.__class__ is not HookMap
                    or dict.get(hooks, "on_end_resource")
                    or response.stream
                    or response._body.__class__ is not list
                ):
                    # What follows needs the general path: its on_end_resource hooks, or a
                    # body sent as it is produced.
                    served = True
                else:
                    request.stage = "on_end_resource"
                    answered = True
                    # on_end_request hooks (a session's) run when the server closes the body
                    ending = bool(dict.get(hooks, "on_end_request"))
                result = None
            else:
                request._lane_route = route  # request.handler is made from it if read
                # (the hooks are made if read: request.hooks)
                if qs:
                    request.stage = "process_query_string"
                    request.process_query_string()
                if request.process_request_body:
                    if method in request.methods_with_bodies:
                        request.stage = "before_request_body"
                        request.body.process()
                    else:
                        request.process_request_body = False
                request.stage = "handler"
                func = route.func
                if func is not None:
                    try:
                        result = func(*args, **request.params)
                    except TypeError as exc:
                        raise handler_type_error(func, args, request.params, exc) from None
                elif (
                    request.show_tracebacks
                    or request._lane_hooks is not None
                    or request.__dict__.get("error_page")
                    or _REQUEST_ATTRS["error_page"] is not _ERROR_PAGES
                    or _ERROR_PAGES.shared
                ):
                    raise NotFound()  # the path's handler: what the general path makes of it
                else:
                    # What the general path does with that NotFound (Request._respond_with) when
                    # the default page without a traceback answers it and no hook is attached:
                    # the error written into the response, then finalize.
                    NotFound(route.full_path).set_response()
                    request.stage = "before_finalize (HTTPError)"
                    request._finalize(response)
                    request.stage = "on_end_resource"
                    answered = True
                    result = None
                # tools.encode's one-step case (ResponseEncoder._encode_plain_html)
                encoder = route.plain_before_handler[1].callback  # ResponseEncoder
                headers = response.headers
                content_type = dict.get(headers, "Content-Type")
                result_class = result.__class__
                if (
                    (result_class is str or result_class is bytes)
                    and result
                    and request._lane_hooks is None  # (read: a hook point may have a hook now)
                    and encoder.encoding is None
                    and encoder.add_charset
                    and not response.stream
                    and content_type.__class__ is str
                    and content_type
                ):
                    charset = encoder.default_encoding
                    known = _plain_types.get((content_type, charset))
                    if known is None:
                        known = _plain_type(content_type, charset)
                    is_text, with_charset = known
                    if encoder.text_only and not is_text:
                        # tools.encode leaves a body of a non-text type alone (a str one is
                        # handed back: it cannot be sent as it is); a length the handler set
                        # is kept by the general path.
                        if result_class is bytes and not dict.__contains__(
                            headers, "Content-Length"
                        ):
                            encoded = result
                            with_charset = None
                    else:
                        source = request._header_source
                        if not (
                            source.get("HTTP_ACCEPT_CHARSET")
                            if source is not None
                            else dict.get(request.headers, "Accept-Charset")
                        ):
                            if with_charset is None:
                                with_charset = _with_charset(content_type, charset)
                            if result_class is bytes:
                                encoded = result  # (tools.encode adds the charset, encodes nothing)
                            else:
                                try:
                                    encoded = result.encode(charset, encoder.errors)
                                except (LookupError, UnicodeError):
                                    pass
                if encoded is not None:
                    dict.pop(headers, "Content-Length", None)
                    if with_charset is not None:
                        dict.__setitem__(headers, "Content-Type", with_charset)
                    response._body = [encoded]
                    # Response.finalize
                    request.stage = "before_finalize"
                    status = response.status
                    entry = (
                        _statuses.get(status) if status.__class__ in _CACHED_STATUS_TYPES else None
                    )
                    if (
                        entry is None
                        or response._has_cookie_state
                        or entry[0] < 200
                        or entry[0] in (204, 205, 304)
                    ):
                        request._finalize(response)
                    else:
                        _code, response.status, response.output_status = entry
                        length = len(encoded)
                        # The server's native headers straight from the headers' items, for the
                        # pairs seen (and checked) before; response.header_list is made if read.
                        try:
                            native = list(map(_native_of_item.get, dict.items(headers)))
                        except TypeError:  # an unhashable value
                            native = [None]
                        native.append(_native_lengths.get(length))
                        dict.__setitem__(headers, "Content-Length", length)
                        if None in native:
                            native = _native_for_lane(response, headers, length)
                    request.stage = "on_end_resource"
        except BaseException as exc:
            return self.serve_route(route, environ, start_response, (False, [exc]))
        if served:
            return self.serve_route(route, environ, start_response, (None, None))
        if encoded is None and not answered:
            return self.serve_route(route, environ, start_response, (True, result))
        # Request._run_done
        if method == "HEAD":
            response.body = []
        log = cpapp.log  # (what site.log.access() finds for the request)
        try:
            (site.log if log is None else log).access()
        except Exception:
            site.log.error(traceback=True)
        # AppResponse
        body = response._body
        status = response.output_status
        native_status = _native_statuses.get(status) if status.__class__ is bytes else None
        if native_status is None:
            native_status = status.decode("latin-1")
            if status.__class__ is bytes and len(_native_statuses) < 64:
                _native_statuses[status] = native_status
        if native is None:
            native = _native_headers(response.header_list)  # type: ignore[arg-type]
        try:
            start_response(native_status, native)
        except _TRAPPER_THROWS:
            cpapp.release_serving()
            raise
        except StopIteration:
            cpapp.release_serving()
            raise
        except Exception as exc:
            cpapp.release_serving()
            return _TrappedResponse(_reraiser(exc), environ, start_response, _TRAPPER_THROWS)
        if ending:
            return _EndingBody(body, cpapp)
        # Application.release_serving, with nothing to tell (checked again: the handler may
        # have subscribed) and no on_end_request hook (the handler attached none).
        if listeners.get("after_request"):
            cpapp.release_serving()
        else:
            request.closed = True
            request.stage = "close"
            serving.clear()
        return body

    def namespace_handler(self, k: str, v: Any) -> None:
        """Config handler for the ``wsgi`` namespace (``wsgi.pipeline``, ``wsgi.<name>.<arg>``)."""
        if k == "pipeline":
            self.pipeline.extend(v)
        elif k == "response_class":
            self.response_class = v
        else:
            name, arg = k.split(".", 1)
            self.config.setdefault(name, {})[arg] = v
        self.head = None
        self.plain = False


class _EndingBody:
    """The buffered body of a request the lane served whose ``on_end_request`` hooks (a
    session's lock release, say) must run once the server has sent it: :meth:`close` ends
    the request there, as :meth:`AppResponse.close` does.

    Not a list (a list subclass would do): granian sends a list without calling its
    ``close``, against PEP 3333, and the hooks would never run.
    """

    __slots__ = ("_body", "_cpapp")

    def __init__(self, body: list[bytes], cpapp: Any) -> None:
        self._body = body
        self._cpapp = cpapp

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        """End the request (``on_end_request``) and release the thread's context, once."""
        cpapp = self._cpapp
        if cpapp is not None:
            self._cpapp = None
            cpapp.release_serving()


_DEFAULT_PIPELINE = list(CPWSGIApp.pipeline)
"""The middleware :meth:`CPWSGIApp.serve_route` stands in for."""
