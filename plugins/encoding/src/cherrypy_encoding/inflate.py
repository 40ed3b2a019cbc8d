"""Compressed request bodies: ``Content-Encoding: gzip`` (or ``deflate``) inflated with a bound.

When ``tools.gzip`` is on for a path, :func:`inflate_request_body` runs at
``before_request_body``.  A body sent with a content coding it supports is replaced by an
:class:`InflatingReader`, which inflates lazily as the body is read and answers ``413`` as soon
as the inflated size passes ``max_inflated_size``: a small "zip bomb" can never expand into
memory.  Malformed or truncated compressed data gives ``400``.  Codings it does not support
(``br``, stacked codings, ...) and, with ``inflate=False``, every coding give ``415`` with an
``Accept-Encoding`` response header saying what is accepted (RFC 7694).
"""

from __future__ import annotations

import zlib
from typing import Any

from cherrypy.plugin import HTTPError, serving

__all__ = ["DEFAULT_MAX_INFLATED_SIZE", "InflatingReader", "inflate_request_body"]

DEFAULT_MAX_INFLATED_SIZE = 16 * 1024 * 1024
"""The most bytes a compressed request body may inflate to (16 MiB) unless configured."""

_READ_SIZE = 16 * 1024
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_INVALID = "The request body is not valid {coding} data."


class InflatingReader:
    """A file-like reader that inflates a compressed request body as it is read.

    ``raw`` is the request's input stream and ``length`` the compressed length (the
    Content-Length), or None when the body is chunked.  Only ``read`` is offered: the
    kernel's body reader builds everything else on top of it.
    """

    def __init__(self, raw: Any, length: int | None, coding: str, limit: int | None) -> None:
        self.raw = raw
        self.remaining = length
        self.coding = coding
        self.limit = limit
        self.produced = 0
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
            budget = _READ_SIZE if want is None else want - got
            if limit is not None:
                budget = min(budget, limit - self.produced + 1)
            try:
                piece = zobj.decompress(data, budget)
            except zlib.error:
                raise self._invalid() from None
            if piece:
                self.produced += len(piece)
                if limit is not None and self.produced > limit:
                    raise HTTPError(413, f"The request body inflates to more than {limit} bytes.")
                chunks.append(piece)
                got += len(piece)
            self._input = zobj.unconsumed_tail
            if zobj.eof:
                # Another gzip member may follow (RFC 1952 allows several).
                self._input = zobj.unused_data + self._input
                self._zobj = None
            elif not piece and not data:
                raise self._invalid()  # the input ended inside a member: truncated
        return b"".join(chunks)


def inflate_request_body(
    inflate: bool = True, max_inflated_size: int | None = DEFAULT_MAX_INFLATED_SIZE
) -> None:
    """Inflate (or refuse) a compressed request body; installed by ``tools.gzip``."""
    request = serving.request
    header = request.headers.get("Content-Encoding")
    if not header or not request.process_request_body:
        return
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        request.headers.pop("Content-Encoding", None)
        return
    if not inflate or len(codings) != 1 or codings[0] not in _WBITS:
        accepted = "gzip, deflate" if inflate else "identity"
        serving.response.headers["Accept-Encoding"] = accepted
        raise HTTPError(415, f"Unsupported request Content-Encoding {header!r}; use {accepted}.")
    body = request.body
    body.fp = InflatingReader(body.fp, body.length, codings[0], max_inflated_size)
    body.length = None
    request.headers.pop("Content-Encoding", None)
