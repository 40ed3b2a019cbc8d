"""Compressed request bodies: ``Content-Encoding: gzip`` (or ``deflate``), inflated on request.

Inflating request bodies is **opt-in**: with ``tools.gzip.inflate = True`` on a path,
:func:`inflate_request_body` runs at ``before_request_body`` and a body sent with a content
coding it supports is replaced by an :class:`InflatingReader`, which inflates lazily as the
body is read.  The inflated size counts against the body limits, never the compressed one:
``413`` as soon as it passes ``max_inflated_size``, ``request.body.maxbytes`` or
``server.max_request_body_size``, or grows more than ``max_inflate_ratio`` times larger than
the compressed bytes read so far, so a small "zip bomb" never expands past a limit, in memory
or in CPU.  Malformed or truncated compressed data gives ``400``.  Codings it does not support
(``br``, stacked codings, ...) give ``415`` with an ``Accept-Encoding`` response header saying
what is accepted (RFC 7694).

Without ``inflate`` (the default, as in CherryPy, which never inflates request bodies) the body
and its ``Content-Encoding`` header reach the handler untouched.
"""

from __future__ import annotations

import zlib
from typing import Any

from cherrypy.plugin import HTTPError, serving

__all__ = [
    "DEFAULT_MAX_INFLATED_SIZE",
    "DEFAULT_MAX_INFLATE_RATIO",
    "InflatingReader",
    "inflate_request_body",
]

DEFAULT_MAX_INFLATED_SIZE = 16 * 1024 * 1024
"""The most bytes a compressed request body may inflate to (16 MiB) unless configured."""

DEFAULT_MAX_INFLATE_RATIO = 100
"""How many times larger than its compressed bytes a body may inflate, unless configured."""

RATIO_ALLOWANCE = 64 * 1024
"""Inflated bytes always allowed whatever the ratio, so small bodies are never refused."""

_READ_SIZE = 16 * 1024
_MAX_STEP = 64 * 1024  # inflated bytes produced per zlib call: the limits are checked between
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_INVALID = "The request body is not valid {coding} data."


class InflatingReader:
    """A file-like reader that inflates a compressed request body as it is read.

    ``raw`` is the request's input stream and ``length`` the compressed length (the
    Content-Length), or None when the body is chunked.  ``limit`` bounds the inflated size
    and ``ratio`` the inflated size over the compressed bytes consumed (past the first
    :data:`RATIO_ALLOWANCE` bytes); either may be None for no bound, and going over one
    raises 413.  Only ``read`` is offered: the kernel's body reader builds everything else on
    top of it.
    """

    def __init__(
        self,
        raw: Any,
        length: int | None,
        coding: str,
        limit: int | None,
        ratio: float | None = DEFAULT_MAX_INFLATE_RATIO,
    ) -> None:
        self.raw = raw
        self.remaining = length
        self.coding = coding
        self.limit = limit
        self.ratio = ratio
        self.produced = 0
        self.received = 0
        self._wbits = _WBITS[coding]
        self._zobj: Any = None
        self._input = b""
        self._raw_done = False
        self._finished = False

    def _read_raw(self) -> bytes:
        if self._raw_done:
            return b""
        size = _READ_SIZE
        if self.remaining is not None:
            size = min(size, self.remaining)
            if size <= 0:
                self._raw_done = True
                return b""
        data = self.raw.read(size)
        if not data:
            self._raw_done = True
            return b""
        if self.remaining is not None:
            self.remaining -= len(data)
        self.received += len(data)
        return data

    def _new_member(self, data: bytes) -> Any:
        wbits = self._wbits
        if self.coding == "deflate" and len(data) >= 2:
            # "deflate" should be a zlib stream, but some clients send raw deflate data.
            cmf, flg = data[0], data[1]
            if cmf & 0x0F != 8 or (cmf * 256 + flg) % 31:
                wbits = -zlib.MAX_WBITS
        return zlib.decompressobj(wbits)

    def _invalid(self) -> HTTPError:
        return HTTPError(400, _INVALID.format(coding=self.coding))

    def _check(self) -> None:
        """Raise 413 when the inflated size passes the limit or the ratio."""
        produced = self.produced
        limit = self.limit
        if limit is not None and produced > limit:
            raise HTTPError(413, f"The request body inflates to more than {limit} bytes.")
        ratio = self.ratio
        if ratio and produced > RATIO_ALLOWANCE:
            consumed = self.received - len(self._input)
            if produced > ratio * consumed:
                raise HTTPError(
                    413, f"The request body inflates more than {ratio:g} times its size."
                )

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` inflated bytes (everything left when negative or None)."""
        want = None if size is None or size < 0 else size
        chunks: list[bytes] = []
        got = 0
        limit = self.limit
        while not self._finished and (want is None or got < want):
            data = self._input or self._read_raw()
            zobj = self._zobj
            if zobj is None:
                if not data:
                    self._finished = True  # every member (or an empty body) was read
                    break
                zobj = self._zobj = self._new_member(data)
            budget = _MAX_STEP if want is None else min(want - got, _MAX_STEP)
            if limit is not None:
                budget = min(budget, limit - self.produced + 1)
            try:
                piece = zobj.decompress(data, budget)
            except zlib.error:
                raise self._invalid() from None
            self._input = zobj.unconsumed_tail
            if zobj.eof:
                # Another gzip member may follow (RFC 1952 allows several).
                self._input = zobj.unused_data + self._input
                self._zobj = None
            if piece:
                self.produced += len(piece)
                self._check()
                chunks.append(piece)
                got += len(piece)
            elif not data and self._zobj is not None:
                raise self._invalid()  # the input ended inside a member: truncated
        return b"".join(chunks)


def _server_limit() -> int | None:
    """``server.max_request_body_size`` (None when unset, 0 or unknown)."""
    import cherrypy

    limit = getattr(getattr(cherrypy, "server", None), "max_request_body_size", None)
    return limit if isinstance(limit, int) and limit > 0 else None


def inflate_request_body(
    inflate: bool = False,
    max_inflated_size: int | None = DEFAULT_MAX_INFLATED_SIZE,
    max_inflate_ratio: float | None = DEFAULT_MAX_INFLATE_RATIO,
) -> None:
    """Inflate a compressed request body when ``inflate`` is on; installed by ``tools.gzip``.

    The inflated body is bounded by the smallest of ``max_inflated_size``,
    ``request.body.maxbytes`` (counted by the body reader on inflated bytes) and
    ``server.max_request_body_size``, and by ``max_inflate_ratio``; 413 past any of them.
    """
    if not inflate:
        return
    request = serving.request
    header = request.headers.get("Content-Encoding")
    if not header or not request.process_request_body:
        return
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        request.headers.pop("Content-Encoding", None)
        return
    if len(codings) != 1 or codings[0] not in _WBITS:
        serving.response.headers["Accept-Encoding"] = "gzip, deflate"
        raise HTTPError(415, f"Unsupported request Content-Encoding {header!r}; use gzip, deflate.")
    limits = [n for n in (max_inflated_size, _server_limit()) if n is not None]
    body = request.body
    body.fp = InflatingReader(
        body.fp, body.length, codings[0], min(limits) if limits else None, max_inflate_ratio
    )
    body.length = None
    request.headers.pop("Content-Encoding", None)
