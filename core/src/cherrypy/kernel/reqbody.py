"""The request entity: reading, limiting and parsing HTTP request bodies.

``cherrypy.request.body`` is a :class:`RequestBody`.  Between the ``before_request_body`` and
``before_handler`` hooks the request calls :meth:`RequestBody.process`, which picks a processor
from :attr:`Entity.processors` by media type (full type first, then the major type) and lets it
turn the body into ``request.params``.  Built-in processors handle
``application/x-www-form-urlencoded``, ``multipart/form-data`` and other ``multipart`` types; any
other body is left unread so the page handler can ``cherrypy.request.body.read()`` it.

Every read goes through a :class:`SizedReader`, which never reads past ``Content-Length`` and
answers ``413`` once more than ``maxbytes`` bytes arrive.  Multipart parts are instances of
:class:`Part`; a part's payload (an upload's too) stays in memory up to
:attr:`Part.maxrambytes` bytes and is spooled to a temporary file beyond that.  Malformed bodies
(bad boundary, truncated stream, oversized part headers) answer ``400``; too many form fields
(:attr:`Entity.maxfields`), parts (:attr:`Entity.maxparts`, nested parts included) or spooled
parts (:attr:`Entity.maxtempfiles`) answer ``413``, instead of failing with 500.

Parsing costs time linear in the body with a small constant, whatever its shape: delimiters
and the preamble are found by regular-expression scans of large buffers, never line by line,
and percent-decoding runs in C (:func:`unquote_plus`).

This module is what ``cherrypy._cpreqbody`` resolves to.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from itertools import islice
from typing import IO, Any
from urllib.parse import unquote, unquote_to_bytes

from cherrypy.kernel.errors import HTTPError
from cherrypy.kernel.httputil import HeaderElement, HeaderMap, parse_header

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "Entity",
    "Part",
    "RequestBody",
    "SizedReader",
    "process_multipart",
    "process_multipart_form_data",
    "process_urlencoded",
    "unquote_plus",
]

DEFAULT_BUFFER_SIZE = io.DEFAULT_BUFFER_SIZE
"""Default size of the chunks a :class:`SizedReader` pulls from the raw stream."""

# RFC 2046 allows 1-70 characters; CherryPy has always accepted up to 201 printable ones.
_BOUNDARY_OK = re.compile(r"[ -~]{0,200}[!-~]")
_SCAN_CHUNK = 64 * 1024  # bytes requested per read while looking for a part delimiter
_MAX_DELIMITER_PADDING = 1024  # whitespace tolerated around a boundary on its line
_PADDING = rb"[ \t\r\x0b\x0c]{0,1024}"  # that whitespace (bytes.strip()'s, minus the LF)
_MAX_NESTING = 8  # multipart entities inside multipart parts, at most this deep
_LATIN1_NAMES = frozenset(("iso-8859-1", "latin-1", "latin1", "iso8859-1", "l1"))


def _undecodable(charsets: list[str]) -> HTTPError:
    """Build the 400 error for a body none of ``charsets`` could decode."""
    return HTTPError(
        400,
        "The request entity could not be decoded. The following charsets were attempted: "
        f"{charsets!r}",
    )


# ---------------------------------------------------------------- header parameters


def _parse_element(line: str) -> HeaderElement:
    """Parse ``token; key=value; ...`` into a HeaderElement (keys lowercased, quotes removed)."""
    if ";" not in line:
        return HeaderElement(line.strip(), {})
    return HeaderElement(*parse_header(line))


def _has_header(headers: Any, name: str) -> bool:
    """``name in headers`` (``name`` title-cased), without a Python call for a HeaderMap."""
    if headers.__class__ is HeaderMap:
        return dict.__contains__(headers, name)
    return name in headers


def _header_getter(headers: Any) -> Callable[..., Any]:
    """``headers.get``; for a :class:`HeaderMap` of its own class (title-cased keys), the
    dict's own ``get`` bound to it, which the title-cased names used here find alike."""
    if headers.__class__ is HeaderMap:
        return functools.partial(dict.get, headers)
    return headers.get  # type: ignore[no-any-return]


def _parse_length(headers: Any, get: Callable[..., Any] | None = None) -> int | None:
    """Return the declared Content-Length, or None when absent, invalid or chunked."""
    if get is None:
        get = headers.get
    raw = get("Content-Length")
    if raw is None or "chunked" in get("Transfer-Encoding", ""):
        return None
    raw = str(raw).strip()
    if raw.isascii() and raw.isdigit():
        return int(raw)
    return None


# ---------------------------------------------------------------- processors


# Percent-decoding in C: ``%`` becomes ``\x`` and codecs.escape_decode does the rest.  A
# malformed escape must stay as it is, so its ``%`` is first replaced by a NUL (after every
# real NUL was escaped), found through a class string where ``P`` marks a ``%`` and ``h`` a
# hex digit: the class and data bytes are interleaved and ``P%`` pairs rewritten, which
# cannot match across pairs because no class byte is ``%``.
_CLASSES = bytes(
    ord("P") if b == 0x25 else ord("h") if chr(b) in "0123456789abcdefABCDEF" else ord(".")
    for b in range(256)
)
_SMALL_UNQUOTE = 32  # fewer escapes than this: urllib's decoder is cheaper


