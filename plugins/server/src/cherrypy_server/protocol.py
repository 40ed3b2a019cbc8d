"""HTTP/1.x request parsing on top of httptools (llhttp), without any socket I/O.

A :class:`RequestParser` belongs to one connection.  Bytes read from the socket go to
:meth:`RequestParser.feed`; complete request heads, body bytes and errors come out as
:class:`Request` objects queued in :attr:`RequestParser.requests`, in the order the client
sent them, so pipelined requests are answered in order.

llhttp does the strict part of the work (request line, header tokens and values,
Content-Length and Transfer-Encoding framing, chunk sizes).  This module adds what llhttp
leaves to the server: the Host rule, the accepted transfer codings and HTTP versions, the
``Expect`` header, the size limits that give 414, 431 and 413, and the error texts clients see.
"""

from __future__ import annotations

import re
from collections import deque
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

import httptools

__all__ = ["Limits", "ProtocolError", "Request", "RequestParser", "decode_path"]


class Limits(NamedTuple):
    """Size limits a parser enforces (0 or a negative value means no limit), and its options.

    (A named tuple rather than a frozen dataclass: a dataclass costs start-up time.)
    """

    max_header_size: int = 500 * 1024
    """Bytes allowed for the request line plus headers (431 when exceeded)."""
    max_uri_size: int = 64 * 1024
    """Bytes allowed for the request target (414 when exceeded)."""
    max_body_size: int = 100 * 1024 * 1024
    """Bytes allowed for a request body, whatever its framing (413 when exceeded)."""
    allow_connect: bool = False
    """Whether ``CONNECT host:port`` reaches the application (as ``PATH_INFO`` ``/host:port``).

    Without it CONNECT gets 405.  Either way the connection closes after the answer: this
    server never tunnels.
    """


class ProtocolError(Exception):
    """A request the server must refuse, with the status to answer it with.

    The connection is always closed after such an answer: once framing is in doubt, no
    further byte from the client can be trusted to start a request.
    """

    def __init__(self, status: int, reason: str, message: str) -> None:
        """Remember the status code, its reason phrase and a short explanation."""
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def status_line(self) -> str:
        """The status as WSGI spells it, e.g. ``'400 Bad Request'``."""
        return f"{self.status} {self.reason}"


def bad_request(message: str) -> ProtocolError:
    """A ``400 Bad Request`` error with ``message`` as its explanation."""
    return ProtocolError(400, "Bad Request", message)


