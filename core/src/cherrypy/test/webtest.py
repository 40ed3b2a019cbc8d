"""``cherrypy.test.webtest``: a :class:`unittest.TestCase` that talks HTTP to a live server.

:class:`WebCase` sends requests with :meth:`WebCase.getPage` and keeps the last response in
``self.status`` (``"200 OK"``), ``self.headers`` (a list of ``(name, value)`` pairs) and
``self.body`` (bytes); its ``assert*`` methods check them.  :func:`openURL` is the underlying
one-shot client, retried while the server is not yet accepting connections.

This is the API of CherryPy's ``cherrypy.test.webtest`` (itself cheroot's ``webtest``), so test
modules written against CherryPy 18 run unchanged.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import pprint
import re
import sys
import time
import traceback
import unittest
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "ServerError",
    "WebCase",
    "cleanHeaders",
    "getchar",
    "ignore_all",
    "ignored_exceptions",
    "interface",
    "methods_with_bodies",
    "openURL",
    "server_error",
    "shb",
    "strip_netloc",
]

HeaderList = list[tuple[str, str]]

methods_with_bodies = ("POST", "PUT", "PATCH")
"""Methods for which :func:`cleanHeaders` adds a default Content-Type and Content-Length."""

ignored_exceptions: list[type[BaseException]] = []
"""Exception types that :func:`server_error` lets the framework handle as usual."""

ignore_all = False
"""When true, :func:`server_error` ignores every exception (for multi-threaded servers)."""


def interface(host: str) -> str:
    """The address a client should connect to for a server listening on ``host``.

    The wildcard addresses map to the loopback address of the same family.
    """
    if host == "0.0.0.0":
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def getchar() -> str:
    """Read one key press from the terminal, without echo and without waiting for Enter."""
    try:
        import msvcrt  # type: ignore[import-not-found]
    except ImportError:
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setraw(fd)
            return sys.stdin.read(1)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    key = msvcrt.getch()  # type: ignore[attr-defined]
    return key.decode("ascii", "replace") if isinstance(key, bytes) else key


class _EnvInteractive:
    """``WebCase.interactive``: the ``WEBTEST_INTERACTIVE`` setting, overridable per instance."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = os.environ.get("WEBTEST_INTERACTIVE", "false").strip().lower()
        return value in ("1", "true", "yes", "on")


class ServerError(Exception):
    """Raised by :meth:`WebCase.getPage` when :func:`server_error` saw an error on the server."""

    on = False


def server_error(exc: Any = None) -> bool:
    """Report a server-side error to the test running in this process.

    Call it from the framework's error handler with ``sys.exc_info()`` (the default).  It
    prints the traceback and makes the pending :meth:`WebCase.getPage` raise
    :class:`ServerError`.  Returns False (and does nothing) for ignored exceptions.
    """
    if exc is None:
        exc = sys.exc_info()
    if ignore_all or exc[0] in ignored_exceptions:
        return False
    ServerError.on = True
    print()
    print("".join(traceback.format_exception(*exc)))
    return True


def cleanHeaders(
    headers: HeaderList | None, method: str, body: Any, host: str, port: int
) -> HeaderList:
    """Return ``headers`` with the headers every request needs added when missing.

    ``Host`` always; for POST, PUT and PATCH without a Content-Type, a form Content-Type and
    the body's Content-Length.
    """
    if headers is None:
        headers = []
    names = {name.lower() for name, _ in headers}
    if "host" not in names:
        headers.append(("Host", host if port == 80 else f"{host}:{port}"))
    if method in methods_with_bodies and "content-type" not in names:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        headers.append(("Content-Length", str(len(body or ""))))
    return headers


def shb(response: http.client.HTTPResponse) -> tuple[str, HeaderList, bytes]:
    """``(status line, headers, body)`` of ``response``, reading the whole body."""
    return f"{response.status} {response.reason}", response.getheaders(), response.read()


def strip_netloc(url: str) -> str:
    """The server-absolute part of ``url``: path, params and query, without scheme or host."""
    parts = urllib.parse.urlparse(url)
    return urllib.parse.urlunparse(("", "", parts.path, parts.params, parts.query, ""))


def _open_url_once(
    url: str | bytes,
    headers: HeaderList | None = None,
    method: str = "GET",
    body: bytes | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    http_conn: Any = http.client.HTTPConnection,
    protocol: str = "HTTP/1.1",
    ssl_context: Any = None,
) -> tuple[str, HeaderList, bytes]:
    headers = cleanHeaders(headers, method, body, host, port)
    # http_conn is either a connection class or an open (persistent) connection.
    owns_connection = not hasattr(http_conn, "host")
    if owns_connection:
        extra = {"context": ssl_context} if ssl_context else {}
        conn = http_conn(interface(host), port, **extra)
    else:
        conn = http_conn
    conn._http_vsn_str = protocol
    conn._http_vsn = int("".join(ch for ch in protocol if ch.isdigit()))
    if isinstance(url, bytes):
        url = url.decode()
    conn.putrequest(method.upper(), url, skip_host=True, skip_accept_encoding=True)
    for name, value in headers:
        conn.putheader(name, value.encode("latin-1"))
    conn.endheaders()
    if body is not None:
        conn.send(body)
    response = conn.getresponse()
    result = shb(response)
    if owns_connection:
        conn.close()
    return result


