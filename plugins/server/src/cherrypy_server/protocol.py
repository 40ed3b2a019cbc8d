"""HTTP/1.x request parsing on top of httptools (llhttp), without any socket I/O.

A :class:`RequestParser` belongs to one connection.  Bytes read from the socket go to
:meth:`RequestParser.feed`; complete request heads, body bytes and errors come out as
:class:`Request` objects queued in :attr:`RequestParser.requests`, in the order the client
sent them, so pipelined requests are answered in order.

llhttp does most of the strict work (method, target and header characters, Content-Length and
Transfer-Encoding framing, chunk syntax).  This module frames each message itself as well, so
that it always knows where a request starts and where its lines end, and adds what llhttp
leaves out or accepts too leniently: the request line's exact shape (one space between its
three parts, ``HTTP/x.y``), the Host rule, the accepted transfer codings and HTTP versions, the
``Expect`` header, the size limits that give 414, 431 and 413 (also announced chunk sizes and
single lines), and the error texts clients see.  Every check runs as soon as the bytes that
decide it have arrived, and the work per byte received is bounded (nothing is re-scanned or
re-copied as a line or a head arrives in small pieces).
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any, NamedTuple
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
    max_line_size: int = 64 * 1024
    """Bytes allowed for one line of the head, its CRLF not counted.

    A header line (or trailer line) beyond it gets 431, a request line beyond it 414 (only
    its target can be that long).
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
        "scanned",
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
        self.scanned = 0
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
        self.scanned = 0
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
        # Bytes already searched (a long line arriving in pieces) are not searched again;
        # ``scanned`` is reset whenever bytes are taken.
        end = body.find(b"\n", max(pos, self.scanned))
        if end >= 0:
            size = end + 1 - pos
            if 0 <= limit < size:
                size = limit
            return self.take(size)
        if 0 <= limit <= len(body) - pos:
            return self.take(limit)
        self.scanned = len(body)
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

# RFC 9112 section 3: method SP request-target SP HTTP-version CRLF, one space each.  The
# characters of the method and the target are llhttp's to check (with cheroot's texts).
_REQUEST_LINE = re.compile(rb"[^ \t\r\n]+ [^ \t\r\n]+ HTTP/1\.[01]\r\n")

_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]*")

_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]+)[^\n]*\n")

_MAX_CHUNK_SIZE = 1 << 64  # llhttp refuses larger sizes; counting further is wasted work

HELD_LIMIT = 1024 * 1024
"""Most bytes held after an upgrade request while the application decides (see resume())."""

_MERGE_ABOVE = 32
"""Headers beyond which repeated fields are joined by the parser (see ``_merge_repeated``)."""

_METHODS = {
    name.encode("ascii"): name
    for name in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE")
}

# Where the parser is in the byte stream (RequestParser._phase).
_START = 0  # before a request line: the next byte starts a request
_HEAD = 1  # within the request line or the header lines
_BODY = 2  # within a Content-Length body
_CHUNKED = 3  # within a chunked body (its chunks, then its trailer section)

# Where a chunked body is (RequestParser._chunk_state).
_CHUNK_START = 0  # at the start of a chunk-size line
_CHUNK_SIZE = 1  # within a chunk size's hex digits, split between reads
_CHUNK_LINE = 2  # after the digits: extensions up to the line's LF
_CHUNK_DATA = 3  # within chunk data and the CRLF that follows it
_CHUNK_TRAILER = 4  # at the start of a trailer line (or of the final empty line)
_CHUNK_OVER = 5  # a chunk size announces more than max_body_size allows


_HOST, _CONNECTION, _CONTENT_LENGTH, _TRANSFER_ENCODING, _EXPECT = range(5)
_ROLES_LOWER = {
    b"host": _HOST,
    b"connection": _CONNECTION,
    b"content-length": _CONTENT_LENGTH,
    b"transfer-encoding": _TRANSFER_ENCODING,
    b"expect": _EXPECT,
}
_ROLES: dict[bytes, int | None] = {}
"""Field names as sent -> the role ``_check_headers`` gives them (None: none), filled as names
are seen (bounded): clients send the same few spellings, so most names need no ``lower()``."""
_ROLES_MAX = 512
_NO_ROLE: Any = object()


