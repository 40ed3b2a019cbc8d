"""The HTTP response being built for the current request (``cherrypy.response``)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from cherrypy.kernel.cookies import LazyCookie, set_cookie_headers
from cherrypy.kernel.errors import HTTPError
from cherrypy.kernel.httputil import HeaderMap, http_date, valid_status

__all__ = ["LazyCookie", "Response", "ResponseBody", "prepare_iter"]

_UNICODE_ERR = "Page handlers MUST return bytes. Use tools.encode if you wish to return unicode."


def prepare_iter(value: Any) -> Any:
    """Normalise a response body to an iterable that is falsy when empty."""
    if isinstance(value, (bytes, str)):
        return [value] if value else []
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return value
    if hasattr(value, "read"):
        return _file_chunks(value)
    return value


def _file_chunks(fileobj: Any, chunk_size: int = 65536) -> Iterable[bytes]:
    """Yield a file object's content in chunks and close it afterwards."""
    try:
        while True:
            chunk = fileobj.read(chunk_size)
            if not chunk:
                break
            yield chunk
    finally:
        close = getattr(fileobj, "close", None)
        if close is not None:
            close()


class ResponseBody:
    """Descriptor for ``response.body``: an iterable of bytes, never a str."""

    unicode_err = _UNICODE_ERR

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return self
        return obj._body

    def __set__(self, obj: Any, value: Any) -> None:
        if value.__class__ is list:
            for item in value:
                if isinstance(item, str):
                    raise ValueError(self.unicode_err)
            obj._body = value
            return
        if isinstance(value, str):
            raise ValueError(self.unicode_err)
        if isinstance(value, list) and any(isinstance(item, str) for item in value):
            raise ValueError(self.unicode_err)
        obj._body = prepare_iter(value)


_SERVER_HEADER = "CherryPy/18.10.0"
_DEFAULT_HEADERS = {"Content-Type": "text/html", "Server": _SERVER_HEADER}

# status as set by the application -> (code, "code reason", b"code reason"), for the few
# statuses an application uses; only ASCII reasons, whose bytes cannot depend on encodings.
_statuses: dict[Any, tuple[int, str, bytes]] = {}
_CACHED_STATUS_TYPES = (int, str, type(None))
_header_names: dict[str, bytes] = {}
# (name, printable ASCII value) -> the encoded pair, for the values responses repeat.
_header_pairs: dict[tuple[str, str], tuple[bytes, bytes]] = {}
# (name, int value) -> the encoded pair (Content-Length); only exact ints get here, so a
# True never finds the pair of a 1.
_int_header_pairs: dict[tuple[str, int], tuple[bytes, bytes]] = {}


_VOLATILE_NAMES = frozenset({"X-Request-Id"})  # observe.STORED_HEADER_NAME (no import: a cycle)
"""Headers whose value changes with every response: encoded, never cached (they would
crowd the values responses repeat out of the caches)."""


def _output(headers: HeaderMap) -> list[tuple[bytes, bytes]]:
    """``headers.output()``, with a fast path for printable ASCII text and int values.

    Anything else (non-ASCII text, bytes, control characters, new names) goes through
    :meth:`HeaderMap.encode_header_items`, which validates and encodes it.
    """
    pairs = _header_pairs
    # Every pair seen before, as a rule: the dict's items are the cache's keys (a str equal to
    # a cached one encodes the same; other values are never equal to a cached str value).
    found: list[Any] | None
    try:
        found = list(map(pairs.get, dict.items(headers)))
    except TypeError:
        found = None  # an unhashable value (a list, say): the loop below encodes it
    else:
        if None not in found:
            return found
        at = found.index(None)
        if None not in found[at + 1 :]:
            # One pair not found, as a rule an int (a Content-Length a tool set): looked up
            # among the int pairs seen before.
            name, value = list(dict.items(headers))[at]
            if value.__class__ is int:
                pair = _int_header_pairs.get((name, value))
                if pair is not None:
                    found[at] = pair
                    return found
    names = _header_names
    int_pairs = _int_header_pairs
    out = []
    for index, (name, value) in enumerate(dict.items(headers)):
        if found is not None:
            pair = found[index]
            if pair is not None:
                out.append(pair)  # (found above)
                continue
        cls = value.__class__
        if cls is str:
            pair = pairs.get((name, value))
            if pair is not None:
                out.append(pair)
                continue
        if cls is str and value.isascii() and value.isprintable():
            encoded: bytes | None = value.encode("ascii")
            name_bytes = names.get(name)
            if name_bytes is not None and name in _VOLATILE_NAMES:
                out.append((name_bytes, encoded))  # type: ignore[arg-type]
                continue
            if name_bytes is not None:
                if len(pairs) >= 512:
                    pairs.clear()
                known = pairs[name, value] = (name_bytes, value.encode("ascii"))
                out.append(known)
                continue
        elif cls is int:
            pair = int_pairs.get((name, value))
            if pair is not None:
                out.append(pair)  # a Content-Length seen before
                continue
            encoded = str(value).encode("ascii")
            name_bytes = names.get(name)
            if name_bytes is not None:
                if len(int_pairs) >= 512:
                    int_pairs.clear()
                known = int_pairs[name, value] = (name_bytes, encoded)
                out.append(known)
                continue
        else:
            encoded = None
        name_bytes = names.get(name)
        if name_bytes is None or encoded is None:
            ((name_bytes, encoded),) = headers.encode_header_items([(name, value)])
            if name.__class__ is str and len(names) < 256:
                names[name] = name_bytes
        out.append((name_bytes, encoded))
    return out


