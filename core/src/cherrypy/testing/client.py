"""``cherrypy.testing.Client``: requests through the whole kernel pipeline, no socket.

The client builds the WSGI environ a server would build and calls ``cherrypy.tree`` (or an
unmounted application) directly, so tools, dispatchers, sessions, static files, auth and
error pages all run as they do over HTTP.  Used as a context manager it also starts
``cherrypy.engine`` (without its HTTP server) and exits it afterwards, so the engine's start
and stop subscribers run too.
"""

from __future__ import annotations

import email.message
import http.cookiejar
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

from .auth import BasicAuth, DigestAuth
from .engine import engine_without_server
from .wire import Files, Params, RequestInfo, Response, build_environ, encode_body, encode_query

__all__ = ["Client"]

Auth = tuple[str, str] | BasicAuth | DigestAuth | None

_MAX_REDIRECTS = 30
_NO_BODY_FOR_GET = (301, 302, 303)


class _HeadersOnly:
    """What :class:`http.cookiejar.CookieJar` reads from a response: ``info()``."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._message = email.message.Message()
        for name, value in pairs:
            self._message[name] = value

    def info(self) -> email.message.Message:
        return self._message


def _is_application(obj: Any) -> bool:
    from cherrypy.kernel.tree import Application

    return isinstance(obj, Application)


def _is_mounted(app: Any) -> bool:
    """Whether the Application ``app`` is the one ``cherrypy.tree`` serves at its script name."""
    import cherrypy

    return bool(cherrypy.tree.apps.get(app.script_name) is app)


def _is_floating(app: Any) -> bool:
    """Whether ``app`` is an Application whose script_name comes from each request's environ."""
    if not _is_application(app):
        return False
    try:
        app.script_name  # noqa: B018 - raises outside a request when it is None
    except AttributeError:
        return True
    return False


