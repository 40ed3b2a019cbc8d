"""The WSGI side of a request: environ, ``wsgi.input``, ``start_response`` and response framing.

:func:`serve_request` runs in a worker thread for one request whose head is complete.  It
builds the PEP 3333 environ, calls the application, frames the response (Content-Length
when the length is known, chunked on HTTP/1.1 otherwise, close-delimited as a last resort),
sends files with ``os.sendfile`` when the socket allows it, and tells the caller whether the
connection may carry another request.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from typing import IO, TYPE_CHECKING, Any

from .connection import ClientGone, Connection
from .protocol import ProtocolError, Request, decode_path

if TYPE_CHECKING:
    from .server import HTTPServer

__all__ = [
    "FileWrapper",
    "MaxSizeExceeded",
    "RequestBody",
    "error_response",
    "http_date",
    "serve_request",
]

DRAIN_LIMIT = 1024 * 1024
"""Unread request body bytes the server reads and discards to keep a connection alive."""

_date_cache: tuple[int, str, bytes] = (0, "", b"")


def http_date() -> str:
    """The current time as an HTTP date, recomputed at most once a second."""
    _date_line()
    return _date_cache[1]


def _date_line() -> bytes:
    """The ``Date`` header line for the current second, as bytes."""
    now = int(time.time())
    cache = _date_cache
    if cache[0] != now:
        cache = _new_date(now)
    return cache[2]


def _new_date(now: int) -> tuple[int, str, bytes]:
    global _date_cache
    text = formatdate(now, usegmt=True)
    _date_cache = (now, text, b"Date: " + text.encode("ascii") + b"\r\n")
    return _date_cache


_env_keys: dict[bytes, str] = {
    b"content-type": "CONTENT_TYPE",
    b"content-length": "CONTENT_LENGTH",
}


def _env_key(name: bytes) -> str:
    key = _env_keys.get(name)
    if key is None:
        lower = name.lower()
        key = _env_keys.get(lower)
        if key is None:
            key = "HTTP_" + lower.decode("latin-1").upper().replace("-", "_")
        if len(_env_keys) < 2048:
            _env_keys[name] = key
    return key


class MaxSizeExceeded(ProtocolError):
    """A request body beyond ``max_request_body_size``, found while the application reads it.

    Named like cheroot's exception, which CherryPy's request body reader turns into a
    ``413`` response (``args[1]`` is the limit, as there).
    """

    def __init__(self, error: ProtocolError, limit: int) -> None:
        """Wrap the parser's 413 ``error``; ``limit`` is the body size allowed."""
        super().__init__(error.status, error.reason, error.message)
        self.args = ("Request Entity Too Large", limit)

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


class RequestBody:
    """``wsgi.input``: the request body, read from the socket only as the application asks.

    Reading returns ``b''`` at the end of the body whatever its framing, so applications
    may read to the end without looking at ``CONTENT_LENGTH``.  Reading past
    ``max_request_body_size`` raises :class:`MaxSizeExceeded`, a malformed chunked body
    :class:`~cherrypy_server.protocol.ProtocolError`, a stalled or too slow body
    :class:`~cherrypy_server.connection.BodyTimeout` (the server answers 413, 400 or 408,
    also when the application turns the exception into a 500).
    """

    __slots__ = ("_conn", "_request")

    def __init__(self, conn: Connection, request: Request) -> None:
        """Read the body of ``request`` arriving on ``conn``."""
        self._conn = conn
        self._request = request

    def _more(self) -> None:
        """Wait for more body bytes."""
        try:
            self._conn.read_body(self._request)
        except ProtocolError as exc:
            if exc.status == 413 and not isinstance(exc, MaxSizeExceeded):
                limit = self._conn.server.max_request_body_size
                raise MaxSizeExceeded(exc, limit) from None
            raise

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes (all remaining bytes when ``size`` is negative)."""
        request = self._request
        if size is None or size < 0:
            while not request.complete:
                self._more()
            return request.take(-1)
        while request.buffered < size and not request.complete:
            self._more()
        return request.take(size)

    def readline(self, size: int | None = -1) -> bytes:
        """Return one line including its ``\\n``, or at most ``size`` bytes of it."""
        request = self._request
        limit = -1 if size is None else size
        while True:
            line = request.take_line(limit)
            if line is not None:
                return line
            if request.complete:
                return request.take(-1)
            self._more()

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Return the remaining lines, stopping once ``hint`` bytes were collected."""
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self) -> Iterator[bytes]:
        """Iterate over lines."""
        return self

    def __next__(self) -> bytes:
        """Return the next line or stop at the end of the body."""
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class FileWrapper:
    """``wsgi.file_wrapper``: a file returned as a response body.

    On a plain TCP or UNIX socket the server sends the file with ``os.sendfile`` from its
    current position; elsewhere it iterates over blocks of ``blksize`` bytes.
    """

    def __init__(self, filelike: IO[bytes], blksize: int = 65536) -> None:
        """Wrap ``filelike``; ``blksize`` is the block size used when iterating."""
        self.filelike = filelike
        self.blksize = blksize
        close = getattr(filelike, "close", None)
        if close is not None:
            self.close = close

    def __iter__(self) -> Iterator[bytes]:
        """Iterate over the file in blocks."""
        return self

    def __next__(self) -> bytes:
        """Return the next block or stop at the end of the file."""
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