def openURL(
    *args: Any,
    raise_subcls: type[BaseException] | tuple[type[BaseException], ...] = (),
    **kwargs: Any,
) -> tuple[str, HeaderList, bytes]:
    """Send one request and return ``(status, headers, body)``.

    Arguments are ``url, headers=None, method='GET', body=None, host='127.0.0.1',
    port=8000, http_conn=HTTPConnection, protocol='HTTP/1.1', ssl_context=None``.  A socket
    error is retried up to 9 times, half a second apart, unless it is an instance of
    ``raise_subcls``.
    """
    attempts = 10
    for attempt in range(attempts):
        try:
            return _open_url_once(*args, **kwargs)
        except OSError as exc:
            if (raise_subcls and isinstance(exc, raise_subcls)) or attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


class WebCase(unittest.TestCase):
    """A test case that requests pages from a live HTTP server and checks the responses.

    ``HOST`` and ``PORT`` say where the server is; ``HTTP_CONN`` is the connection class or,
    after :meth:`set_persistent`, one open connection reused for every request.
    """

    HOST = "127.0.0.1"
    PORT = 8000
    HTTP_CONN: Any = http.client.HTTPConnection
    PROTOCOL = "HTTP/1.1"

    scheme = "http"
    url: Any = None
    ssl_context: Any = None

    status: Any = None
    headers: Any = None
    body: Any = None
    cookies: Any = None

    encoding = "utf-8"
    time: float | None = None
    console_height = 30

    interactive: Any = _EnvInteractive()
    """Whether a failed assertion prompts on the terminal; ``WEBTEST_INTERACTIVE`` (off)."""

    @property
    def _Conn(self) -> type[http.client.HTTPConnection]:
        """``HTTPConnection`` or ``HTTPSConnection``, after ``self.scheme``."""
        return getattr(http.client, f"{self.scheme.upper()}Connection")  # type: ignore[no-any-return]

    def get_conn(self, auto_open: bool = False) -> http.client.HTTPConnection:
        """Open a new connection to the server under test."""
        conn = self._Conn(self.interface(), self.PORT)
        conn.auto_open = auto_open  # type: ignore[attr-defined]
        conn.connect()
        return conn

    def set_persistent(self, on: bool = True, auto_open: bool = False) -> None:
        """Reuse one connection for the following requests (``on``), or a new one each time.

        Any persistent connection already open is closed first.
        """
        with contextlib.suppress(TypeError, AttributeError):
            self.HTTP_CONN.close()
        self.HTTP_CONN = self.get_conn(auto_open=auto_open) if on else self._Conn

    @property
    def persistent(self) -> bool:
        """Whether requests go over one persistent connection."""
        return not isinstance(self.HTTP_CONN, type)

    @persistent.setter
    def persistent(self, on: bool) -> None:
        self.set_persistent(on)

    def interface(self) -> str:
        """The address to connect to (loopback when the server listens everywhere)."""
        return interface(self.HOST)

    def getPage(
        self,
        url: str | bytes,
        headers: HeaderList | None = None,
        method: str = "GET",
        body: str | bytes | None = None,
        protocol: str | None = None,
        raise_subcls: Any = (),
    ) -> tuple[str, HeaderList, bytes]:
        """Request ``url`` (a server-absolute path with query) and remember the response.

        Sets ``self.status``, ``self.headers``, ``self.body``, ``self.time`` and
        ``self.cookies`` (the response's Set-Cookie values as request ``Cookie`` headers) and
        returns ``(status, headers, body)``.
        """
        ServerError.on = False
        if isinstance(url, str):
            url = url.encode("utf-8")
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.url = url
        self.time = None
        started = time.time()
        result = openURL(
            url,
            headers,
            method,
            body,
            self.HOST,
            self.PORT,
            self.HTTP_CONN,
            protocol or self.PROTOCOL,
            raise_subcls=raise_subcls or (),
            ssl_context=self.ssl_context,
        )
        self.time = time.time() - started
        self.status, self.headers, self.body = result
        self.cookies = [
            ("Cookie", value) for name, value in self.headers if name.lower() == "set-cookie"
        ]
        if ServerError.on:
            raise ServerError
        return result

    # -- failures ---------------------------------------------------------------------

    def _handlewebError(self, msg: str) -> None:
        """Fail with ``msg``; in interactive mode, first let the user inspect the response."""
        print()
        print(f"    ERROR: {msg}")
        if not self.interactive or not sys.stdin.isatty():
            raise self.failureException(msg)
        _InteractivePrompt(self).run(msg)

    @property
    def status_code(self) -> int:
        """The status code of the last response, as an int."""
        return int(self.status[:3])

    def status_matches(self, expected: int | str) -> bool:
        """Whether the last status is ``expected`` (an int code or a full status string)."""
        actual = self.status_code if isinstance(expected, int) else self.status
        return bool(expected == actual)

    # -- assertions -------------------------------------------------------------------

    def assertStatus(self, status: Any, msg: str | None = None) -> None:
        """Fail unless the status is ``status``: a code, a status line, or several of them."""
        candidates = [status] if isinstance(status, (int, str)) else list(status)
        if any(self.status_matches(candidate) for candidate in candidates):
            return
        self._handlewebError(msg or f"Status {self.status} does not match {status}")

    def assertHeader(self, key: str, value: Any = None, msg: str | None = None) -> str | None:
        """Fail unless a header ``key`` (with ``value``, if given) was sent; return its value."""
        wanted = key.lower()
        for name, actual in self.headers:
            if name.lower() == wanted and (value is None or str(value) == actual):
                return actual  # type: ignore[no-any-return]
        if msg is None:
            msg = (
                f"{key!r} not in headers" if value is None else f"{key!r}:{value!r} not in headers"
            )
        self._handlewebError(msg)
        return None

    def assertHeaderIn(self, key: str, values: Iterable[Any], msg: str | None = None) -> Any:
        """Fail unless header ``key`` has one of ``values``; return the matching values."""
        wanted = key.lower()
        values = list(values)
        for name, actual in self.headers:
            if name.lower() == wanted:
                matches = [value for value in values if str(value) == actual]
                if matches:
                    return matches
        self._handlewebError(msg or f"{key!r} not in {values!r}")
        return None

    def assertHeaderItemValue(self, key: str, value: str, msg: str | None = None) -> Any:
        """Fail unless ``value`` is one of the comma-separated items of header ``key``."""
        actual = self.assertHeader(key, msg=msg)
        items = [item.strip() for item in (actual or "").split(",")]
        if value in items:
            return value
        self._handlewebError(msg or f"{value!r} not in {items!r}")
        return None

    def assertNoHeader(self, key: str, msg: str | None = None) -> None:
        """Fail if a header ``key`` was sent."""
        wanted = key.lower()
        if any(name.lower() == wanted for name, _ in self.headers):
            self._handlewebError(msg or f"{key!r} in headers")

    def assertNoHeaderItemValue(self, key: str, value: str, msg: str | None = None) -> None:
        """Fail if header ``key`` was sent with exactly ``value``."""
        wanted = key.lower()
        if any(name.lower() == wanted and actual == value for name, actual in self.headers):
            self._handlewebError(msg or f"{key!r}:{value!r} in {self.headers!r}")

    def _as_bytes(self, value: str | bytes) -> bytes:
        return value.encode(self.encoding) if isinstance(value, str) else value

    def assertBody(self, value: str | bytes, msg: str | None = None) -> None:
        """Fail unless the body is exactly ``value`` (str is encoded with ``self.encoding``)."""
        value = self._as_bytes(value)
        if value != self.body:
            self._handlewebError(msg or f"expected body:\n{value!r}\n\nactual body:\n{self.body!r}")

    def assertInBody(self, value: str | bytes, msg: str | None = None) -> None:
        """Fail unless ``value`` occurs in the body."""
        value = self._as_bytes(value)
        if value not in self.body:
            self._handlewebError(msg or f"{value!r} not in body: {self.body!r}")

    def assertNotInBody(self, value: str | bytes, msg: str | None = None) -> None:
        """Fail if ``value`` occurs in the body."""
        value = self._as_bytes(value)
        if value in self.body:
            self._handlewebError(msg or f"{value!r} found in body")

    def assertMatchesBody(
        self, pattern: str | bytes, msg: str | None = None, flags: int = 0
    ) -> None:
        """Fail unless the regular expression ``pattern`` matches somewhere in the body."""
        pattern = self._as_bytes(pattern)
        if re.search(pattern, self.body, flags) is None:
            self._handlewebError(msg or f"No match for {pattern!r} in body")