class Request:
    """One request as the parser saw it: head, buffered body bytes and framing state."""

    __slots__ = (
        "authority",
        "body",
        "body_pos",
        "chunked",
        "complete",
        "content_length",
        "error",
        "expect_continue",
        "head_complete",
        "headers",
        "keep_alive",
        "method",
        "path",
        "query",
        "received",
        "target",
        "upgrade",
        "version",
        "wire",
    )

    def __init__(self) -> None:
        """Start an empty request; the parser fills it in as bytes arrive."""
        self.target = b""
        self.method = ""
        self.version = "1.1"
        self.headers: list[tuple[bytes, bytes]] = []
        self.path = b"/"
        self.query = b""
        self.authority: bytes | None = None
        self.head_complete = False
        self.complete = False
        self.keep_alive = False
        self.chunked = False
        self.content_length: int | None = None
        self.expect_continue = False
        self.upgrade = False
        self.body = bytearray()
        self.body_pos = 0
        self.received = 0
        self.wire = 0
        self.error: ProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Body bytes received and not yet consumed."""
        return len(self.body) - self.body_pos

    @property
    def remaining(self) -> int | None:
        """Body bytes still to come from the client, or ``None`` when unknown (chunked)."""
        if self.complete:
            return 0
        if self.content_length is not None:
            return self.content_length - self.received
        return None

    def take(self, size: int) -> bytes:
        """Remove and return up to ``size`` buffered body bytes (all of them if negative)."""
        body, pos = self.body, self.body_pos
        end = len(body) if size < 0 else min(len(body), pos + size)
        data = bytes(body[pos:end])
        if end >= len(body):
            body.clear()
            self.body_pos = 0
        elif end > 65536:
            del body[:end]
            self.body_pos = 0
        else:
            self.body_pos = end
        return data

    def take_line(self, limit: int) -> bytes | None:
        """Remove and return one buffered line (with its ``\\n``), or ``None`` if incomplete.

        With ``limit`` >= 0 at most ``limit`` bytes are returned even without a newline.
        """
        body, pos = self.body, self.body_pos
        end = body.find(b"\n", pos)
        if end >= 0:
            size = end + 1 - pos
            if 0 <= limit < size:
                size = limit
            return self.take(size)
        if 0 <= limit <= len(body) - pos:
            return self.take(limit)
        return None


_QUOTED_SLASH = re.compile(rb"%2[fF]")


def decode_path(path: bytes) -> str:
    """Percent-decode a request path into a latin-1 ``str`` as PEP 3333 wants it.

    ``%2F`` stays encoded, as in cheroot, so that an encoded slash never becomes a path
    separator.
    """
    if b"%" not in path:
        return path.decode("latin-1")
    parts = [unquote_to_bytes(part) for part in _QUOTED_SLASH.split(path)]
    return b"%2F".join(parts).decode("latin-1")


_BARE_LF = re.compile(rb"(?<!\r)\n")

_AUTHORITY = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+):([0-9]{1,5})")

_AUTHORITY_FORM_ONLY = "Invalid path in Request-URI: request-target must match authority-form."

_METHODS = {
    name.encode("ascii"): name
    for name in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE")
}


def _tokens(value: bytes) -> set[bytes]:
    return {token.strip().lower() for token in value.split(b",")}


class RequestParser:
    """Feed bytes, get :class:`Request` objects; one instance per connection.

    Requests are appended to :attr:`requests` as soon as their first byte arrives.  A
    request whose head or body is malformed or too large gets its :attr:`Request.error`
    set; parsing stops there, so nothing the client sent after it is ever taken for a
    request.
    """

    __slots__ = (
        "_chunk",
        "_current",
        "_error",
        "_head_bytes",
        "_in_head",
        "_parser",
        "_pending",
        "halted",
        "limits",
        "requests",
    )

    def __init__(self, limits: Limits) -> None:
        """Create a parser enforcing ``limits``."""
        self.limits = limits
        self.requests: deque[Request] = deque()
        self.halted = False
        self._current: Request | None = None
        self._in_head = False
        self._head_bytes = 0
        self._chunk = 0
        self._error: ProtocolError | None = None
        self._pending: ProtocolError | None = None
        self._parser = httptools.HttpRequestParser(self)

    @property
    def idle(self) -> bool:
        """True when no request has started since the last one completed."""
        current = self._current
        return current is None or current.complete

    def feed(self, data: bytes) -> None:
        """Parse ``data``; results land in :attr:`requests`.

        Data fed after an error, or after an upgrade request, is ignored.
        """
        if self.halted:
            if self._pending is not None and b"\n" in data:
                self._fail(self._pending)
                self._pending = None
            return
        self._chunk = len(data)
        current = self._current
        # A chunked body still arriving: its framing (size lines, extensions, trailers) is
        # bounded below, as llhttp skips extensions of any length.
        framed = (
            current is not None
            and current.chunked
            and current.head_complete
            and not current.complete
        )
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # CONNECT or "Connection: upgrade": this server never switches protocols, so the
            # request is answered as an ordinary one and the connection closed after it.
            current = self._current
            if current is not None:
                current.keep_alive = False
            self.halted = True
            return
        except httptools.HttpParserError as exc:
            error = self._error or self._explain(exc, data)
            if self._error is None and b"\n" not in data:
                # cheroot reads the head line by line, so it only answers once the bad line
                # ends (or with 408 when it never does): keep the error until a newline.
                self.halted = True
                self._pending = error
                return
            self._fail(error)
            return
        if self._in_head:
            self._head_bytes += len(data)
            limit = self.limits.max_header_size
            if limit > 0 and self._head_bytes > limit:
                self._fail(self._head_too_large())
        elif framed:
            assert current is not None
            current.wire += len(data)
            limit = self.limits.max_header_size
            over = limit > 0 and current.wire - current.received > limit
            # A request that completed within this feed got its framing in one read: let it be.
            if over and not current.complete and not self.halted:
                self._fail(self._too_large())

    def _fail(self, error: ProtocolError) -> None:
        self.halted = True
        current = self._current
        if current is None or current.complete:
            current = Request()
            self.requests.append(current)
        current.error = error
        current.keep_alive = False

    def _explain(self, exc: httptools.HttpParserError, data: bytes) -> ProtocolError:
        """Turn an llhttp error into the 400 answer cheroot would give for the same input."""
        reason = str(exc)
        current = self._current
        if current is not None and current.head_complete:
            return bad_request(f"Malformed request body: {reason}")
        if isinstance(exc, httptools.HttpParserInvalidURLError) and self._is_connect():
            return bad_request(_AUTHORITY_FORM_ONLY)
        if _BARE_LF.search(data) is not None:
            return bad_request("HTTP requires CRLF terminators")
        if "Content-Length" in reason or "Transfer-Encoding" in reason:
            return bad_request(f"Malformed request: {reason}")
        if isinstance(exc, httptools.HttpParserInvalidURLError):
            # A target that is neither a path, an absolute URI nor "*" (CherryPy's wording).
            return bad_request("Invalid path in Request-URI.")
        if "header" in reason.lower() or "start line" in reason:
            return bad_request("Illegal header line.")
        return bad_request(f"Malformed Request-Line: {reason}")

    def _is_connect(self) -> bool:
        try:
            return self._parser.get_method() == b"CONNECT"
        except httptools.HttpParserError:
            return False

    def _raise(self, error: ProtocolError) -> None:
        self._error = error
        raise error

    # -- httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        """Start a new request (httptools callback)."""
        request = Request()
        self._current = request
        self.requests.append(request)
        self._in_head = True
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        """Collect the request target (httptools callback; may come in pieces)."""
        request = self._current
        assert request is not None
        request.target += url
        limit = self.limits.max_uri_size
        if limit > 0 and len(request.target) > limit:
            self._raise(
                ProtocolError(414, "Request-URI Too Long", "The request target is too long.")
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        """Collect one header field (httptools callback, trailers included)."""
        request = self._current
        assert request is not None
        if not request.head_complete:
            request.headers.append((name, value.strip(b" \t")))
            return
        # A trailer: read and dropped, its bytes bounded like a head's.
        self._head_bytes += len(name) + len(value) + 4
        limit = self.limits.max_header_size
        if limit > 0 and self._head_bytes > limit:
            self._raise(self._too_large())

    def on_headers_complete(self) -> None:
        """Check the head once llhttp accepted it (httptools callback)."""
        request = self._current
        assert request is not None
        parser = self._parser
        self._in_head = False
        request.head_complete = True
        raw_method = parser.get_method()
        method = request.method = _METHODS.get(raw_method) or raw_method.decode("ascii")
        limit = self.limits.max_header_size
        # The head lies within the bytes fed since it began: count it only when those could
        # exceed the limit.
        if limit > 0 and self._head_bytes + self._chunk > limit:
            size = len(method) + len(request.target) + 13
            size += sum(len(name) + len(value) + 4 for name, value in request.headers)
            if size > limit:
                self._raise(self._head_too_large())
        self._head_bytes = 0
        if method == "CONNECT" and not self.limits.allow_connect:
            self._raise(ProtocolError(405, "Method Not Allowed", "CONNECT is not supported."))
        version = request.version = parser.get_http_version()
        if version not in ("1.1", "1.0"):
            if version.startswith("0."):
                self._raise(bad_request("HTTP/0.9 requests are not supported."))
            self._raise(ProtocolError(505, "HTTP Version Not Supported", "Cannot fulfill request"))
        self._check_headers(request, version)
        self._split_target(request)
        request.upgrade = parser.should_upgrade()

    def _check_headers(self, request: Request, version: str) -> None:
        hosts = 0
        connection: set[bytes] = set()
        expect: bytes | None = None
        for name, value in request.headers:
            if len(name) < 4 or len(name) > 17:
                continue
            lname = name.lower()
            if lname == b"host":
                hosts += 1
            elif lname == b"connection":
                connection |= _tokens(value)
            elif lname == b"content-length":
                request.content_length = int(value)
            elif lname == b"transfer-encoding":
                if value.lower() != b"chunked":
                    self._raise(
                        ProtocolError(
                            501,
                            "Not Implemented",
                            "Only the chunked transfer coding is supported.",
                        )
                        if version == "1.1"
                        else bad_request("Transfer-Encoding is not allowed in HTTP/1.0.")
                    )
                if version != "1.1":
                    self._raise(bad_request("Transfer-Encoding is not allowed in HTTP/1.0."))
                request.chunked = True
            elif lname == b"expect":
                expect = value.lower()
        if hosts > 1:
            self._raise(bad_request("Multiple Host headers."))
        if version == "1.1":
            if not hosts:
                self._raise(bad_request("HTTP/1.1 requires a 'Host' request header."))
            request.keep_alive = b"close" not in connection
            if expect is not None:
                if expect != b"100-continue":
                    self._raise(
                        ProtocolError(417, "Expectation Failed", "Only 100-continue is supported.")
                    )
                request.expect_continue = True
        else:
            request.keep_alive = b"keep-alive" in connection
        limit = self.limits.max_body_size
        if limit > 0 and (request.content_length or 0) > limit:
            self._raise(self._too_large())
        if not request.chunked and not request.content_length:
            request.expect_continue = False

    @staticmethod
    def _head_too_large() -> ProtocolError:
        # 431 (RFC 6585), where cheroot says 413, a status meant for the request's content.
        return ProtocolError(
            431,
            "Request Header Fields Too Large",
            "The headers sent with the request exceed the maximum allowed bytes.",
        )

    @staticmethod
    def _too_large() -> ProtocolError:
        return ProtocolError(
            413,
            "Request Entity Too Large",
            "The entity sent with the request exceeds the maximum allowed bytes.",
        )

    def _split_target(self, request: Request) -> None:
        target = request.target
        if request.method == "CONNECT":
            # authority-form, host:port and nothing else; the application sees /host:port.
            match = _AUTHORITY.fullmatch(target)
            if match is None or not 0 < int(match.group(1)) <= 65535:
                self._raise(bad_request(_AUTHORITY_FORM_ONLY))
            request.path = b"/" + target
        elif target[:1] == b"/":
            # find, not ``in``: a bytes ``in`` first tries the operand as an int, and pays
            # for a formatted TypeError on every request.
            if target.find(b"#") != -1:
                self._raise(bad_request("Illegal #fragment in Request-URI."))
            path, _, query = target.partition(b"?")
            request.path, request.query = path, query
        elif target == b"*" and request.method == "OPTIONS":
            request.path = b"*"
        else:
            try:
                url = httptools.parse_url(target)
            except httptools.HttpParserInvalidURLError:
                self._raise(bad_request("Malformed Request-URI."))
            if url.schema not in (b"http", b"https") or not url.host or url.fragment:
                self._raise(bad_request("Malformed Request-URI."))
            request.path = url.path or b"/"
            request.query = url.query or b""
            port = url.port
            request.authority = url.host + (b":%d" % port if port else b"")

    def on_body(self, data: bytes) -> None:
        """Buffer body bytes (httptools callback)."""
        request = self._current
        assert request is not None
        request.received += len(data)
        limit = self.limits.max_body_size
        if limit > 0 and request.received > limit:
            self._raise(self._too_large())
        request.body += data

    def on_message_complete(self) -> None:
        """Mark the current request complete (httptools callback)."""
        request = self._current
        assert request is not None
        request.complete = True