def error_response(
    server: HTTPServer, status_line: str, message: str, close: bool = True, head: bool = False
) -> bytes:
    """A complete short ``text/plain`` response with ``status_line`` and ``message``."""
    body = message.encode("utf-8")
    lines = [
        f"{server.protocol} {status_line}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        f"Date: {http_date()}",
        f"Server: {server.version}",
    ]
    if close:
        lines.append("Connection: close")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + body


_TOO_MANY_BYTES = "The requested resource returned more bytes than the declared Content-Length."

_heads: dict[tuple[Any, ...], tuple[Any, ...]] = {}
"""Status lines and header lists seen before, checked and serialized (see :func:`_describe`)."""

_HEADS_MAX = 512


_VOLATILE_NAMES = frozenset({"x-request-id"})
"""Response headers (lower case) whose value changes with every response: never part of a
cached head, or each response would miss the cache and crowd the others out of it."""


def _volatile_block(headers: list[tuple[str, str]]) -> bytes:
    """The header lines of ``headers`` (checked like any other) as bytes."""
    text = "".join([f"{name}: {value}\r\n" for name, value in headers])
    newlines = len(headers)
    if text.count("\n") != newlines or text.count("\r") != newlines:
        raise ValueError("WSGI response headers must not contain CR or LF characters")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("WSGI response headers must be latin-1 strings") from None


def _check_start(status: Any, headers: Any) -> None:
    """Raise the error PEP 3333 calls for when ``status`` or ``headers`` are malformed."""
    if type(status) is not str:
        raise TypeError(f"WSGI status must be a str, not {type(status).__name__}")
    if len(status) < 4 or status[3] != " " or not status[:3].isdigit():
        raise ValueError(f"WSGI status must look like '200 OK', not {status!r}")
    for item in headers:
        if type(item) is not tuple or len(item) != 2:
            raise TypeError(f"WSGI headers must be (name, value) tuples, not {item!r}")
        if type(item[0]) is not str or type(item[1]) is not str:
            raise TypeError(f"WSGI header names and values must be str: {item!r}")


def _describe(status: str, headers: list[tuple[str, str]]) -> tuple[Any, ...]:
    """Check and serialize a status and header list once; remember the result.

    Returns ``(code, block, content_length, connection_close, has_date, has_server,
    has_transfer_encoding, error)`` where ``block`` is the status line's tail and the
    headers as bytes, ``content_length`` the application's ``Content-Length`` as an int
    (or None), ``connection_close`` whether its ``Connection`` header says close (None
    without such a header), and ``error`` the message of the ``ValueError`` to raise.
    """
    _check_start(status, headers)
    content_length: int | None = None
    connection: bool | None = None
    has_date = has_server = has_te = False
    error: str | None = None
    lines = [status, "\r\n"]
    for name, value in headers:
        lines += (name, ": ", value, "\r\n")
        lname = name.lower()
        if lname == "content-length":
            try:
                content_length = int(value)
            except ValueError:
                content_length = -1
            if content_length < 0:
                error = f"Invalid Content-Length header {value!r}"
        elif lname == "connection":
            connection = "close" in value.lower()
        elif lname == "date":
            has_date = True
        elif lname == "server":
            has_server = True
        elif lname == "transfer-encoding":
            has_te = True
    text = "".join(lines)
    newlines = len(headers) + 1
    if text.count("\n") != newlines or text.count("\r") != newlines:
        error = "WSGI response headers must not contain CR or LF characters"
    try:
        block = text.encode("latin-1")
    except UnicodeEncodeError:
        block = b""
        error = "WSGI response headers must be latin-1 strings"
    info = (int(status[:3]), block, content_length, connection, has_date, has_server, has_te, error)
    try:
        key = (status, *headers)
    except TypeError:
        return info
    if len(_heads) >= _HEADS_MAX:
        _heads.clear()
    _heads[key] = info
    return info