def unquote_plus(bs: bytes) -> bytes:
    """Undo form encoding on bytes: ``+`` becomes a space and ``%XX`` the byte it names.

    Malformed escapes (``%zz``, a trailing ``%``) are kept as they are, as
    :func:`urllib.parse.unquote_to_bytes` keeps them.  Time is linear in ``len(bs)`` with a
    small constant, however many escapes there are.
    """
    if b"+" in bs:
        bs = bs.replace(b"+", b" ")
    escapes = bs.count(b"%")
    if not escapes:
        return bs
    if escapes < _SMALL_UNQUOTE:
        return unquote_to_bytes(bs)
    escaped = bs.replace(b"\\", b"\\\\")
    if b"\x00" in escaped:
        escaped = escaped.replace(b"\x00", b"\\x00")
    classes = escaped.translate(_CLASSES).replace(b"Phh", b"Vhh")
    if b"P" in classes:  # malformed escapes: turn their % into NUL
        pairs = bytearray(2 * len(escaped))
        pairs[0::2] = classes
        pairs[1::2] = escaped
        escaped = bytes(pairs.replace(b"P%", b"P\x00")[1::2])
    escaped = escaped.replace(b"%", b"\\x")
    if b"\x00" in escaped:
        escaped = escaped.replace(b"\x00", b"%")
    decoded: bytes = codecs.escape_decode(escaped)[0]  # type: ignore[attr-defined]
    return decoded