class Client:
    """An in-process HTTP client for a CherryPy application.

    ``app_or_root`` is a root object (mounted at ``script_name`` with ``config``, an
    application config with path sections), an :class:`~cherrypy.Application` (mounted if it
    is not yet), or None: whatever ``cherrypy.tree`` already serves (with ``config``, merged
    into the application at ``script_name``, or mounted there with no root, as for the
    ``RoutesDispatcher``).  Paths given to
    :meth:`get` and friends are below ``script_name``; absolute URLs are taken as they are.

    Cookies the application sets are kept in :attr:`cookies` (an
    :class:`http.cookiejar.CookieJar`, honouring Path, Domain, Max-Age and Expires) and sent
    back.  ``follow_redirects`` (default False) follows 301, 302, 303, 307 and 308 as
    browsers do; ``headers`` are sent with every request; ``auth`` is ``(user, password)``
    for Basic or a :class:`DigestAuth`.

    ``with Client(...) as client:`` starts ``cherrypy.engine`` without the HTTP server (no
    socket is bound) and exits it, and unmounts what the client mounted, on exit.
    """

    def __init__(
        self,
        app_or_root: Any = None,
        config: Any = None,
        script_name: str = "",
        *,
        base_url: str = "http://127.0.0.1",
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
        auth: Auth = None,
        environ: Mapping[str, Any] | None = None,
    ) -> None:
        import cherrypy

        self.script_name = script_name.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.headers: dict[str, str] = dict(headers or {})
        self.follow_redirects = follow_redirects
        self.auth = auth
        self.environ: dict[str, Any] = dict(environ or {})
        self.cookies = http.cookiejar.CookieJar()
        self.app: Any = None
        self._mounted: Any = None
        self._stack = ExitStack()
        self._wsgi: Callable[..., Any] = cherrypy.tree
        self._wsgi_script_name = ""
        if app_or_root is None:
            if self.script_name in cherrypy.tree.apps:
                self.app = cherrypy.tree.apps[self.script_name]
                if config:
                    self.app.merge(config)
            elif config:  # no root: e.g. the RoutesDispatcher finds the handlers
                self._mount(None, config)
        elif _is_floating(app_or_root):
            # Takes SCRIPT_NAME from the environ on each request: called directly.
            if config:
                app_or_root.merge(config)
            self.app = app_or_root
            self._wsgi = app_or_root
            self._wsgi_script_name = self.script_name
        elif _is_application(app_or_root) and _is_mounted(app_or_root):
            if config:
                app_or_root.merge(config)
            self.app = app_or_root
            self.script_name = app_or_root.script_name
        else:
            self._mount(app_or_root, config)

    def _mount(self, root: Any, config: Any) -> None:
        import cherrypy

        self.app = self._mounted = cherrypy.tree.mount(root, self.script_name, config)
        self.script_name = self.app.script_name

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> Client:
        self._stack.enter_context(engine_without_server())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Exit the engine if this client started it; unmount what it mounted."""
        import cherrypy

        try:
            self._stack.close()
        finally:
            mounted, self._mounted = self._mounted, None
            if mounted is not None and _is_mounted(mounted):
                del cherrypy.tree.apps[mounted.script_name]

    # -- helpers --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The absolute URL the client requests for ``path``."""
        if urlsplit(path).scheme:
            return path
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + self.script_name + path

    def cookie(self, name: str) -> str | None:
        """The value of the cookie ``name`` the client holds (any path), or None."""
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie.value
        return None

    # -- requests -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        json: Any = None,
        files: Files = None,
        auth: Auth = None,
        follow_redirects: bool | None = None,
        stream: bool = False,
        environ: Mapping[str, Any] | None = None,
    ) -> Response:
        """Send ``method path`` through the application and return its :class:`Response`.

        ``params`` become the query string (added to one already in ``path``); ``data`` is a
        form (a dict or pairs) or a raw body (bytes or str); ``json`` a value sent as JSON;
        ``files`` maps field names to ``(filename, bytes)`` (multipart, with ``data``'s
        fields).  With ``stream=True`` the body is not read: read it with
        :meth:`Response.iter_bytes` or ``body``.  ``environ`` adds WSGI environ keys (e.g.
        ``REMOTE_ADDR``).
        """
        method = method.upper()
        url = self.url(path)
        query = encode_query(params)
        if query:
            url += ("&" if "?" in url else "?") + query
        body, content_type = encode_body(data, json, files)
        sent = dict(self.headers)
        if content_type and not any(k.lower() == "content-type" for k in headers or {}):
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        auth = self.auth if auth is None else auth
        follow = self.follow_redirects if follow_redirects is None else follow_redirects
        extra = {**self.environ, **(environ or {})}

        history: list[Response] = []
        while True:
            response = self._send_authenticated(method, url, sent, body, auth, stream, extra)
            if not (follow and response.is_redirect):
                break
            if len(history) >= _MAX_REDIRECTS:
                raise RuntimeError(f"more than {_MAX_REDIRECTS} redirects, the last to {url}")
            response.close()
            history.append(response)
            url = urljoin(url, response.headers["Location"])
            if response.status_code in _NO_BODY_FOR_GET and (
                (response.status_code == 303 and method != "HEAD") or method == "POST"
            ):
                method, body = "GET", b""
                sent = {
                    k: v
                    for k, v in sent.items()
                    if k.lower() not in ("content-type", "content-length")
                }
        response.history = history
        return response

    def _send_authenticated(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        auth: Auth,
        stream: bool,
        extra: dict[str, Any],
    ) -> Response:
        # Duck-typed: an object with choose() answers challenges (DigestAuth), one with only
        # header() sends credentials up front (BasicAuth).
        credentials: Any = BasicAuth(*auth) if isinstance(auth, tuple) else auth
        answers_challenges = hasattr(credentials, "choose")
        if credentials is not None and not answers_challenges:
            headers = {**headers, "Authorization": credentials.header()}
        response = self._send(method, url, headers, body, stream, extra)
        if not answers_challenges:
            return response
        for _ in range(2):  # the challenge, then once more if the nonce was stale
            if response.status_code != 401:
                break
            challenge = credentials.choose(response.headers.get_all("WWW-Authenticate"))
            if challenge is None:
                break
            response.close()
            parts = urlsplit(url)
            uri = parts.path + ("?" + parts.query if parts.query else "")
            answer = {**headers, "Authorization": credentials.header(challenge, method, uri)}
            response = self._send(method, url, answer, body, stream, extra)
        return response

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        stream: bool,
        extra: dict[str, Any],
    ) -> Response:
        """One request through the WSGI application, cookies included."""
        cookie_request = urllib.request.Request(url, headers=headers, method=method)
        if len(self.cookies):
            self.cookies.add_cookie_header(cookie_request)
            jar_cookie = cookie_request.get_header("Cookie")
            if jar_cookie:
                own = next((v for k, v in headers.items() if k.lower() == "cookie"), None)
                headers = {k: v for k, v in headers.items() if k.lower() != "cookie"}
                headers["Cookie"] = f"{own}; {jar_cookie}" if own else jar_cookie
        environ = build_environ(method, url, headers, body, self._wsgi_script_name, extra)
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            if started and exc_info is None:
                raise AssertionError("start_response called twice without exc_info")
            started[:] = [status, list(response_headers)]
            return written.append

        result = self._wsgi(environ, start_response)
        chunks: Iterator[bytes] = iter(result)
        buffered: list[bytes] = []
        while not started:  # a WSGI app may call start_response at its first chunk
            try:
                buffered.append(next(chunks))
            except StopIteration:
                break
        if not started:
            raise AssertionError("the WSGI application never called start_response")
        status, pairs = started

        def all_chunks() -> Iterator[bytes]:
            yield from written
            yield from buffered
            yield from chunks

        def close() -> None:
            closer = getattr(result, "close", None)
            if closer is not None:
                closer()

        info = RequestInfo(method, url, headers, body)
        response = Response(status, pairs, all_chunks(), close, info)
        if not stream:
            response.body  # noqa: B018 - read now, as a server would, so the request ends
        self.cookies.extract_cookies(_HeadersOnly(pairs), cookie_request)  # type: ignore[arg-type]
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        """``GET path`` (keywords as :meth:`request`)."""
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Response:
        """``HEAD path`` (keywords as :meth:`request`)."""
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Response:
        """``OPTIONS path`` (keywords as :meth:`request`)."""
        return self.request("OPTIONS", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        """``POST path`` (keywords as :meth:`request`)."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        """``PUT path`` (keywords as :meth:`request`)."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        """``PATCH path`` (keywords as :meth:`request`)."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        """``DELETE path`` (keywords as :meth:`request`)."""
        return self.request("DELETE", path, **kwargs)