class Response:
    """Framing state of one response; its bound methods are ``start_response`` and ``write``."""

    __slots__ = (
        "bytes_sent",
        "chunked",
        "close",
        "conn",
        "content_length",
        "extra_headers",
        "has_body",
        "head_info",
        "headers",
        "headers_sent",
        "request",
        "status",
        "taken",
    )

    def __init__(self, conn: Connection, request: Request) -> None:
        """Prepare the response to ``request`` on ``conn``."""
        self.conn = conn
        self.request = request
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.extra_headers: list[tuple[str, str]] | None = None
        self.headers_sent = False
        self.chunked = False
        self.close = False
        self.has_body = True
        self.content_length: int | None = None
        self.bytes_sent = 0
        self.taken = False
        self.head_info: tuple[Any, ...] | None = None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        """The WSGI ``start_response`` callable."""
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError("start_response was called a second time without exc_info")
        self.extra_headers = None
        if headers.__class__ is list and headers:
            last = headers[-1]
            if (
                last.__class__ is tuple
                and len(last) == 2
                and last[0].__class__ is str
                and last[1].__class__ is str
                and last[0].lower() in _VOLATILE_NAMES
            ):
                # The request id, last as the kernel sends it: the rest is a cached head.
                self.extra_headers = [last]
                headers = headers[:-1]
        try:
            info = _heads.get((status, *headers))
        except TypeError:
            info = None
        # What _head() would look up again (None: it works the head out).
        self.head_info = info
        if info is None:
            _check_start(status, headers)
            for name, _value in headers:
                if name.lower() in _VOLATILE_NAMES:
                    # A value made for this response only (X-Request-ID): kept out of the
                    # cached head, serialized on its own.
                    extra = self.extra_headers = self.extra_headers or []
                    stable: list[tuple[str, str]] = []
                    for item in headers:
                        (extra if item[0].lower() in _VOLATILE_NAMES else stable).append(item)
                    headers = stable
                    break
        self.status = status
        self.headers = headers
        return self.write

    def _head(self, known_length: int | None) -> bytes:
        """Decide the framing and serialize the status line and headers."""
        status = self.status
        if status is None:
            raise RuntimeError("The WSGI application returned without calling start_response")
        headers = self.headers
        info = self.head_info
        if info is None:
            try:
                key = (status, *headers)
                info = _heads[key]
            except (KeyError, TypeError):
                info = _describe(status, headers)
        code, block, content_length, connection, has_date, has_server, has_te, error = info
        if error is not None:
            raise ValueError(error)
        extra = self.extra_headers
        if extra is not None:
            block += _volatile_block(extra)
        request = self.request
        if code == 500 and request.error is not None:
            # The application failed because reading its body failed (too large, malformed,
            # too slow): the client gets the status that says why, not a 500.
            raise request.error
        conn = self.conn
        server = conn.server
        method = request.method
        has_body = code >= 200 and code != 204 and code != 304
        self.has_body = has_body and method != "HEAD"
        close = (
            not request.keep_alive
            or server.stopping
            or code == 413
            or request.error is not None
            or not (request.complete or _can_finish_body(conn, request))
        )
        parts = [server.status_prefix, block]
        http11 = request.version == "1.1" and server.protocol == "HTTP/1.1"
        if content_length is not None:
            self.content_length = content_length
        elif has_te:
            close = True
        elif not has_body:
            pass
        elif known_length is not None and (method != "HEAD" or known_length):
            self.content_length = known_length
            parts.append(b"Content-Length: %d\r\n" % known_length)
        elif method == "HEAD":
            pass
        elif http11:
            self.chunked = True
            parts.append(b"Transfer-Encoding: chunked\r\n")
        else:
            close = True
        if connection is not None:
            if connection:
                close = True
        elif close:
            if request.version == "1.1":
                parts.append(b"Connection: close\r\n")
        elif not http11:
            parts.append(server.keep_alive_line)
        if not has_date:
            parts.append(_date_line())
        if not has_server:
            parts.append(server.server_line)
        parts.append(b"\r\n")
        self.close = close
        self.headers_sent = True
        if conn.takeover is not None:
            # Handed over after this head: a 101, or a 2xx whose body the handler streams.
            self.taken = code == 101 or (200 <= code < 300 and self.has_body)
        return b"".join(parts)

    def _frame(self, data: bytes, parts: list[bytes]) -> None:
        """Append ``data`` to ``parts`` with the response's framing applied."""
        size = len(data)
        if self.content_length is not None:
            room = self.content_length - self.bytes_sent
            if size > room:
                if not self.bytes_sent and len(parts) == 1:
                    # Nothing sent yet (``parts`` holds only the head): answer 500 instead.
                    self.headers_sent = False
                    raise ProtocolError(500, "Internal Server Error", _TOO_MANY_BYTES)
                # More bytes than announced: cut them, and the connection with them.
                data = data[:room]
                size = room
                self.close = True
        self.bytes_sent += size
        if not size:
            return
        if self.chunked:
            parts += (b"%x\r\n" % size, data, b"\r\n")
        else:
            parts.append(data)

    def write(self, data: bytes) -> None:
        """Send ``data`` as part of the body (also the WSGI ``write`` callable)."""
        if type(data) is not bytes:
            raise TypeError(f"WSGI response body items must be bytes, not {type(data).__name__}")
        parts: list[bytes] = []
        if not self.headers_sent:
            if not data:
                return
            parts.append(self._head(None))
        if self.has_body:
            self._frame(data, parts)
        if parts:
            self.conn.send_parts(parts)

    def send_result(self, result: Iterable[bytes]) -> None:
        """Send what the application returned, then end the response."""
        cls = type(result)
        if (cls is list or cls is tuple) and self.conn.takeover is None:
            sequence: Any = result
            if len(sequence) == 1:
                item = sequence[0]
                if type(item) is bytes and not self.headers_sent:
                    # One item, the usual buffered response: framed here when it is all
                    # the announced length (what _frame does for it, without the call).
                    size = len(item)
                    parts = [self._head(size)]
                    if self.has_body:
                        if self.content_length == size and not self.chunked:
                            self.bytes_sent = size
                            if size:
                                parts.append(item)
                        else:
                            self._frame(item, parts)
                    self.conn.send_parts(parts)
                    self.finish()
                    return
            elif not self.headers_sent and all(type(item) is bytes for item in result):
                parts = [self._head(sum(map(len, result)))]
                if self.has_body:
                    for item in result:
                        self._frame(item, parts)
                self.conn.send_parts(parts)
                self.finish()
                return
        elif cls is FileWrapper and self._send_file(result):  # type: ignore[arg-type]
            self.finish()
            return
        for item in result:
            if item:
                self.write(item)
        self.finish()

    def _send_file(self, wrapper: FileWrapper) -> bool:
        conn = self.conn
        if self.headers_sent or conn.is_tls or not conn.server.use_sendfile:
            return False
        file = wrapper.filelike
        try:
            info = os.fstat(file.fileno())
            offset = file.tell() if hasattr(file, "tell") else 0
        except (AttributeError, OSError, ValueError):
            return False
        if not stat.S_ISREG(info.st_mode):
            return False
        available = max(0, info.st_size - offset)
        head = self._head(available)
        count = available
        if self.content_length is not None:
            count = min(count, self.content_length)
        if not self.has_body or not count:
            conn.send(head)
            return True
        conn.send_head(head)
        sent = conn.sendfile(file, offset, count)
        self.bytes_sent += sent
        try:
            file.seek(offset + sent)
        except (AttributeError, OSError, ValueError):
            pass
        return True

    def finish(self) -> None:
        """Send the headers if still pending, and the end of a chunked body."""
        if not self.headers_sent:
            self.conn.send(self._head(None if self.conn.takeover is not None else 0))
            if self.taken:
                return
        elif self.taken:
            # The body goes on through the transport, which ends it.
            return
        elif self.chunked:
            self.conn.send(b"0\r\n\r\n")
        if (
            self.has_body
            and self.content_length is not None
            and self.bytes_sent < self.content_length
        ):
            # The client waits for bytes that will never come: only closing ends its wait.
            self.close = True