def _add_param(params: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` under ``key``, turning repeated keys into a list of values."""
    if key in params:
        existing = params[key]
        if isinstance(existing, list):
            existing.append(value)
        else:
            params[key] = [existing, value]
    else:
        params[key] = value


def _merge_params(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Add the fields of ``source`` to ``target``; a name in both collects one flat list."""
    if not target:
        target.update(source)
        return
    for key, value in source.items():
        if key not in target:
            target[key] = value
            continue
        existing = target[key]
        if not isinstance(existing, list):
            existing = target[key] = [existing]
        if isinstance(value, list):
            existing.extend(value)
        else:
            existing.append(value)


_FIELD = re.compile(rb"[^&]+")


def _form_fields(raw: bytes, maxfields: int) -> list[bytes]:
    """The non-empty ``&``-separated fields of ``raw``; 413 past ``maxfields`` (0: no limit)."""
    if not maxfields or raw.count(b"&") < maxfields:
        return [field for field in raw.split(b"&") if field]
    fields = [match.group() for match in islice(_FIELD.finditer(raw), maxfields + 1)]
    if len(fields) > maxfields:
        raise HTTPError(413, f"Too many fields in the form body (at most {maxfields}).")
    return fields


def process_urlencoded(entity: Entity) -> None:
    """Parse an ``application/x-www-form-urlencoded`` body into ``entity.params``.

    Fields are separated by ``&`` or ``;``; a field without ``=`` gets an empty value and
    repeated names collect their values in a list.  Each charset of
    ``entity.attempt_charsets`` is tried in turn and the first that decodes every field is
    stored in ``entity.charset``; when none does, 400 is raised.  More than
    ``entity.maxfields`` non-empty fields give 413.
    """
    raw = entity.read() or b""
    if b";" in raw:
        raw = raw.replace(b";", b"&")
    pairs = []
    for field in _form_fields(raw, entity.maxfields):
        key, _, value = field.partition(b"=")
        pairs.append((unquote_plus(key), unquote_plus(value)))

    for charset in entity.attempt_charsets:
        decoded: dict[str, Any] = {}
        try:
            for key, value in pairs:
                _add_param(decoded, key.decode(charset), value.decode(charset))
        except (UnicodeDecodeError, LookupError):
            continue
        entity.charset = charset
        break
    else:
        raise _undecodable(entity.attempt_charsets)

    _merge_params(entity.params, decoded)


@functools.lru_cache(maxsize=64)
def _preamble_delimiter(dash_boundary: bytes) -> re.Pattern[bytes]:
    """A line holding ``dash_boundary`` and whitespace, at the start of a buffer line."""
    return re.compile(rb"(?m)^" + _PADDING + re.escape(dash_boundary) + _PADDING + rb"(?:\n|\Z)")


@functools.lru_cache(maxsize=64)
def _part_delimiter(dash_boundary: bytes) -> re.Pattern[bytes]:
    """A line break, ``dash_boundary``, ``--`` for the last part, whitespace, the line end.

    At the start of a payload the line break is virtual: the pattern is matched against the
    payload with a line break put in front.
    """
    return re.compile(rb"\n" + re.escape(dash_boundary) + rb"(--)?" + _PADDING + rb"(?:\n|\Z)")


def _find_first_delimiter(entity: Entity, dash_boundary: bytes) -> bool:
    """Skip the preamble up to the first ``--boundary`` line; False if there is none.

    The line may have whitespace around the boundary.  The preamble is scanned a buffer at a
    time: its cost is linear whatever it holds (long lines, empty lines, near misses).
    """
    reader = entity._reader()
    buf = reader.buffer
    pattern = _preamble_delimiter(dash_boundary)
    longest = len(dash_boundary) + 2 * _MAX_DELIMITER_PADDING
    at_line_start = True  # whether the buffer begins a line
    eof = False
    while True:
        start = 0 if at_line_start else buf.find(b"\n") + 1
        found = pattern.search(buf, start) if at_line_start or start else None
        if found is not None and (eof or buf[found.end() - 1] == 10):
            reader._take(found.end(), keep=False)
            return True
        if eof:
            reader._take(len(buf), keep=False)
            return False
        # Drop what cannot begin a delimiter line; keep an unfinished line that still may.
        if found is not None:
            keep_from = found.start()
        else:
            keep_from = buf.rfind(b"\n") + 1
            if not (keep_from or at_line_start) or len(buf) - keep_from > longest:
                keep_from = len(buf)
                at_line_start = False
            else:
                at_line_start = True
        if keep_from:
            reader._take(keep_from, keep=False)
        eof = not reader._fill(_SCAN_CHUNK)


class _PartBudget:
    """What the parts of one request body may still use, nested parts included.

    Counts parts against ``maxparts`` and spooled payloads against ``maxtempfiles`` (413
    beyond either; 0 means no limit), and remembers the temporary files so that they can be
    closed when parsing fails.
    """

    __slots__ = ("files", "maxparts", "maxtempfiles", "parts")

    def __init__(self, maxparts: int, maxtempfiles: int) -> None:
        self.maxparts = maxparts
        self.maxtempfiles = maxtempfiles
        self.parts = 0
        self.files: list[IO[bytes]] = []

    def add_part(self) -> None:
        """Count one more part (413 past ``maxparts``)."""
        self.parts += 1
        if self.maxparts and self.parts > self.maxparts:
            raise HTTPError(413, f"Too many parts in the multipart body (at most {self.maxparts}).")

    def add_file(self, make_file: Callable[[], IO[bytes]]) -> IO[bytes]:
        """Return ``make_file()``, counted against ``maxtempfiles`` (413 past it)."""
        if self.maxtempfiles and len(self.files) >= self.maxtempfiles:
            raise HTTPError(
                413,
                "Too many parts of the multipart body need a temporary file "
                f"(at most {self.maxtempfiles}).",
            )
        file = make_file()
        self.files.append(file)
        return file

    def close_files(self) -> None:
        """Close every temporary file made so far (parsing failed)."""
        for file in self.files:
            try:
                file.close()
            except Exception:  # pragma: no cover - a custom make_file's file
                pass
        self.files.clear()


def process_multipart(entity: Entity) -> None:
    """Parse a ``multipart/*`` body into ``entity.parts``, a list of ``entity.part_class``.

    Raises 400 for a missing or invalid boundary, a truncated body or malformed part headers,
    and 413 when the body holds more than ``entity.maxparts`` parts or more than
    ``entity.maxtempfiles`` parts too large for memory (both counted over the whole body,
    nested parts included).
    """
    boundary = entity.content_type.params.get("boundary", "").strip('"')
    if not _BOUNDARY_OK.fullmatch(boundary):
        raise HTTPError(400, f"Invalid boundary in multipart form: {boundary!r}")
    nesting = getattr(entity, "_nesting", 0)
    if nesting >= _MAX_NESTING:
        raise HTTPError(400, "Multipart entities are nested too deeply.")
    dash_boundary = b"--" + boundary.encode("ascii")

    budget = getattr(entity, "_budget", None)
    owner = budget is None
    if budget is None:
        budget = _PartBudget(entity.maxparts, entity.maxtempfiles)
    try:
        reader = entity._reader()
        if not _find_first_delimiter(entity, dash_boundary):
            return
        while True:
            budget.add_part()
            part = entity.part_class.from_fp(reader, dash_boundary)
            part._nesting = nesting + 1
            part._budget = budget
            entity.parts.append(part)
            part.process()
            if reader.done:
                break
    except BaseException:
        if owner:
            budget.close_files()
        raise


def _field_value(part: Part) -> Any:
    """The param value of a part: its text, or the Part itself for uploads and nested parts."""
    if part.filename is None and not part.parts:
        return part.fullvalue()
    return part


def process_multipart_form_data(entity: Entity) -> None:
    """Parse a ``multipart/form-data`` body into ``entity.params``.

    A named part without a filename becomes its decoded text; a named part with a filename
    (or with nested parts) stays a :class:`Part` (with ``.file``/``.value``, ``.filename``,
    ``.content_type`` and ``.parts``).
    Repeated names collect a list.  Parts without a name stay in ``entity.parts``.
    """
    process_multipart(entity)
    unnamed = []
    for part in entity.parts:
        if part.name is None:
            unnamed.append(part)
            continue
        _add_param(entity.params, part.name, _field_value(part))
    entity.parts = unnamed


def _old_process_multipart(entity: Entity) -> None:
    """Parse any ``multipart`` body into ``entity.params`` the way CherryPy 3.2 did.

    Parts are keyed by their name, or by ``"parts"`` when they have none; every part also
    stays in ``entity.parts``.
    """
    process_multipart(entity)
    for part in entity.parts:
        key = "parts" if part.name is None else part.name
        _add_param(entity.params, key, _field_value(part))


# ---------------------------------------------------------------- entities


class Entity:
    """A request body or one MIME part of it: headers, media type, disposition and payload.

    :meth:`process` looks the media type up in :attr:`processors` (full type, then major
    type) and calls the processor with this entity, or :meth:`default_proc` when none
    matches.  Processors may be replaced per request from a hook or tool.
    """

    attempt_charsets: list[str] = ["utf-8"]
    """Charsets tried in order to decode text; a ``charset`` Content-Type parameter goes first."""

    charset: str | None = None
    """The charset that decoded the entity, once one did."""

    content_type: Any = None
    """The parsed Content-Type header (a HeaderElement with ``value`` and ``params``)."""

    default_content_type = "application/x-www-form-urlencoded"
    """The media type assumed when the Content-Type header is missing."""

    filename: str | None = None
    """The ``filename`` (or decoded ``filename*``) of the Content-Disposition header."""

    fp: Any = None
    """The stream the entity is read from."""

    headers: Any = None
    """The header map of the request (for the body) or of the part."""

    length: int | None = None
    """The declared Content-Length, or None (absent, invalid or chunked)."""

    name: str | None = None
    """The ``name`` parameter of the Content-Disposition header."""

    params: dict[str, Any] = None  # type: ignore[assignment]  # set per instance
    """Fields a processor pulled from the body (the body's share of ``request.params``)."""

    processors: dict[str, Callable[[Entity], Any]] = {
        "application/x-www-form-urlencoded": process_urlencoded,
        "multipart/form-data": process_multipart_form_data,
        "multipart": process_multipart,
    }
    """Processors by media type or major type; each instance gets its own copy."""

    parts: list[Any] = None  # type: ignore[assignment]  # set per instance
    """The parts of a multipart entity."""

    part_class: type[Part]
    """The class instantiated for each multipart part (replaceable by a subclass)."""

    maxparts = 1000
    """The most parts a multipart entity may hold, nested parts included (413 beyond; 0: no
    limit)."""

    maxfields = 10000
    """The most non-empty fields a urlencoded entity may hold (413 beyond; 0: no limit)."""

    maxtempfiles = 100
    """The most parts of a multipart entity spooled to temporary files, nested parts included:
    each holds a file descriptor until the request ends (413 beyond; 0: no limit).  Parts of
    at most :attr:`Part.maxrambytes` bytes stay in memory and do not count."""

    file: IO[bytes] | None = None
    """A file holding the payload, when it was read into one."""

    value: bytes | None = None
    """The raw payload, when it was read into memory."""

    _nesting = 0

    def __init__(
        self,
        fp: Any,
        headers: Any,
        params: dict[str, Any] | None = None,
        parts: list[Any] | None = None,
    ) -> None:
        self.processors = self.processors.copy()
        self.fp = fp
        self.headers = headers
        self.params = {} if params is None else params
        self.parts = [] if parts is None else parts

        get = _header_getter(headers)
        self.content_type = _parse_element(get("Content-Type") or self.default_content_type)
        charset = self.content_type.params.get("charset")
        if charset:
            self.attempt_charsets = [charset] + [c for c in self.attempt_charsets if c != charset]
        else:
            self.attempt_charsets = self.attempt_charsets[:]

        self.length = _parse_length(headers, get)

        self.name = None
        self.filename = None
        disposition = get("Content-Disposition")
        if disposition:
            self._parse_disposition(disposition)

    def _parse_disposition(self, disposition: str) -> None:
        """Fill :attr:`name` and :attr:`filename` from a Content-Disposition value."""
        params = _parse_element(disposition).params
        if "name" in params:
            self.name = params["name"]
        if "filename" in params:
            self.filename = params["filename"]
        extended = params.get("filename*")
        if extended:
            pieces = extended.split("'", 2)  # RFC 5987: charset'language'percent-encoded
            if len(pieces) == 3:
                try:
                    self.filename = unquote(pieces[2], pieces[0] or "utf-8")
                except LookupError:
                    pass

    def _reader(self) -> SizedReader:
        """Return :attr:`fp` as a SizedReader, wrapping a raw stream on first use."""
        fp = self.fp
        if isinstance(fp, SizedReader):
            return fp
        reader = self.fp = SizedReader(fp, self.length, None)
        return reader

    def read(self, size: int | None = None, fp_out: IO[bytes] | None = None) -> bytes | None:
        """Read up to ``size`` bytes (all when None); with ``fp_out``, write them there."""
        return self._reader().read(size, fp_out)

    def readline(self, size: int | None = None) -> bytes:
        """Read one line (at most ``size`` bytes) including its line ending."""
        return self._reader().readline(size)

    def readlines(self, sizehint: int | None = None) -> list[bytes]:
        """Read the remaining lines (stopping once about ``sizehint`` bytes were read)."""
        return self._reader().readlines(sizehint)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def next(self) -> bytes:
        """Return the next line (the old iterator protocol name)."""
        return self.__next__()

    def read_into_file(self, fp_out: IO[bytes] | None = None) -> IO[bytes]:
        """Read the rest of the entity into ``fp_out`` (a new :meth:`make_file` if None)."""
        if fp_out is None:
            fp_out = self.make_file()
        self.read(fp_out=fp_out)
        return fp_out

    def make_file(self) -> IO[bytes]:
        """Return the writable binary file large payloads are spooled into."""
        return tempfile.TemporaryFile()

    def fullvalue(self) -> str:
        """Return the whole payload decoded to text, whether it sits in a file or in memory."""
        if self.file is not None:
            self.file.seek(0)
            raw = self.file.read()
            self.file.seek(0)
        elif self.value is not None:
            raw = self.value
        else:
            raw = self._read_payload()
        return self.decode_entity(raw)

    def _read_payload(self) -> bytes:
        """Read an unprocessed payload into :attr:`value` and return it."""
        self.value = self.read() or b""
        return self.value

    def decode_entity(self, value: bytes) -> str:
        """Decode ``value`` with the first of :attr:`attempt_charsets` that works (else 400)."""
        for charset in self.attempt_charsets:
            try:
                text = value.decode(charset)
            except (UnicodeDecodeError, LookupError):
                continue
            self.charset = charset
            return text
        raise _undecodable(self.attempt_charsets)

    def _find_processor(self) -> Callable[[Entity], Any] | None:
        """Return the processor for the media type, trying the major type second."""
        media_type = self.content_type.value
        processors = self.processors
        proc = processors.get(media_type)
        if proc is None:
            proc = processors.get(media_type.split("/", 1)[0])
            if proc is None and not media_type.islower():
                media_type = media_type.lower()
                proc = processors.get(media_type) or processors.get(media_type.split("/", 1)[0])
        return proc

    def process(self) -> None:
        """Run the processor matching the media type, or :meth:`default_proc`."""
        proc = self._find_processor()
        if proc is None:
            self.default_proc()
        else:
            proc(self)

    def default_proc(self) -> None:
        """Handle an entity no processor claims: leave it unread for the page handler."""


class Part(Entity):
    """One part of a multipart entity, read from the shared stream up to its delimiter."""

    attempt_charsets = ["us-ascii", "utf-8"]
    """Charsets tried for the part's text (MIME text defaults to US-ASCII)."""

    boundary: bytes | None = None
    """The delimiter line that ends this part (``--`` plus the boundary), as bytes."""

    default_content_type = "text/plain"
    """MIME parts without a Content-Type are plain text."""

    maxrambytes = 1000
    """Payloads larger than this are spooled to :meth:`make_file` rather than kept in memory
    (uploads too: a smaller one is a file-like object in memory)."""

    maxheaderbytes = 8 * 1024
    """The most bytes a part's header block may take before 400 is raised."""

    maxheaderlines = 100
    """The most lines a part's header block may hold before 400 is raised."""

    _budget: _PartBudget | None = None

    def __init__(self, fp: Any, headers: Any, boundary: bytes) -> None:
        super().__init__(fp, headers)
        self.boundary = boundary
        self.file = None
        self.value = None

    @classmethod
    def from_fp(cls, fp: Any, boundary: bytes) -> Part:
        """Read a part's headers from ``fp`` and return the part, ready to :meth:`process`."""
        return cls(fp, cls.read_headers(fp), boundary)

    @classmethod
    def read_headers(cls, fp: Any) -> HeaderMap:
        """Read a part's header block (up to the blank line) into a HeaderMap.

        Lines may end in CRLF or LF; folded lines continue the previous header and repeated
        headers are joined with ``", "``.  More than :attr:`maxheaderbytes` bytes or
        :attr:`maxheaderlines` lines give 400.
        """
        collected: dict[str, tuple[str, list[str]]] = {}  # lowercased name: (name, values)
        budget = cls.maxheaderbytes
        lines = cls.maxheaderlines
        last: list[str] | None = None
        while True:
            line = fp.readline(budget) if budget > 0 else b""
            budget -= len(line)
            if not line.endswith(b"\n"):
                if budget <= 0:
                    raise HTTPError(400, "Multipart part headers are too large.")
                raise HTTPError(400, "Illegal end of headers.")
            line = line.rstrip(b"\r\n")
            if not line:
                break
            lines -= 1
            if lines < 0:
                raise HTTPError(400, "Multipart part headers have too many lines.")
            if line[0] in b" \t":
                if last is None:
                    raise HTTPError(400, "Illegal continuation line in multipart headers.")
                last.append(line.strip().decode("iso-8859-1"))
                continue
            raw_key, sep, raw_value = line.partition(b":")
            key = raw_key.strip().decode("iso-8859-1")
            if not sep or not key:
                raise HTTPError(400, "Illegal header line in multipart headers.")
            entry = collected.get(key.lower())
            if entry is None:
                entry = collected[key.lower()] = (key, [])
            last = entry[1]
            last.append(raw_value.strip().decode("iso-8859-1"))
        headers = HeaderMap()
        for key, values in collected.values():
            while len(values) > 1 and not values[0]:
                del values[0]  # an empty first value is replaced, as CherryPy does
            headers[key] = ", ".join(values)
        return headers

    def _iter_to_boundary(self) -> Iterator[bytes]:
        """Yield the payload in chunks, consuming the stream up to this part's delimiter.

        The delimiter is a line equal to the boundary (or the boundary plus ``--`` for the
        last part), optionally followed by whitespace; the line break before it belongs to
        the delimiter.  The search is one regular-expression scan of the reader's buffer per
        read, so bytes after the delimiter line stay there for the next part and near misses
        cost nothing more.  The closing delimiter finishes the reader.
        """
        reader = self._reader()
        buf = reader.buffer
        dash_boundary = self.boundary or b""
        pattern = _part_delimiter(dash_boundary)
        tail = len(dash_boundary) + 3  # "\n--boundary-" may still become a delimiter
        eof = False
        # The payload may begin with its delimiter (an empty payload with no line break):
        # read until that is decided, and no further (reading to the end finishes the reader).
        size = len(dash_boundary)
        longest = size + _MAX_DELIMITER_PADDING + 3
        while not eof and dash_boundary.startswith(buf[:size]):
            if len(buf) >= longest or (len(buf) > size and b"\n" in buf[size:longest]):
                break
            eof = not reader._fill(_SCAN_CHUNK)
        if buf.startswith(dash_boundary):
            found = pattern.match(b"\n" + bytes(buf[:longest]))
            if found is not None and (eof or found.group().endswith(b"\n")):
                reader._take(found.end() - 1, keep=False)
                if found.group(1):
                    reader.finish()
                return
        start = 0
        while True:
            found = pattern.search(buf, start)
            if found is not None and (eof or buf[found.end() - 1] == 10):
                end = found.start()
                if end and buf[end - 1] == 13:
                    end -= 1
                last = found.group(1) is not None  # read before the buffer changes
                if end:
                    yield reader._take(end)
                reader._take(found.end() - end, keep=False)
                if last:
                    reader.finish()
                return
            if eof:
                raise HTTPError(400, "Illegal end of multipart body.")
            # Everything before ``cut`` is payload: no delimiter can start there any more.
            cut = found.start() if found is not None else len(buf) - tail
            if cut > 0 and buf[cut - 1] == 13:
                cut -= 1
            if cut > 0:
                yield reader._take(cut)
            start = 0 if found is not None else max(0, len(buf) - tail)
            eof = not reader._fill(_SCAN_CHUNK)

    def _new_file(self) -> IO[bytes]:
        """Return :meth:`make_file`, counted against the request's ``maxtempfiles``."""
        budget = self._budget
        if budget is None:
            return self.make_file()
        return budget.add_file(self.make_file)

    def read_lines_to_boundary(self, fp_out: IO[bytes] | None = None) -> Any:
        """Read the payload up to the delimiter.

        Without ``fp_out`` return the bytes, or a file (rewound) once the payload outgrows
        :attr:`maxrambytes`.  With ``fp_out`` write the payload there and return it rewound.
        """
        if fp_out is None:
            chunks: list[bytes] = []
            held = 0
            limit = self.maxrambytes
            chunk_iter = self._iter_to_boundary()
            for data in chunk_iter:
                chunks.append(data)
                held += len(data)
                if held > limit:
                    fp_out = self._new_file()
                    fp_out.write(b"".join(chunks))
                    break
            else:
                return b"".join(chunks)
            for data in chunk_iter:
                fp_out.write(data)
        else:
            for data in self._iter_to_boundary():
                fp_out.write(data)
        fp_out.seek(0)
        return fp_out

    def _custom_storage(self) -> bool:
        """Whether a subclass decides where uploads go (it overrides ``make_file`` or
        ``read_into_file``): then every upload is read with :meth:`read_into_file`."""
        cls = type(self)
        return (
            cls.make_file is not Entity.make_file or cls.read_into_file is not Part.read_into_file
        )

    def _read_upload(self) -> IO[bytes]:
        """Read an upload's payload into a file-like object, rewound.

        Up to :attr:`maxrambytes` bytes it stays in memory, in a
        :class:`tempfile.SpooledTemporaryFile` (which moves to disk if ``fileno()`` is asked
        for); beyond, it goes to :meth:`make_file`.
        """
        if self._custom_storage():
            return self.read_into_file()
        payload = self.read_lines_to_boundary()
        if not isinstance(payload, bytes):
            return payload  # type: ignore[no-any-return]
        size = max(self.maxrambytes, len(payload))
        spool: Any = tempfile.SpooledTemporaryFile(max_size=size)  # noqa: SIM115
        spool.write(payload)
        spool.seek(0)
        return spool  # type: ignore[no-any-return]

    def default_proc(self) -> None:
        """Read the payload: into :attr:`file` when the part names a filename, else into
        :attr:`value` up to :attr:`maxrambytes` bytes and :attr:`file` beyond."""
        if self.filename:
            self.file = self._read_upload()
            return
        result = self.read_lines_to_boundary()
        if isinstance(result, bytes):
            self.value = result
        else:
            self.file = result

    def read_into_file(self, fp_out: IO[bytes] | None = None) -> IO[bytes]:
        """Read the payload into ``fp_out`` (a new :meth:`make_file` if None), rewound."""
        if fp_out is None:
            fp_out = self._new_file()
        self.read_lines_to_boundary(fp_out=fp_out)
        return fp_out

    def _read_payload(self) -> bytes:
        self.default_proc()
        if self.file is not None:
            raw = self.file.read()
            self.file.seek(0)
            return raw
        return self.value or b""

    def process(self) -> None:
        """Read the payload, then run the processor for the part's media type over it.

        A processor sees only this part's bytes: they are read up to the delimiter first,
        kept in :attr:`value` or :attr:`file`, and :attr:`fp` becomes a reader over them.
        """
        proc = self._find_processor()
        if proc is None:
            self.default_proc()
            return
        payload = self._read_upload() if self.filename else self.read_lines_to_boundary()
        if isinstance(payload, bytes):
            self.value = payload
            stream: Any = io.BytesIO(payload)
            size = len(payload)
        else:
            self.file = stream = payload
            size = payload.seek(0, io.SEEK_END)
            payload.seek(0)
        self.fp = SizedReader(stream, size, None)
        proc(self)
        if self.file is not None:
            self.file.seek(0)


Entity.part_class = Part


class SizedReader:
    """A reader over the raw request stream that honours the declared length and maxbytes.

    It never asks the raw stream for bytes past ``length`` (when known), raises 413 once more
    than ``maxbytes`` bytes were consumed, and lets parsers push bytes back with
    :meth:`unread`.  ``done`` turns true when the end of the body was reached.
    """

    def __init__(
        self,
        fp: Any,
        length: int | None,
        maxbytes: int | None,
        bufsize: int = DEFAULT_BUFFER_SIZE,
        has_trailers: bool = False,
    ) -> None:
        self.fp = fp
        self.length = length
        self.maxbytes = maxbytes
        self.buffer = bytearray()
        self.bufsize = bufsize
        self.bytes_read = 0
        self.done = False
        self.has_trailers = has_trailers
        self.trailers: dict[bytes, bytes] = {}

    def _consumed(self, count: int) -> None:
        """Count ``count`` more bytes as read, raising 413 past ``maxbytes``."""
        self.bytes_read += count
        if self.maxbytes and self.bytes_read > self.maxbytes:
            raise HTTPError(413)

    def _read_raw(self, size: int) -> bytes:
        """Read from the raw stream, turning a server's size-limit error into 413."""
        try:
            return self.fp.read(size)
        except Exception as exc:
            _raise_for_server_error(exc)
            raise

    def read(self, size: int | None = None, fp_out: IO[bytes] | None = None) -> bytes | None:
        """Read up to ``size`` bytes (everything left when None).

        Return them, or write them to ``fp_out`` and return None.  Fewer bytes come back
        when the body ends first.
        """
        if size is not None and size < 0:
            size = None
        if self.length is None:
            remaining: float = float("inf") if size is None else size
        else:
            left = self.length - self.bytes_read
            if left <= 0:
                self.finish()
                return None if fp_out is not None else b""
            remaining = left if size is None or size > left else size

        chunks = []
        buffer = self.buffer
        if buffer and remaining > 0:
            if remaining >= len(buffer):
                data = bytes(buffer)
                buffer.clear()
            else:
                count = int(remaining)
                data = bytes(buffer[:count])
                del buffer[:count]
            self._consumed(len(data))
            remaining -= len(data)
            if fp_out is None:
                chunks.append(data)
            else:
                fp_out.write(data)

        bufsize = self.bufsize
        while remaining > 0:
            data = self._read_raw(bufsize if remaining > bufsize else int(remaining))
            if not data:
                self.finish()
                break
            self._consumed(len(data))
            remaining -= len(data)
            if fp_out is None:
                chunks.append(data)
            else:
                fp_out.write(data)

        if fp_out is not None:
            return None
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)

    def _fill(self, size: int) -> bool:
        """Append up to ``size`` more bytes of the body to the buffer; False at its end."""
        if self.length is not None:
            size = min(size, self.length - self.bytes_read - len(self.buffer))
        data = self._read_raw(size) if size > 0 else b""
        if not data:
            self.finish()
            return False
        self.buffer += data
        return True

    def _take(self, count: int, keep: bool = True) -> Any:
        """Consume ``count`` buffered bytes; return them (as a bytearray) when ``keep``."""
        buffer = self.buffer
        data = buffer[:count] if keep else None
        del buffer[:count]
        self._consumed(count)
        return data

    def unread(self, data: bytes) -> None:
        """Push ``data`` back so the next read returns it first."""
        if data:
            self.buffer[0:0] = data
            self.bytes_read -= len(data)
            self.done = False

    def readline(self, size: int | None = None) -> bytes:
        """Read one line including its ``\\n`` (at most ``size`` bytes when given)."""
        if size is not None and size < 0:
            size = None
        buffer = self.buffer
        if buffer:
            newline = buffer.find(b"\n", 0, size)
            if newline >= 0:
                return self.read(newline + 1) or b""
            if size is not None and len(buffer) >= size:
                return self.read(size) or b""
        chunks = []
        while size is None or size > 0:
            data = self.read(self.bufsize if size is None else min(size, self.bufsize))
            if not data:
                break
            newline = data.find(b"\n") + 1
            if newline:
                chunks.append(data[:newline])
                self.unread(data[newline:])
                break
            chunks.append(data)
            if size is not None:
                size -= len(data)
        return b"".join(chunks)

    def readlines(self, sizehint: int | None = None) -> list[bytes]:
        """Read lines until the body ends or about ``sizehint`` bytes were read."""
        if self.length is not None:
            left = self.length - self.bytes_read
            sizehint = left if sizehint is None else min(sizehint, left)
        lines = []
        seen = 0
        while True:
            line = self.readline()
            if not line:
                break
            lines.append(line)
            seen += len(line)
            if sizehint is not None and seen >= sizehint:
                break
        return lines

    def finish(self) -> None:
        """Mark the body as fully read and collect chunked trailers the stream offers."""
        self.done = True
        if not self.has_trailers or not hasattr(self.fp, "read_trailer_lines"):
            return
        trailers = self.trailers = {}
        last_key = None
        try:
            for line in self.fp.read_trailer_lines():
                if line[:1] in (b" ", b"\t"):
                    if last_key is None:
                        raise HTTPError(400, "Illegal trailer line.")
                    key, value = last_key, line.strip()
                else:
                    raw_key, sep, raw_value = line.partition(b":")
                    if not sep:
                        raise HTTPError(400, "Illegal trailer line.")
                    key, value = raw_key.strip().title(), raw_value.strip()
                existing = trailers.get(key)
                trailers[key] = existing + b", " + value if existing else value
                last_key = key
        except Exception as exc:
            _raise_for_server_error(exc)
            raise


def _raise_for_server_error(exc: BaseException) -> None:
    """Turn a server's body-reading error into its HTTP status (by name: any server).

    ``MaxSizeExceeded`` (cheroot's name; ``args[1]`` is the limit) is a 413; ``BodyTimeout``
    (a body too slow for the server's deadline or minimum rate) is a 408.
    """
    name = type(exc).__name__
    if name == "MaxSizeExceeded":
        limit = exc.args[1] if len(exc.args) > 1 else None
        raise HTTPError(413, f"Maximum request length: {limit!r}") from None
    if name == "BodyTimeout":
        raise HTTPError(408, "The request body was not received in time.") from None


class RequestBody(Entity):
    """The entity of the HTTP request, ``cherrypy.request.body``.

    ``request_params`` is the request's ``params`` dict: :meth:`process` merges the fields it
    parsed into it.  A body without a Content-Type header is not parsed at all.
    """

    bufsize = 8 * 1024
    """Size of the chunks read from the raw stream."""

    default_content_type = ""
    """No media type is assumed: a body without Content-Type is left unread."""

    maxbytes: int | None = None
    """Answer 413 when the body declares or delivers more bytes than this (None: no limit)."""

    def __init__(
        self,
        fp: Any,
        headers: Any,
        params: dict[str, Any] | None = None,
        request_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(fp, headers, params)
        if self.content_type.value.startswith("text/") and not any(
            c.lower() in _LATIN1_NAMES for c in self.attempt_charsets
        ):
            # HTTP/1.1 (RFC 2616, 3.7.1): text without a charset defaults to ISO-8859-1.
            self.attempt_charsets.append("ISO-8859-1")
        self.processors["multipart"] = _old_process_multipart
        self.request_params = {} if request_params is None else request_params

    def _reader(self) -> SizedReader:
        """Return :attr:`fp` as a SizedReader bounded by Content-Length and :attr:`maxbytes`."""
        fp = self.fp
        if isinstance(fp, SizedReader):
            return fp
        reader = self.fp = SizedReader(
            fp,
            self.length,
            self.maxbytes,
            bufsize=self.bufsize,
            has_trailers=_has_header(self.headers, "Trailer"),
        )
        return reader

    def process(self) -> None:
        """Parse the body by media type and merge the fields into the request's params.

        Raises 411 when the request has neither Content-Length nor Transfer-Encoding, and 413
        when the declared length already exceeds :attr:`maxbytes`.
        """
        headers = self.headers
        if not _has_header(headers, "Content-Length") and not _has_header(
            headers, "Transfer-Encoding"
        ):
            raise HTTPError(411)
        if self.maxbytes and self.length is not None and self.length > self.maxbytes:
            raise HTTPError(413)
        self._reader()
        super().process()

        _merge_params(self.request_params, self.params)