def _role_of(name: bytes) -> int | None:
    role = _ROLES_LOWER.get(name.lower())
    if len(_ROLES) >= _ROLES_MAX:
        _ROLES.clear()
    _ROLES[name] = role
    return role


def _tokens(value: bytes) -> set[bytes]:
    return {token.strip().lower() for token in value.split(b",")}


def _field_key(name: bytes) -> bytes:
    """The key under which repeated fields meet, as the WSGI environ names them."""
    lower = name.lower()
    if lower == b"content-type" or lower == b"content-length":
        return lower
    return b"http_" + lower.replace(b"-", b"_")


def _merge_repeated(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Join repeated fields into one, in one pass (RFC 9110 section 5.3).

    The values of fields that become the same environ key are joined with ``', '``
    (``Cookie`` with ``'; '``, RFC 6265 section 5.4) under the first field's name and at its
    place, as the WSGI gateway would join them one by one, but in linear time.
    """
    merged: dict[bytes, list[bytes]] = {}
    names: dict[bytes, bytes] = {}
    for name, value in headers:
        key = _field_key(name)
        values = merged.get(key)
        if values is None:
            merged[key] = [value]
            names[key] = name
        else:
            values.append(value)
    if len(merged) == len(headers):
        return headers
    return [
        (names[key], (b"; " if key == b"http_cookie" else b", ").join(values))
        for key, values in merged.items()
    ]


def _bad_request_line(line: bytes) -> ProtocolError:
    """The error for a complete request line that is not ``method SP target SP HTTP/1.x``.

    The texts are cheroot's for the same lines (505 for versions above 1.1).
    """
    if not line.endswith(b"\r\n"):
        return bad_request("HTTP requires CRLF terminators")
    parts = line[:-2].split(b" ")
    if len(parts) != 3 or not all(parts) or b"\t" in line:
        return bad_request("Malformed Request-Line")
    version = parts[2]
    if not version.startswith(b"HTTP/"):
        return bad_request("Malformed Request-Line: bad protocol")
    if len(version) != 8 or version[6:7] != b"." or not (version[5:6] + version[7:]).isdigit():
        return bad_request("Malformed Request-Line: bad version")
    if version[5:6] == b"0":
        return bad_request("HTTP/0.9 requests are not supported.")
    # A later HTTP/1.x would be read as 1.1 (RFC 9112 section 2.3), but llhttp refuses it.
    return ProtocolError(505, "HTTP Version Not Supported", "Cannot fulfill request")


class RequestParser:
    """Feed bytes, get :class:`Request` objects; one instance per connection.

    Requests are appended to :attr:`requests` as soon as their first byte arrives.  A
    request whose head or body is malformed or too large gets its :attr:`Request.error`
    set; parsing stops there, so nothing the client sent after it is ever taken for a
    request.

    The parser frames every message itself (request line, head lines, Content-Length or
    chunked body) and hands llhttp exactly one message's bytes at a time, and head lines only
    once they are complete: llhttp's verdict then always applies to a known request and its
    error is answered at once, and a line sent in many small pieces is never re-copied.
    An incomplete line is judged once its LF arrives (cheroot reads heads line by line:
    a client that never ends a bad line gets 408 after the timeout), except for its length,
    which is checked as it grows.
    """

    __slots__ = (
        "_chunk_left",
        "_chunk_size",
        "_chunk_state",
        "_chunk_total",
        "_current",
        "_error",
        "_head_bytes",
        "_line_start",
        "_parser",
        "_partial",
        "_phase",
        "_resuming",
        "_skipped_crlf",
        "halted",
        "held",
        "limits",
        "requests",
    )

    def __init__(self, limits: Limits) -> None:
        """Create a parser enforcing ``limits``."""
        self.limits = limits
        self.requests: deque[Request] = deque()
        self.halted = False
        # Bytes after a request that may switch protocols (see _accept_upgrade): kept raw
        # until the server either hands them to the new protocol or resumes HTTP with them.
        self.held: bytearray | None = None
        self._current: Request | None = None
        self._phase = _START
        self._line_start = True
        self._skipped_crlf = False
        self._head_bytes = 0
        self._partial = bytearray()
        self._chunk_state = _CHUNK_START
        self._chunk_size = 0
        self._chunk_left = 0
        self._chunk_total = 0
        self._resuming = False
        self._error: ProtocolError | None = None
        self._parser = httptools.HttpRequestParser(self)

    @property
    def idle(self) -> bool:
        """True when no request has started since the last one completed."""
        current = self._current
        return current is None or current.complete

    def feed(self, data: bytes) -> None:
        """Parse ``data``; results land in :attr:`requests`.

        Data fed after an error, or after a CONNECT request, is ignored.
        """
        if self.halted or not data:
            held = self.held
            if held is not None and len(held) < HELD_LIMIT:
                held += data
            return
        partial = self._partial
        if partial:
            # A line held back from earlier reads: appended to until its LF arrives, then
            # parsed with what follows it (each held byte is copied once more, not per read).
            partial += data
            if data.find(b"\n") < 0:
                self._check_partial()
                return
            data = bytes(partial)
            partial.clear()
        pos = 0
        end = len(data)
        while pos < end and not self.halted:
            phase = self._phase
            if phase == _BODY:
                pos = self._feed_body(data, pos, end)
            elif phase == _CHUNKED:
                pos = self._feed_chunked(data, pos, end)
            else:
                pos = self._feed_head(data, pos, end)

    # -- framing ---------------------------------------------------------------------------

    def _feed_head(self, data: bytes, pos: int, end: int) -> int:
        """Parse head bytes from ``pos``; return where the head's bytes end in ``data``."""
        start = pos
        if self._phase == _START:
            first = data[pos]
            if first == 13 or first == 10:  # CR or LF before a request line
                if end - pos == 1 and first == 13:
                    self._partial += data[pos:end]
                    return end
                if not self._skipped_crlf and data.startswith(b"\r\n", pos):
                    # RFC 9112 section 2.2: an empty line before a request line is ignored;
                    # one only, as in cheroot (more would let a client idle forever).
                    self._skipped_crlf = True
                    return pos + 2
            # A request starts at its first byte (llhttp is only shown complete lines).
            self._current = request = Request()
            self.requests.append(request)
            self._phase = _HEAD
            self._head_bytes = 0
            line_start = True
        else:
            request = self._current  # type: ignore[assignment]
            line_start = self._line_start
        limits = self.limits
        if line_start:
            match = _REQUEST_LINE.match(data, pos, end)
            if match is None:
                lf = data.find(b"\n", pos, end)
                if lf < 0:
                    self._line_start = True
                    self._partial += data[pos:end]
                    self._check_partial()
                elif 0 < limits.max_line_size < lf - pos - 1:
                    self._fail(self._uri_too_long())
                else:
                    self._fail(_bad_request_line(data[pos : lf + 1]))
                return end
            pos = match.end()
            # The head ends at the first empty line, maybe right after the request line.
            stop = data.find(b"\r\n\r\n", pos - 2, end)
            complete = stop != -1
            stop += 4
        elif data.startswith(b"\r\n", pos):
            stop = pos + 2
            complete = True
        else:
            stop = data.find(b"\r\n\r\n", pos, end)
            complete = stop != -1
            stop += 4
        self._line_start = False
        if not complete:
            # Only complete lines go to llhttp; the rest waits for its LF.
            stop = data.rfind(b"\n", pos, end) + 1 or pos
            if stop < end:
                self._partial += data[stop:end]
        size = self._head_bytes = self._head_bytes + stop - start
        limit = limits.max_header_size
        line_limit = limits.max_line_size
        if 0 < line_limit < stop - start and self._long_line(data, start, stop, line_limit):
            # Only the target makes a request line that long: 414 for it, as cheroot.
            if line_start and self._long_line(data, start, pos, line_limit):
                self._fail(self._uri_too_long())
            else:
                self._fail(self._line_too_large())
            return end
        if 0 < limit < size + len(self._partial):
            self._fail(self._head_too_large())
            return end
        if self._partial:
            self._check_partial()
            if self.halted:
                return end
        if stop > start:
            if start == 0 and stop == end:
                chunk: bytes | memoryview = data
            elif stop - start < 16384:
                chunk = data[start:stop]  # a small copy costs less than a memoryview
            else:
                chunk = memoryview(data)[start:stop]
            try:
                self._parser.feed_data(chunk)
            except httptools.HttpParserUpgrade:
                if not self._upgrade():
                    held = self.held
                    if held is not None and stop < end:
                        held += data[stop:end]
                    return end
            except httptools.HttpParserError as exc:
                self._fail(self._error or self._explain(exc, chunk))
                return end
        if not complete:
            return end
        if not request.head_complete:
            # llhttp saw no end of head where this parser did: never guess.
            self._fail(bad_request("Illegal end of headers."))
            return end
        if request.complete:
            self._phase = _START
            self._skipped_crlf = False
        elif request.chunked:
            self._phase = _CHUNKED
            self._chunk_state = _CHUNK_START
            self._chunk_size = 0
            self._chunk_total = 0
        else:
            self._phase = _BODY
        return stop

    @staticmethod
    def _long_line(data: bytes, pos: int, stop: int, limit: int) -> bool:
        """Whether a line between ``pos`` and ``stop`` (whole lines) is over ``limit``."""
        while pos < stop:
            lf = data.find(b"\n", pos, stop)
            if lf - pos - 1 > limit:
                return True
            pos = lf + 1
        return False

    def _check_partial(self) -> None:
        """Refuse a held-back line that is already too long, before its LF arrives."""
        size = len(self._partial)
        limits = self.limits
        phase = self._phase
        if phase == _CHUNKED:
            # A trailer line: part of the chunked framing, bounded like the head.
            request = self._current
            assert request is not None
            limit = limits.max_header_size
            if 0 < limit < request.wire + size - request.received:
                self._fail(self._too_large())
            return
        if phase == _START:
            return  # a lone CR
        line_limit = limits.max_line_size
        if self._line_start:
            # The request line: only its target can grow.  A CR may end the line, and
            # " HTTP/1.1\r" may follow the target: 10 bytes not counted.  (Methods are short:
            # the first space is looked for among the first bytes only, not in every read.)
            space = self._partial.find(b" ", 0, 32)
            target = size - space - 1 if space >= 0 else 0
            uri_limit = limits.max_uri_size
            if 0 < line_limit < size - 1 or 0 < uri_limit < target - 10:
                self._fail(self._uri_too_long())
                return
        elif 0 < line_limit < size - 1:
            self._fail(self._line_too_large())
            return
        limit = limits.max_header_size
        if 0 < limit < self._head_bytes + size:
            self._fail(self._head_too_large())

    def _feed_body(self, data: bytes, pos: int, end: int) -> int:
        """Hand llhttp the Content-Length body's bytes found from ``pos``."""
        request = self._current
        assert request is not None and request.content_length is not None
        stop = min(end, pos + request.content_length - request.received)
        if self._execute(data, pos, stop) and request.complete:
            self._done()
        elif stop < end and not self.halted:
            self._fail(bad_request("Malformed request body."))
        return stop

    def _feed_chunked(self, data: bytes, pos: int, end: int) -> int:
        """Find the end of the chunked body in ``data`` and hand llhttp its bytes."""
        request = self._current
        assert request is not None
        stop, last = self._scan_chunks(data, pos, end)
        if stop > pos:
            if not self._execute(data, pos, stop):
                return end
            request.wire += stop - pos
        if self._chunk_state == _CHUNK_OVER:
            # A size announcing more than the body may hold: 413 at once, once llhttp has
            # checked the bytes before it (so a malformed body is a 400 however it arrives).
            self._fail(self._too_large())
            return end
        if last:
            if not request.complete:
                self._fail(bad_request("Malformed request body."))
                return end
            self._done()
            return stop
        if request.complete:
            self._fail(bad_request("Malformed request body."))
            return end
        limit = self.limits.max_header_size
        # Chunk-size lines, extensions and trailers still arriving are bounded like a head,
        # so a client cannot keep a request open with endless framing (a body that ended
        # within this read is let be).
        if 0 < limit < request.wire - request.received:
            self._fail(self._too_large())
        elif stop < end:
            self._partial += data[stop:end]
            self._check_partial()
        return end

    def _scan_chunks(self, data: bytes, pos: int, end: int) -> tuple[int, bool]:
        """Follow the chunked framing from ``pos``.

        Returns where llhttp's bytes stop (the end of the data, the start of an incomplete
        trailer line, or the end of the body) and whether the body ends there.  Only sizes
        and line ends are looked at: llhttp checks the rest.
        """
        state = self._chunk_state
        limit = self.limits.max_body_size
        while pos < end:
            if state == _CHUNK_DATA:
                left = self._chunk_left
                if end - pos < left:
                    self._chunk_left = left - (end - pos)
                    break
                pos += left
                state = _CHUNK_START
            if state == _CHUNK_START:
                match = _CHUNK_SIZE_LINE.match(data, pos, end)
                if match is None:  # a size line split between reads, or a malformed one
                    state = _CHUNK_SIZE
                    self._chunk_size = 0
                else:
                    size = int(match.group(1), 16)
                    if 0 < limit < self._chunk_total + size:
                        self._chunk_state = _CHUNK_OVER
                        return pos, False
                    pos = match.end()
                    if size:
                        self._chunk_total += size
                        self._chunk_left = size + 2
                        state = _CHUNK_DATA
                    else:
                        state = _CHUNK_TRAILER
                    continue
            if state == _CHUNK_SIZE:
                digits = _HEX_DIGITS.match(data, pos, end).end()  # type: ignore[union-attr]
                if digits > pos:
                    size = self._chunk_size
                    if size < _MAX_CHUNK_SIZE:  # llhttp refuses more: stop counting
                        size = self._chunk_size = (size << 4 * (digits - pos)) | int(
                            data[pos:digits], 16
                        )
                    if 0 < limit < self._chunk_total + size:
                        self._chunk_state = _CHUNK_OVER  # the digits so far prove it
                        return pos, False
                    pos = digits
                    if pos == end:
                        break
                state = _CHUNK_LINE
            if state == _CHUNK_LINE:
                lf = data.find(b"\n", pos, end)
                if lf < 0:
                    break
                pos = lf + 1
                size = self._chunk_size
                if size:
                    self._chunk_total += size
                    self._chunk_left = size + 2
                    state = _CHUNK_DATA
                else:
                    state = _CHUNK_TRAILER
                continue
            if state == _CHUNK_TRAILER:
                # A whole line is needed to tell a trailer from the final empty line.
                lf = data.find(b"\n", pos, end)
                if lf < 0:
                    self._chunk_state = state
                    return pos, False
                if lf == pos + 1 and data[pos] == 13:
                    self._chunk_state = state
                    return lf + 1, True
                pos = lf + 1
        self._chunk_state = state
        return end, False

    def _done(self) -> None:
        self._phase = _START
        self._skipped_crlf = False

    def _execute(self, data: bytes, start: int, stop: int) -> bool:
        """Feed ``data[start:stop]`` to llhttp; False (and the request failed) on an error."""
        if start == 0 and stop == len(data):
            chunk: bytes | memoryview = data
        elif stop - start < 16384:
            chunk = data[start:stop]  # a small copy costs less than a memoryview
        else:
            chunk = memoryview(data)[start:stop]
        try:
            self._parser.feed_data(chunk)
        except httptools.HttpParserUpgrade:
            return self._upgrade()
        except httptools.HttpParserError as exc:
            self._fail(self._error or self._explain(exc, chunk))
            return False
        return True

    def _upgrade(self) -> bool:
        """llhttp stopped after a head asking to switch protocols (CONNECT or Upgrade)."""
        request = self._current
        assert request is not None
        if request.method == "CONNECT":
            # Answered as an ordinary request, then the connection closes: this server
            # never tunnels, and nothing sent after a CONNECT is taken for a request.
            request.keep_alive = False
            self.halted = True
            return False
        if self._accept_upgrade(request):
            # Whether the protocol switches is the application's answer: until then the
            # bytes after this head are held raw (take_held() or resume()).
            request.complete = True
            self.halted = True
            self.held = bytearray()
            self._done()
            return False
        # RFC 9110 section 7.8: the server ignores Upgrade and goes on with HTTP/1.1.  llhttp
        # skipped the body, taking it for the new protocol's bytes: a new llhttp parser reads
        # it instead, primed with a head of the same framing (its callbacks are ignored).
        self._parser = parser = httptools.HttpRequestParser(self)
        if request.chunked:
            framing = b"Transfer-Encoding: chunked\r\n"
        elif request.content_length:
            framing = b"Content-Length: %d\r\n" % request.content_length
        else:
            return True
        request.complete = False
        self._resuming = True
        try:
            parser.feed_data(b"PUT / HTTP/1.1\r\n" + framing + b"\r\n")
        finally:
            self._resuming = False
        return True

    def _accept_upgrade(self, request: Request) -> bool:
        """Whether the connection may switch to another protocol after ``request``.

        The one place an upgrade is considered: a ``GET`` without a body (a WebSocket
        handshake) may be answered ``101`` by the application, which then takes the
        connection over (``cherrypy.plugin.take_over_connection``); the bytes after its head
        are held until the answer.  Any other ``Upgrade`` is ignored (RFC 9110 section 7.8)
        and the request is an ordinary HTTP/1.1 one, its body parsed as such.
        """
        return request.method == "GET" and not request.chunked and not request.content_length

    def take_held(self) -> bytes:
        """The bytes held after an upgrade request, for the protocol taking over."""
        held = self.held
        self.held = None
        return bytes(held) if held else b""

    def resume(self) -> None:
        """Go on with HTTP after an upgrade request that was not taken over."""
        held = self.held
        if held is None:
            return
        self.held = None
        self.halted = False
        self._parser = httptools.HttpRequestParser(self)
        if held:
            self.feed(bytes(held))

    def _fail(self, error: ProtocolError) -> None:
        self.halted = True
        self._partial.clear()
        current = self._current
        if current is None or current.complete:
            current = Request()
            self.requests.append(current)
        current.error = error
        current.keep_alive = False

    def _explain(self, exc: httptools.HttpParserError, data: bytes | memoryview) -> ProtocolError:
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
    # (No on_message_begin: a request starts at its first byte, seen by ``_feed_head``.)

    def on_url(self, url: bytes) -> None:
        """Collect the request target (httptools callback)."""
        if self._resuming:
            return
        request = self._current
        assert request is not None
        request.target += url
        limit = self.limits.max_uri_size
        if limit > 0 and len(request.target) > limit:
            self._raise(self._uri_too_long())

    def on_header(self, name: bytes, value: bytes) -> None:
        """Collect one header field (httptools callback, trailers included)."""
        if self._resuming:
            return
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
        if self._resuming:
            return
        request = self._current
        assert request is not None
        parser = self._parser
        request.head_complete = True
        self._head_bytes = 0
        raw_method = parser.get_method()
        method = request.method = _METHODS.get(raw_method) or raw_method.decode("ascii")
        if method == "CONNECT" and not self.limits.allow_connect:
            self._raise(ProtocolError(405, "Method Not Allowed", "CONNECT is not supported."))
        # The request line already passed _REQUEST_LINE: the version is 1.0 or 1.1.
        version = request.version = parser.get_http_version()
        headers = request.headers
        self._check_headers(request, version)
        self._split_target(request)
        request.upgrade = parser.should_upgrade()
        if len(headers) > _MERGE_ABOVE:
            # Joining repeated fields one by one (as the WSGI environ wants them) costs
            # quadratic time when there are thousands: join them here, once.
            request.headers = _merge_repeated(headers)

    def _check_headers(self, request: Request, version: str) -> None:
        hosts = 0
        connection: set[bytes] = set()
        expect: bytes | None = None
        roles = _ROLES
        for name, value in request.headers:
            role = roles.get(name, _NO_ROLE)
            if role is None:
                continue
            if role is _NO_ROLE:
                role = _role_of(name)
                if role is None:
                    continue
            if role == _HOST:
                hosts += 1
            elif role == _CONNECTION:
                connection |= _tokens(value)
            elif role == _CONTENT_LENGTH:
                request.content_length = int(value)
            elif role == _TRANSFER_ENCODING:
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
            else:  # _EXPECT
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
    def _line_too_large() -> ProtocolError:
        return ProtocolError(
            431,
            "Request Header Fields Too Large",
            "A header line sent with the request exceeds the maximum allowed bytes.",
        )

    @staticmethod
    def _uri_too_long() -> ProtocolError:
        return ProtocolError(414, "Request-URI Too Long", "The request target is too long.")

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
            host = url.host
            if host.find(b":") != -1:
                host = b"[" + host + b"]"  # an IP literal keeps its brackets (RFC 3986)
            request.authority = host + (b":%d" % port if port else b"")

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