def _can_finish_body(conn: Connection, request: Request) -> bool:
    """Whether the unread part of the request body can be drained after the response."""
    if request.complete:
        return True
    remaining = request.remaining
    if request.expect_continue and not conn.sent_continue and not request.received:
        if remaining is None or remaining > DRAIN_LIMIT:
            return False
        # The client waits for "100 Continue" before sending a body the application never
        # read.  As cheroot always sends it, clients may count on it: send it now, ahead of
        # the final answer, and drain the (small) body afterwards to keep the connection.
        conn.sent_continue = True
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True
    return remaining is None or remaining <= DRAIN_LIMIT


_targets: dict[bytes, tuple[str, str, str]] = {}
_TARGETS_MAX = 1024


def _target_strings(request: Request) -> tuple[str, str, str]:
    """``PATH_INFO``, ``QUERY_STRING`` and ``REQUEST_URI`` of a request target (cached)."""
    target = request.target
    strings = (
        decode_path(request.path),
        request.query.decode("latin-1"),
        target.decode("latin-1"),
    )
    if len(target) <= 256:
        if len(_targets) >= _TARGETS_MAX:
            _targets.clear()
        _targets[target] = strings
    return strings


def build_environ(conn: Connection, request: Request) -> dict[str, Any]:
    """The PEP 3333 environ for ``request``."""
    strings = _targets.get(request.target) or _target_strings(request)
    env = conn.environ.copy()
    env["REQUEST_METHOD"] = request.method
    env["PATH_INFO"], env["QUERY_STRING"], env["REQUEST_URI"] = strings
    env["SERVER_PROTOCOL"] = "HTTP/1.1" if request.version == "1.1" else "HTTP/1.0"
    env["wsgi.input"] = RequestBody(conn, request)
    env["cherrypy.take_over"] = conn.offer_takeover
    keys = _env_keys
    for name, value in request.headers:
        key = keys.get(name) or _env_key(name)
        text = value.decode("latin-1")
        if key in env:
            env[key] += ("; " if key == "HTTP_COOKIE" else ", ") + text
        else:
            env[key] = text
    if request.authority is not None:
        env["HTTP_HOST"] = request.authority.decode("latin-1")
    return env