class _InteractivePrompt:
    """The console a failed assertion opens when ``interactive`` is on and stdin is a tty."""

    PROMPT = "    Show: [B]ody [H]eaders [S]tatus [U]RL; [I]gnore, [R]aise, or sys.e[X]it >> "

    def __init__(self, case: WebCase) -> None:
        self.case = case
        self.actions: dict[str, Callable[[], None]] = {
            "B": self.show_body,
            "H": lambda: pprint.pprint(case.headers),
            "S": lambda: print(case.status),
            "U": lambda: print(case.url),
        }

    def run(self, msg: str) -> None:
        """Loop on key presses until the user ignores, raises or exits."""
        while True:
            sys.stdout.write(self.PROMPT)
            sys.stdout.flush()
            key = getchar().upper()
            print(key)
            if key == "I":
                return
            if key == "R":
                raise self.case.failureException(msg)
            if key == "X":
                sys.exit()
            action = self.actions.get(key)
            if action is not None:
                action()

    def show_body(self) -> None:
        """Page the body on the console (``q`` at a pause stops)."""
        body = self.case.body or b""
        for number, line in enumerate(body.splitlines(), 1):
            if number % self.case.console_height == 0:
                sys.stdout.write("<-- More -->\r")
                key = getchar().lower()
                sys.stdout.write("            \r")
                if key == "q":
                    break
            print(line)
