"""Response compression: :func:`compress`, :func:`decompress` and the ``tools.gzip`` callable.

:func:`gzip` runs at ``before_finalize``.  It negotiates the content coding from the request's
``Accept-Encoding`` field (RFC 9110, section 12.5.3: quality values, ``*`` and ``identity``),
checks the response's media type against ``mime_types`` and compresses:

* a buffered body in one pass, unless it is shorter than ``min_size`` bytes;
* a streaming body (``response.stream``) chunk by chunk, flushing the compressor after each
  chunk so that every piece the handler yields reaches the client at once.

A response that already carries a ``Content-Encoding`` is never compressed twice.  When the
client refuses the identity coding and gzip cannot be used either, the answer is ``406``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cherrypy.lib import set_vary_header
from cherrypy.plugin import HTTPError, serving

__all__ = [
    "DEFAULT_MIME_TYPES",
    "DEFAULT_MIN_SIZE",
    "compress",
    "compress_stream",
    "decompress",
    "gzip",
    "mime_type_matches",
    "negotiate",
]

DEFAULT_MIME_TYPES: tuple[str, ...] = ("text/html", "text/plain")
"""The media types ``tools.gzip`` compresses when ``mime_types`` is not configured."""

DEFAULT_MIN_SIZE = 0
"""Buffered bodies shorter than this many bytes are sent as they are (gzip would not pay)."""

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib writes the gzip header and trailer itself
_AUTO_WBITS = 32 + zlib.MAX_WBITS  # inflate: detect a gzip or a zlib header
_GZIP_CODINGS = frozenset(("gzip", "x-gzip"))


def _compressor(compress_level: int) -> Any:
    return zlib.compressobj(compress_level, zlib.DEFLATED, _GZIP_WBITS)


def compress(body: Iterable[bytes], compress_level: int = 5) -> Iterator[bytes]:
    """Yield ``body`` (an iterable of bytes) as one gzip member (RFC 1952).

    Pieces are produced as the compressor releases them; joined, they form a complete gzip
    stream that :func:`decompress` or :func:`gzip.decompress` reads back.
    """
    zobj = _compressor(compress_level)
    for chunk in body:
        if chunk:
            out = zobj.compress(chunk)
            if out:
                yield out
    yield zobj.flush()


def compress_stream(body: Iterable[bytes], compress_level: int = 5) -> Iterator[bytes]:
    """Like :func:`compress`, but flush after every chunk so nothing waits in the compressor.

    Used for streaming responses: each chunk the handler yields is sent compressed right
    away (at a small cost in ratio), instead of when the compressor's window fills up.
    """
    zobj = _compressor(compress_level)
    sync = zlib.Z_SYNC_FLUSH
    try:
        for chunk in body:
            if chunk:
                yield zobj.compress(chunk) + zobj.flush(sync)
        yield zobj.flush()
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def decompress(body: bytes, max_size: int | None = None) -> bytes:
    """Return the data of the gzip (or zlib) stream ``body``; every member of it.

    With ``max_size``, raise :class:`ValueError` as soon as the output would exceed that
    many bytes, without ever holding more than that in memory.  Malformed or truncated
    input raises :class:`ValueError` too (``zlib.error`` is re-raised as such).
    """
    out: list[bytes] = []
    produced = 0
    data = body
    try:
        while data:
            zobj = zlib.decompressobj(_AUTO_WBITS)
            while True:
                budget = 0 if max_size is None else max_size - produced + 1
                piece = zobj.decompress(data, budget)
                produced += len(piece)
                if max_size is not None and produced > max_size:
                    raise ValueError(f"decompressed data exceeds {max_size} bytes")
                out.append(piece)
                data = zobj.unconsumed_tail
                if zobj.eof or (not data and not piece):
                    break
            if not zobj.eof:
                raise ValueError("compressed data is truncated")
            data = zobj.unused_data
    except zlib.error as exc:
        raise ValueError(f"invalid compressed data: {exc}") from None
    return b"".join(out)


def mime_type_matches(content_type: str, patterns: Sequence[str] | str) -> bool:
    """True if ``content_type`` (parameters ignored) matches one of ``patterns``.

    A pattern is a media type (``text/html``), a whole type (``text/*``, ``*/*``) or a
    structured-syntax suffix (``application/*+json`` matches ``application/ld+json``).
    Comparison is case-insensitive.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    major, slash, minor = media.partition("/")
    if not slash or not major or not minor:
        return False
    if isinstance(patterns, str):
        patterns = (patterns,)
    for pattern in patterns:
        wanted = pattern.split(";", 1)[0].strip().lower()
        if wanted == media or wanted == "*/*":
            return True
        want_major, _, want_minor = wanted.partition("/")
        if want_major != major and want_major != "*":
            continue
        if want_minor == "*":
            return True
        suffix = want_minor[2:] if want_minor.startswith("*+") else None
        if suffix and "+" in minor and minor.rpartition("+")[2] == suffix:
            return True
    return False


def negotiate(elements: Iterable[Any]) -> tuple[float, float | None]:
    """Read ``Accept-Encoding`` elements into ``(gzip_q, identity_q)``.

    ``gzip_q`` is the quality of gzip (``gzip``, ``x-gzip`` or ``*``; 0 when absent).
    ``identity_q`` is the explicit quality of the identity coding (``identity`` or ``*``), or
    ``None`` when the client did not mention it: acceptable, with no preference.  A quality
    value that is not a number raises ``HTTPError(400)``.
    """
    gzip_q: float | None = None
    identity_q: float | None = None
    star_q: float | None = None
    for element in elements:
        coding = element.value.strip().lower()
        q = element.qvalue
        if q != q or q < 0:  # NaN or negative: treat as "not acceptable"
            q = 0.0
        if coding in _GZIP_CODINGS:
            gzip_q = q if gzip_q is None else max(gzip_q, q)
        elif coding == "identity":
            identity_q = q
        elif coding == "*":
            star_q = q
    if gzip_q is None:
        gzip_q = star_q if star_q is not None else 0.0
    if identity_q is None:
        identity_q = star_q
    return gzip_q, identity_q


def _log(debug: bool, message: str) -> None:
    if debug:
        import cherrypy

        cherrypy.log(message, "TOOLS.GZIP")


def _declared_length(headers: Any) -> int | None:
    value = headers.get("Content-Length")
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def gzip(
    compress_level: int = 5,
    mime_types: Sequence[str] | str = DEFAULT_MIME_TYPES,
    debug: bool = False,
    min_size: int = DEFAULT_MIN_SIZE,
) -> None:
    """Gzip the response body when the client accepts it (``tools.gzip``).

    ``mime_types`` lists what to compress (``type/subtype``, ``type/*``, ``type/*+suffix``);
    ``compress_level`` goes from 1 (fast) to 9 (small); buffered bodies shorter than
    ``min_size`` bytes are left alone.  ``Vary: Accept-Encoding`` is always added.  A client
    that refuses ``identity`` and cannot take gzip for this response gets ``406``.
    """
    request = serving.request
    response = serving.response
    set_vary_header(response, "Accept-Encoding")

    if not response.body:
        _log(debug, "No response body")
        return
    if getattr(request, "cached", False):
        _log(debug, "Not gzipping cached response")
        return
    existing = response.headers.get("Content-Encoding")
    if existing and existing.strip().lower() != "identity":
        _log(debug, f"Response already has Content-Encoding {existing!r}")
        return
    elements = request.headers.elements("Accept-Encoding")
    if not elements:
        _log(debug, "No Accept-Encoding")
        return

    try:
        gzip_q, identity_q = negotiate(elements)
    except HTTPError as error:
        # Raising here would run before_finalize again on the error page; answer directly.
        _log(debug, f"Malformed Accept-Encoding: {error}")
        error.set_response()
        return
    identity_ok = identity_q is None or identity_q > 0
    if gzip_q <= 0 or (identity_q is not None and identity_q > gzip_q):
        _log(debug, f"gzip not preferred (gzip q={gzip_q}, identity q={identity_q})")
        if not identity_ok:
            _not_acceptable()
        return
    content_type = response.headers.get("Content-Type", "")
    if not mime_type_matches(content_type, mime_types):
        _log(debug, f"Content-Type {content_type!r} not in mime_types {mime_types!r}")
        if not identity_ok:
            _not_acceptable()
        return

    if response.stream:
        length = _declared_length(response.headers)
        if identity_ok and length is not None and length < min_size:
            _log(debug, f"Streaming body of {length} bytes is below min_size")
            return
        response.body = compress_stream(response.body, compress_level)
    else:
        data = response.collapse_body()
        if identity_ok and len(data) < min_size:
            _log(debug, f"Body of {len(data)} bytes is below min_size")
            return
        zobj = _compressor(compress_level)
        response.body = [zobj.compress(data) + zobj.flush()]
    _log(debug, "Gzipping")
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Content-Length", None)


def _not_acceptable() -> None:
    """Answer 406: the client refuses identity and gzip is not possible."""
    HTTPError(406, "identity, gzip").set_response()
    set_vary_header(serving.response, "Accept-Encoding")