def serve_request(conn: Connection, request: Request) -> bool:
    """Run the application for ``request`` and send its response.

    Returns True when the connection may carry another request.
    """
    server = conn.server
    conn.tx_reset()
    conn.takeover = None
    conn.taken = None
    response = Response(conn, request)
    result: Any = None
    try:
        env = build_environ(conn, request)
        result = server.wsgi_app(env, response.start_response)
        response.send_result(result)
        if response.taken:
            conn.taken = (env, response.chunked)
    except ClientGone:
        return False
    except ProtocolError as exc:
        if not response.headers_sent:
            _send_quietly(conn, error_response(server, exc.status_line, exc.message))
        return False
    except Exception:
        server.error_log("Error in the WSGI application", 40, True)
        if not response.headers_sent:
            _send_quietly(
                conn,
                error_response(
                    server,
                    "500 Internal Server Error",
                    "The server encountered an unexpected condition "
                    "which prevented it from fulfilling the request.",
                    head=request.method == "HEAD",
                ),
            )
        return False
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                server.error_log("Error closing the WSGI response iterable", 40, True)
    if response.close or request.error is not None:
        return False
    if not request.complete:
        return conn.drain(request, DRAIN_LIMIT)
    return True


def _send_quietly(conn: Connection, data: bytes) -> None:
    try:
        conn.send(data)
    except ClientGone:
        pass


def default_error_log(msg: str = "", level: int = 20, traceback: bool = False) -> None:
    """Write a server error to ``sys.stderr`` (the default ``error_log``)."""
    if traceback:
        import traceback as tb

        msg += "\n" + "".join(tb.format_exception(*sys.exc_info()))
    sys.stderr.write(msg + "\n")