_ABSENT: Any = object()


def _output_with_length(headers: HeaderMap, length: int) -> list[tuple[bytes, bytes]]:
    """:func:`_output` of ``headers`` whose last key is ``Content-Length``, just set to the
    int ``length`` (what :meth:`Response.finalize` adds): the cached pairs of the other
    headers, then the length's."""
    try:
        found = list(map(_header_pairs.get, dict.items(headers)))
    except TypeError:
        return _output(headers)  # an unhashable value: encoded there
    if found[-1] is None and found.count(None) == 1:
        pair = _int_header_pairs.get(("Content-Length", length))
        if pair is not None:
            found[-1] = pair
            return found  # type: ignore[return-value]
    return _output(headers)


# (second, its HTTP date, the default headers with that date) for the current second
_date_of_second: tuple[int | None, str, dict[str, str]] = (None, "", {})


def _remember_date(now: float, second: int) -> str:
    """``http_date(now)``, remembered for ``second`` unless ``now`` is so close to the next
    second that rounding to microseconds (as ``http_date`` does) would reach it."""
    global _date_of_second
    text = http_date(now)
    if 0 <= now - second < 0.999:
        _date_of_second = (second, text, {**_DEFAULT_HEADERS, "Date": text})
    return text


class _HeaderListOnDemand:
    """Descriptor for ``response.header_list``: None on the class and until the response is
    finalized; :meth:`Response.finalize` stores the list itself, and a response the lane
    finalized (which hands the server its native headers directly) has it made from its
    headers on first access.  Not a data descriptor: an assigned list is found first."""

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None or not obj.output_status:
            return None
        header_list = obj.header_list = _output(obj.headers)
        return header_list


class Response:
    """The response: status, headers, cookies and body, finalised into bytes for the server."""

    status: Any = ""
    header_list: list[tuple[bytes, bytes]] | None = _HeaderListOnDemand()  # type: ignore[assignment]
    body = ResponseBody()
    time: float | None = None
    timeout = 300
    timed_out = False
    stream = False
    output_status: bytes = b""
    cookie = LazyCookie()
    _has_cookie_state = False  # see LazyCookie: True once this response has cookie state

    def __init__(self) -> None:
        self.status = None  # header_list stays the class default (None) until finalize
        self._body: Any = []
        self.time = now = time.time()
        headers = self.headers = dict.__new__(HeaderMap)
        cached = _date_of_second
        second = int(now)
        if cached[0] == second and 0 <= now - second < 0.999:
            dict.update(headers, cached[2])  # Content-Type, Server and Date in one go
        else:
            dict.update(headers, _DEFAULT_HEADERS)
            dict.__setitem__(headers, "Date", _remember_date(now, second))

    def collapse_body(self) -> bytes:
        """Join the body into one bytes object (and keep that as the body)."""
        body = self.body
        if isinstance(body, list) and len(body) == 1 and isinstance(body[0], bytes):
            return body[0]
        joined = b"".join(body)
        self.body = joined
        return joined

    def _flush_body(self) -> None:
        """Consume the body without keeping it (discards a streaming generator's output)."""
        for _chunk in self.body:
            pass

    def finalize(self) -> None:
        """Fix the status line, Content-Length and header list before sending."""
        headers = self.headers
        status = self.status
        known = _statuses.get(status) if status.__class__ in _CACHED_STATUS_TYPES else None
        if known is None:
            try:
                code, reason, _ = valid_status(status)
            except ValueError as exc:
                raise HTTPError(500, exc.args[0]) from None
            known = (
                code,
                f"{code} {reason}",
                str(code).encode("ascii") + b" " + headers.encode(reason),
            )
            if reason.isascii() and len(_statuses) < 256:
                _statuses[status] = known
        code, self.status, self.output_status = known
        if self.stream:
            if dict.get(headers, "Content-Length") is None:
                dict.pop(headers, "Content-Length", None)
        elif code < 200 or code in (204, 205, 304):
            dict.pop(headers, "Content-Length", None)
            if code in (204, 304):
                # No content, so no Content-Type either (wsgiref's validator rejects one).
                dict.pop(headers, "Content-Type", None)
            self._flush_body()
            self.body = b""
        elif (given := dict.get(headers, "Content-Length", _ABSENT)) is None or given is _ABSENT:
            body = self._body if self.__class__ is Response else None  # (a subclass may
            # keep its body elsewhere)
            if body.__class__ is list and len(body) == 1 and body[0].__class__ is bytes:
                content = body[0]  # what collapse_body() gives, without the call
            else:
                content = self.collapse_body()
            length = len(content)
            if given is _ABSENT:
                dict.__setitem__(headers, "Content-Length", length)
                header_list = _output_with_length(headers, length)
            else:  # a None value: the key keeps its place
                dict.__setitem__(headers, "Content-Length", length)
                header_list = _output(headers)
            self.header_list = header_list
            if self._has_cookie_state:
                set_cookie_headers(self, header_list, headers.encode)
            return
        self.header_list = header_list = _output(headers)
        if self._has_cookie_state:
            set_cookie_headers(self, header_list, headers.encode)

    def check_timeout(self) -> None:
        """Deprecated in CherryPy; flags the response as timed out when past its deadline."""
        if self.time is not None and time.time() > self.time + self.timeout:
            self.timed_out = True
