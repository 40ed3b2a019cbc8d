"""Exceptions that steer the request: HTTP errors, redirects, internal redirects, error pages."""

from __future__ import annotations

import contextlib
import html
import sys
import traceback as _traceback
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any

from cherrypy.kernel import runtime
from cherrypy.kernel.context import ResponseProxy, serving
from cherrypy.kernel.runtime import VERSION
from cherrypy.kernel.status import valid_status
from cherrypy.kernel.urls import url as _url

_response: Any = ResponseProxy()
"""The current response; outside a request, a default one (as in CherryPy)."""

__all__ = [
    "CherryPyException",
    "HTTPError",
    "HTTPRedirect",
    "InternalRedirect",
    "NotFound",
    "StartupError",
    "TimeoutError",
    "bare_error",
    "clean_headers",
    "format_exc",
    "get_error_page",
]


class CherryPyException(Exception):
    """Base class of the exceptions CherryPy raises to steer a request."""


class StartupError(RuntimeError):
    """``engine.start()`` refused to start: the configuration needs what is not installed.

    Raised before the bus enters STARTING, so nothing (no server) was started.  ``problems``
    holds one line per problem, each naming the config key, the path and the fix; ``str()``
    joins them.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class TimeoutError(CherryPyException):
    """Raised when a request ran longer than ``response.timeout``."""


class InternalRedirect(CherryPyException):
    """Serve another path of the same application without telling the client.

    ``path`` may be relative to the current ``path_info`` and may carry a query string.
    """

    def __init__(self, path: str, query_string: str = "") -> None:
        self.request = serving.request
        self.query_string = query_string
        if "?" in path:
            path, self.query_string = path.split("?", 1)
        current = self.request.path_info if self.request is not None else "/"
        self.path = urllib.parse.urljoin(current, path)
        super().__init__(self.path, self.query_string)


_REDIRECT_LEADS = {
    300: "This resource can be found at ",
    301: "This resource has permanently moved to ",
    302: "This resource resides temporarily at ",
    303: "This resource can be found at ",
    307: "This resource has moved temporarily to ",
    308: "This resource has been moved to ",
}

_NOT_MODIFIED_DROPS = (
    "Allow",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Location",
    "Content-MD5",
    "Content-Range",
    "Content-Type",
    "Expires",
    "Last-Modified",
)


def _as_text(url: Any, encoding: str) -> str:
    if isinstance(url, bytes):
        return url.decode(encoding)
    return str(url)


class _DefaultStatus:
    """Descriptor: 303 for HTTP/1.1 clients, 302 for HTTP/1.0 ones."""

    def __get__(self, obj: Any, owner: Any) -> int:
        req = serving.request
        protocol = getattr(req, "protocol", (1, 1)) if req is not None else (1, 1)
        return 303 if protocol >= (1, 1) else 302


class HTTPRedirect(CherryPyException):
    """Redirect the client to one or more URLs (relative ones are resolved against the request).

    ``status`` defaults to 303 (302 for HTTP/1.0 clients) and must be a 3xx code.
    """

    urls: list[str]
    encoding = "utf-8"
    default_status = _DefaultStatus()

    def __init__(
        self, urls: Any, status: int | str | None = None, encoding: str | None = None
    ) -> None:
        if isinstance(urls, (str, bytes)) or not isinstance(urls, Iterable):
            urls = [urls]
        base = _url()
        enc = encoding or self.encoding
        self.urls = [urllib.parse.urljoin(base, _as_text(u, enc)) for u in urls]
        code = int(status) if status is not None else self.default_status
        if not 300 <= code <= 399:
            raise ValueError("status must be between 300 and 399.")
        super().__init__(self.urls, code)

    @property
    def status(self) -> int:
        """The integer status code of this redirect."""
        return int(self.args[1])

    def set_response(self) -> None:
        """Write this redirect into ``cherrypy.response`` (status, Location, body)."""
        response = _response
        code = self.status
        response.status = code
        headers = response.headers
        if code in _REDIRECT_LEADS:
            for u in self.urls:
                if any(c in u for c in "\r\n\0"):
                    raise ValueError("redirect URL contains a control character")
            headers["Content-Type"] = "text/html;charset=utf-8"
            headers["Location"] = self.urls[0]
            lead = _REDIRECT_LEADS[code]
            lines = [
                f"{lead}<a href={_quoteattr(u)}>{html.escape(u, quote=False)}</a>."
                for u in self.urls
            ]
            response.body = "<br />\n".join(lines).encode("utf-8")
            headers.pop("Content-Length", None)
        elif code == 304:
            for key in _NOT_MODIFIED_DROPS:
                headers.pop(key, None)
            response.body = None
        elif code == 305:
            headers["Location"] = self.urls[0]
            response.body = None
            headers.pop("Content-Length", None)
        else:
            raise ValueError(f"The {code} status code is unknown.")

    def __call__(self) -> None:
        """Raise this redirect (lets an instance stand in as a page handler)."""
        raise self


def _quoteattr(value: str) -> str:
    escaped = html.escape(value, quote=False).replace("\n", "&#10;").replace("\r", "&#13;")
    escaped = escaped.replace("\t", "&#9;")
    if '"' in escaped:
        if "'" in escaped:
            return '"' + escaped.replace('"', "&quot;") + '"'
        return "'" + escaped + "'"
    return '"' + escaped + '"'


_ERROR_DROPS = (
    "Accept-Ranges",
    "Age",
    "ETag",
    "Location",
    "Retry-After",
    "Vary",
    "Content-Encoding",
    "Content-Length",
    "Expires",
    "Content-Location",
    "Content-MD5",
    "Last-Modified",
)


_DROP_TITLES = frozenset(key.title() for key in (*_ERROR_DROPS, "Content-Range"))
_DROP_TITLES_416 = _DROP_TITLES - {"Content-Range"}

TITLE_KEYED: set[type] = set()
"""Header map classes that store names title-cased (``cherrypy.kernel.httputil`` adds its
own): :func:`clean_headers` finds the names to drop among their keys in one pass."""


def _current_response() -> Any:
    """``cherrypy.response`` itself (the thread's idle default when none is served)."""
    response = serving.response
    return _response if response is None else response


def clean_headers(status: int) -> None:
    """Drop response headers that must not survive into an error response."""
    headers: Any = _current_response().headers
    kind: type = headers.__class__
    if kind in TITLE_KEYED:
        drops = _DROP_TITLES if status != 416 else _DROP_TITLES_416
        for key in drops.intersection(dict.keys(headers)):
            dict.pop(headers, key)
        return
    for key in _ERROR_DROPS:
        headers.pop(key, None)
    if status != 416:
        headers.pop("Content-Range", None)


class HTTPError(CherryPyException):
    """Answer the request with an HTTP error status (400-599) and an error page.

    ``status`` may be an int or a string with a reason phrase ("403 Forbidden");
    ``message`` is shown on the error page.
    """

    status: int | str
    code: int
    reason: str

    def __init__(self, status: int | str = 500, message: str | None = None) -> None:
        self.status = status
        try:
            self.code, self.reason, default_message = valid_status(status)
        except ValueError as exc:
            raise self.__class__(500, exc.args[0]) from None
        if not 400 <= self.code <= 599:
            raise ValueError("status must be between 400 and 599.")
        self._message = message or default_message
        super().__init__(status, message)

    def set_response(self) -> None:
        """Write this error into ``cherrypy.response`` (status, cleaned headers, error page)."""
        response = _current_response()
        clean_headers(self.code)
        response.status = self.status
        tb = None
        req = serving.request
        if req is not None and getattr(req, "show_tracebacks", False):
            tb = format_exc()
        response.headers.pop("Content-Length", None)
        response.body = self.get_error_page(self.status, traceback=tb, message=self._message)
        _pad_for_old_browsers(self.code, response)

    def get_error_page(self, *args: Any, **kwargs: Any) -> Any:
        """Render the error page; subclasses may override."""
        return get_error_page(*args, **kwargs)

    def __call__(self) -> None:
        """Raise this error (lets an instance stand in as a page handler)."""
        raise self

    @classmethod
    @contextlib.contextmanager
    def handle(
        cls,
        exception: type[BaseException] | tuple[type[BaseException], ...],
        status: int = 500,
        message: str = "",
    ) -> Iterator[None]:
        """Context manager turning ``exception`` raised in its block into this HTTPError."""
        try:
            yield
        except exception as exc:
            raise cls(status, message or str(exc)) from exc


class NotFound(HTTPError):
    """404: no handler for the requested path."""

    def __init__(self, path: str | None = None) -> None:
        if path is None:
            req = serving.request
            path = req.script_name + req.path_info
        super().__init__(404, f"The path '{path}' was not found.")


_PAGE_TEMPLATE = """<!DOCTYPE html PUBLIC
"-//W3C//DTD XHTML 1.0 Transitional//EN"
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>
    <title>%(status)s</title>
    <style type="text/css">
    #powered_by { margin-top: 20px; border-top: 1px solid #888; font-style: italic; }
    #traceback { color: #b00; }
    </style>
</head>
    <body>
        <h2>%(status)s</h2>
        <p>%(message)s</p>
        <pre id="traceback">%(traceback)s</pre>
    <div id="powered_by">
      <span>
        Powered by <a href="https://cherrypy.dev">CherryPy %(version)s</a>
      </span>
    </div>
    </body>
</html>
"""


def get_error_page(status: int | str, **kwargs: Any) -> Any:
    """Return the error page body (bytes or an iterable of bytes) for ``status``.

    Keyword values (status, message, traceback, version) are HTML-escaped and fill the
    template, a template file named by ``error_page.<code>`` / ``error_page.default``, or are
    passed to a callable configured there.
    """
    try:
        code, reason, message = valid_status(status)
    except ValueError as exc:
        raise HTTPError(500, exc.args[0]) from None
    if kwargs.get("status") is None:
        kwargs["status"] = f"{code} {reason}"
    if kwargs.get("message") is None:
        kwargs["message"] = message
    if kwargs.get("traceback") is None:
        kwargs["traceback"] = ""
    if kwargs.get("version") is None:
        kwargs["version"] = VERSION
    req = serving.request
    pages = getattr(req, "error_page", None) or {}
    custom = pages.get(code) or pages.get(str(code)) or pages.get("default")
    key: tuple[str, str, str] | None = None
    status_text, message_text, version = kwargs["status"], kwargs["message"], kwargs["version"]
    if (
        not custom
        and not kwargs["traceback"]
        and len(kwargs) == 4
        and status_text.__class__ is str
        and message_text.__class__ is str
        and version.__class__ is str
    ):
        # The default page without a traceback: the same status and message give the same
        # page (a client asking for the same missing path again, say), unless a plugin
        # renders error pages.
        key = (status_text, message_text, version)
        known = _default_pages.get(key)
        if known is not None and not _error_page_plugins():
            _current_response().headers["Content-Type"] = "text/html;charset=utf-8"
            return known
    for name, value in list(kwargs.items()):
        kwargs[name] = "" if value is None else html.escape(str(value), quote=False)
    template = _PAGE_TEMPLATE
    if custom:
        try:
            if callable(custom):
                result = custom(**kwargs)
                if isinstance(result, str):
                    return result.encode("utf-8")
                if isinstance(result, bytes):
                    return result
                if hasattr(result, "__next__"):
                    return (c.encode("utf-8") if isinstance(c, str) else c for c in result)
                raise ValueError(
                    "error page function did not return a bytestring, str or an iterator - "
                    f"returned object of type {type(result).__name__}."
                )
            with open(custom, newline="") as fh:
                template = fh.read()
        except Exception:
            last = _traceback.format_exception(*sys.exc_info())[-1]
            extra = kwargs["message"]
            if extra:
                extra += "<br />"
            kwargs["message"] = extra + f"In addition, the custom error page failed:\n<br />{last}"
    else:
        page = _plugin_error_page(kwargs)
        if page is not None:
            _current_response().headers["Content-Type"] = "text/html;charset=utf-8"
            return page
    _current_response().headers["Content-Type"] = "text/html;charset=utf-8"
    try:
        body = template % kwargs
    except (KeyError, ValueError, TypeError):
        body = _PAGE_TEMPLATE % kwargs
    encoded = body.encode("utf-8")
    if key is not None and template is _PAGE_TEMPLATE:
        if len(_default_pages) >= 256:
            _default_pages.clear()  # clients choose the paths: the memory stays bounded
        _default_pages[key] = encoded
    return encoded


_default_pages: dict[tuple[str, str, str], bytes] = {}
"""(status, message, version) -> the default error page without a traceback, as rendered."""


def _error_page_plugins() -> bool:
    """Whether a ``cherrypy_error_page`` plugin is installed."""
    return bool(runtime.boot().has_impls("cherrypy_error_page"))


def _plugin_error_page(kwargs: dict[str, str]) -> bytes | None:
    """Ask a ``cherrypy_error_page`` plugin for the page, if one is installed."""
    if not _error_page_plugins():
        return None
    hooks = runtime.boot()
    page = hooks.error_page(
        kwargs["status"], kwargs["message"], kwargs["traceback"], kwargs["version"]
    )
    if page is None:
        return None
    return page.encode("utf-8") if isinstance(page, str) else page


_PAD_SIZES = {
    400: 512,
    403: 256,
    404: 512,
    405: 256,
    406: 512,
    408: 512,
    409: 512,
    410: 256,
    500: 512,
    501: 512,
    505: 512,
}


def _pad_for_old_browsers(code: int, response: Any = None) -> None:
    """Pad short error bodies so old browsers show them instead of their own page."""
    size = _PAD_SIZES.get(code, 0)
    if not size:
        return
    size += 1
    if response is None:
        response = _current_response()
    content = response.collapse_body()
    if content and len(content) < size:
        content += b" " * (size - len(content))
    response.body = content
    response.headers["Content-Length"] = str(len(content))


def format_exc(exc: Any = None) -> str:
    """Format ``exc`` (default: the exception being handled) as a traceback string."""
    if exc is None:
        exc = sys.exc_info()
    if exc == (None, None, None):
        return ""
    return "".join(_traceback.format_exception(*exc))


def bare_error(
    extrabody: str | bytes | None = None,
) -> tuple[bytes, list[tuple[bytes, bytes]], list[bytes]]:
    """Return a minimal 500 response triple for errors outside the normal error handling."""
    body = b"Unrecoverable error in the server."
    if extrabody is not None:
        if isinstance(extrabody, str):
            extrabody = extrabody.encode("utf-8")
        body += b"\n" + extrabody
    return (
        b"500 Internal Server Error",
        [(b"Content-Type", b"text/plain"), (b"Content-Length", str(len(body)).encode("ascii"))],
        [body],
    )
