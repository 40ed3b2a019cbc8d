"""HTTP protocol helpers: header maps and elements, statuses, ranges, query strings, dates.

This module backs ``cherrypy.lib.httputil``; every public name of CherryPy 18's module exists
here with the same signature. Where CherryPy would crash on hostile input or emit an unsafe
response, this module deliberately differs, and each difference is stated in the docstring of
the function concerned:

* ``HeaderMap.output()`` refuses (``ValueError``) header values holding CR, LF or NUL and
  header names that are not RFC 9110 tokens, instead of silently editing them.
* ``get_ranges()`` follows RFC 9110 section 14 for odd ``Range`` headers instead of raising.
* ``header_elements()``, ``parse_query_string()`` and ``decode_TEXT_maybe()`` never crash on
  garbage coming from the network.

Malformed input makes these helpers raise ``ValueError`` (or a subclass such as
``UnicodeDecodeError``) and nothing else, with one inherited exception:
``AcceptElement.qvalue`` answers a malformed ``q`` parameter with ``HTTPError(400)``.
"""

from __future__ import annotations

import binascii
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote_plus

from cherrypy.kernel import errors as _errors
from cherrypy.kernel.errors import HTTPError
from cherrypy.kernel.httpdate import HTTPDate, http_date, parse_http_date
from cherrypy.kernel.status import response_codes, valid_status

_UNSAFE_CHARS = re.compile("[\r\n\x00]")

__all__ = [
    "RE_HEADER_SPLIT",
    "AcceptElement",
    "CaseInsensitiveDict",
    "HTTPDate",
    "HeaderElement",
    "HeaderMap",
    "Host",
    "SanitizedHost",
    "decode_TEXT",
    "decode_TEXT_maybe",
    "decode_host",
    "get_ranges",
    "header_elements",
    "header_translate_deletechars",
    "header_translate_table",
    "http_date",
    "image_map_pattern",
    "parse_accept",
    "parse_header",
    "parse_http_date",
    "parse_query_string",
    "protocol_from_http",
    "q_separator",
    "response_codes",
    "urljoin",
    "urljoin_bytes",
    "valid_status",
]

# --------------------------------------------------------------------------- statuses


def protocol_from_http(protocol_str: str) -> tuple[int, int]:
    """Turn ``'HTTP/1.1'`` into ``(1, 1)``; ``'HTTP/2'`` gives ``(2, 0)``.

    Raises ``ValueError`` when the string is not an HTTP version.
    """
    match = _PROTOCOL.fullmatch(protocol_str)
    if match is None:
        raise ValueError(f"Not an HTTP protocol version: {protocol_str!r}")
    major, minor = match.groups()
    return int(major), int(minor or 0)


_PROTOCOL = re.compile(r"\s*HTTP/(\d)(?:\.(\d))?\s*", re.ASCII | re.IGNORECASE)

# --------------------------------------------------------------------------- URLs, ranges

_SLASH_RUNS = re.compile("/{2,}")
_SLASH_RUNS_BYTES = re.compile(b"/{2,}")


def urljoin(*atoms: str) -> str:
    """Join path pieces (e.g. SCRIPT_NAME and PATH_INFO) with single slashes.

    Empty pieces are skipped, runs of slashes collapse to one, and nothing at all gives "/".
    """
    url = "/".join([atom for atom in atoms if atom])
    if "//" in url:
        url = _SLASH_RUNS.sub("/", url)
    return url or "/"


def urljoin_bytes(*atoms: bytes) -> bytes:
    """Same as :func:`urljoin`, for bytes pieces."""
    url = b"/".join([atom for atom in atoms if atom])
    if b"//" in url:
        url = _SLASH_RUNS_BYTES.sub(b"/", url)
    return url or b"/"


_BYTE_RANGE = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*", re.ASCII)
MAX_RANGES = 100
"""A Range header asking for more pieces than this is ignored (multipart amplification)."""


def get_ranges(headervalue: str | None, content_length: int) -> list[tuple[int, int]] | None:
    """Turn a ``Range`` header into ``[(start, stop), ...]`` slice bounds, or None.

    ``bytes=3-6`` gives ``[(3, 7)]``, ``bytes=-2`` the last two bytes, ``bytes=5-`` all from
    offset 5. An empty list means no range can be satisfied (answer 416). None means serve
    the whole entity: no header, a syntax error, a unit other than bytes, a range whose last
    byte precedes its first, or more than :data:`MAX_RANGES` pieces. Ranges starting past the
    end are dropped, and (unlike CherryPy, per RFC 9110) stops are clamped to the length and
    zero-length suffixes or suffixes of an empty entity count as unsatisfiable.
    """
    if not headervalue:
        return None
    unit, equals, specs = headervalue.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    result: list[tuple[int, int]] = []
    pieces = 0
    for spec in specs.split(","):
        if not spec or spec.isspace():
            continue
        pieces += 1
        match = _BYTE_RANGE.fullmatch(spec)
        if match is None or pieces > MAX_RANGES:
            return None
        first, last = match.groups()
        try:
            if first:
                start = int(first)
                stop = int(last) if last else content_length - 1
                if start >= content_length:
                    continue
                if stop < start:
                    return None
                result.append((start, min(stop, content_length - 1) + 1))
            elif last:
                suffix = int(last)
                if suffix and content_length:
                    result.append((max(content_length - suffix, 0), content_length))
            else:
                return None
        except ValueError:  # digit strings too long for int()
            return None
    return result if pieces else None


# --------------------------------------------------------------------------- header elements

_QUOTE_OR_COMMA = re.compile('[",]')

RE_HEADER_SPLIT = re.compile(',(?=(?:[^"]*"[^"]*")*[^"]*$)')
"""Commas outside double quotes (kept for compatibility; slow on long values, see
:func:`header_elements`, which splits in linear time instead)."""

q_separator = re.compile(r"; *q *=")
"""The first ``;q=`` of an Accept element: media-range parameters before, accept-params after."""


def _split_list(value: str) -> list[str]:
    """Split a header value at the commas that have an even number of quotes after them."""
    if '"' not in value:
        return value.split(",")
    quotes_left = value.count('"')
    parts = []
    start = 0
    for match in _QUOTE_OR_COMMA.finditer(value):
        if match.group() == '"':
            quotes_left -= 1
        elif not quotes_left % 2:
            parts.append(value[start : match.start()])
            start = match.end()
    parts.append(value[start:])
    return parts


def _split_params(line: str) -> list[str]:
    """Split at semicolons, skipping those inside double quotes (``\\"`` escapes a quote)."""
    if '"' not in line:
        return [part.strip() for part in line.split(";")]
    parts = []
    start = 0
    while True:
        cut = line.find(";", start)
        scanned = start
        quotes = 0
        while cut > start:
            # Quote parity of line[start:cut], counted incrementally so this stays linear.
            quotes += line.count('"', scanned, cut) - line.count('\\"', scanned, cut)
            if not quotes % 2:
                break
            scanned = cut
            cut = line.find(";", cut + 1)
        if cut < 0:
            parts.append(line[start:].strip())
            return parts
        parts.append(line[start:cut].strip())
        start = cut + 1


def parse_header(line: str) -> tuple[str, dict[str, str]]:
    """Split ``'text/html; charset="utf-8"'`` into ``('text/html', {'charset': 'utf-8'})``.

    Parameter names are lower-cased, quoted values unquoted and unescaped, parameters
    without ``=`` dropped; a later duplicate wins.
    """
    if ";" not in line:
        return line.strip(), {}
    first, *rest = _split_params(line)
    params = {}
    for part in rest:
        name, equals, value = part.partition("=")
        if not equals:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        params[name.strip().lower()] = value
    return first, params


class HeaderElement:
    """One element of a comma-separated header, e.g. ``text/html;charset=utf-8``.

    ``value`` is the part before the first semicolon, ``params`` a dict of the parameters.
    Elements order by ``value``.
    """

    def __init__(self, value: str, params: dict[str, Any] | None = None) -> None:
        self.value = value
        self.params = {} if params is None else params

    def __lt__(self, other: HeaderElement) -> bool:
        return self.value < other.value

    def __str__(self) -> str:
        if not self.params:
            return self.value
        return self.value + "".join([f";{key}={val}" for key, val in self.params.items()])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r}, {self.params!r})"

    def __bytes__(self) -> bytes:
        return str(self).encode("ISO-8859-1")

    def __unicode__(self) -> str:
        return str(self)

    @staticmethod
    def parse(elementstr: str) -> tuple[str, dict[str, str]]:
        """Split ``'token;key=val'`` into ``('token', {'key': 'val'})``."""
        return parse_header(elementstr)

    @classmethod
    def from_str(cls, elementstr: str) -> HeaderElement:
        """Build an element from text such as ``'token;key=val'``."""
        value, params = cls.parse(elementstr)
        return cls(value, params)


class AcceptElement(HeaderElement):
    """One element of an ``Accept*`` or ``TE`` header, with its quality value.

    A more preferred element compares *greater*: the higher ``qvalue`` wins, then the
    longer, more specific text. :func:`header_elements` therefore lists best first.
    The ``q`` parameter, if present, is itself a :class:`HeaderElement` holding any
    accept-extensions that followed it.
    """

    @classmethod
    def from_str(cls, elementstr: str) -> AcceptElement:
        """Build an element from text such as ``'text/html;level=1;q=0.5'``."""
        media_range, *accept_params = q_separator.split(elementstr, maxsplit=1)
        value, params = cls.parse(media_range.strip())
        params_any: dict[str, Any] = params
        if accept_params:
            params_any["q"] = HeaderElement.from_str(accept_params[0].strip())
        return cls(value, params_any)

    @property
    def qvalue(self) -> float:
        """The quality value as a float (1.0 when absent).

        Raises ``HTTPError(400)`` when the ``q`` parameter is not a number, as CherryPy does.
        """
        raw = self.params.get("q", "1")
        if isinstance(raw, HeaderElement):
            raw = raw.value
        try:
            return float(raw)
        except ValueError as exc:
            raise HTTPError(400, f"Malformed HTTP header: `{self}`") from exc

    def __lt__(self, other: HeaderElement) -> bool:
        mine, theirs = self.qvalue, other.qvalue  # type: ignore[attr-defined]
        if mine == theirs:
            return str(self) < str(other)
        return mine < theirs


def _safe_qvalue(element: AcceptElement) -> float:
    raw = element.params.get("q", "1")
    if isinstance(raw, HeaderElement):
        raw = raw.value
    try:
        q = float(raw)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(q) else q


def _accept_order(element: AcceptElement) -> tuple[float, str]:
    return _safe_qvalue(element), str(element)


def _value_order(element: HeaderElement) -> str:
    return element.value


def header_elements(fieldname: str, fieldvalue: Any) -> list[HeaderElement]:
    """Parse a comma-separated header value into elements, most significant first.

    ``Accept*`` and ``TE`` fields give :class:`AcceptElement` objects ordered by preference
    (an unparsable ``q`` sorts as 0 here instead of failing); other fields give
    :class:`HeaderElement` objects in descending ``value`` order. Empty list items are kept
    as elements with an empty value, as CherryPy does. Never raises on odd text.
    """
    if not fieldvalue:
        return []
    if not isinstance(fieldvalue, str):
        fieldvalue = (
            fieldvalue.decode("ISO-8859-1") if isinstance(fieldvalue, bytes) else str(fieldvalue)
        )
    elements: list[Any]
    if fieldname.startswith("Accept") or fieldname == "TE":
        elements = [AcceptElement.from_str(item) for item in _split_list(fieldvalue)]
        elements.sort(key=_accept_order)
    else:
        elements = [HeaderElement.from_str(item) for item in _split_list(fieldvalue)]
        elements.sort(key=_value_order)
    # Sort ascending then reverse (not reverse=True) so equal elements come out in the
    # same order as CherryPy's reversed(sorted(...)).
    elements.reverse()
    return elements


def parse_accept(fieldvalue: str | None) -> list[AcceptElement]:
    """Parse an ``Accept``-style header value into :class:`AcceptElement` objects, best first."""
    return header_elements("Accept", fieldvalue)  # type: ignore[return-value]


# --------------------------------------------------------------------------- RFC 2047 TEXT

_ENCODED_WORD = re.compile(r"=\?([^?]*?)\?([qQbB])\?(.*?)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _decode_word(charset: str, encoding: str, text: str) -> str:
    raw = text.encode("ascii")
    if encoding in "qQ":
        data = _QP_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), raw.replace(b"_", b" "))
    else:
        raw = _NOT_BASE64.sub(b"", raw)
        data = binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
    charset = charset.partition("*")[0]  # drop an RFC 2231 language tag
    try:
        return data.decode(charset)
    except LookupError as exc:
        raise ValueError(f"unknown charset in encoded word: {charset!r}") from exc


def decode_TEXT(value: str) -> str:
    """Decode the RFC 2047 encoded words in a header value (``=?utf-8?q?f=C3=BCr?=``).

    Whitespace between two adjacent encoded words is dropped; other text is kept.
    Raises ``ValueError`` for an unknown charset or bytes the charset cannot decode.
    """
    pieces = []
    position = 0
    after_word = False
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        if not (after_word and (not gap or gap.isspace())):
            pieces.append(gap)
        pieces.append(_decode_word(*match.groups()))
        position = match.end()
        after_word = True
    if not after_word:
        return value
    pieces.append(value[position:])
    return "".join(pieces)


def decode_TEXT_maybe(value: str) -> str:
    """Decode ``value`` with :func:`decode_TEXT` when it contains ``=?``.

    Meant for header values from the network: when decoding fails, or would produce CR, LF
    or NUL, the value is returned unchanged rather than raising.
    """
    if "=?" not in value:
        return value
    try:
        decoded = decode_TEXT(value)
    except ValueError:
        return value
    return value if _UNSAFE_CHARS.search(decoded) else decoded


def decode_host(value: str) -> str:
    """Decode the RFC 2047 encoded words in a ``Host`` value, as CherryPy does for every header,
    and elide the CR and LF they may hide (a :class:`SanitizedHost` then keeps the decoded
    original in ``.raw``).  A value that cannot be decoded, or hides NUL, stays as received.
    """
    try:
        decoded = decode_TEXT(value)
    except ValueError:
        return value
    host = SanitizedHost(decoded)
    return value if "\x00" in host else host


# --------------------------------------------------------------------------- query strings


def _unquote(text: str, encoding: str) -> str:
    if "%" in text or "+" in text:
        return unquote_plus(text, encoding, errors="strict")
    return text


def _parse_qs(
    qs: str, keep_blank_values: Any = 0, strict_parsing: Any = 0, encoding: str = "utf-8"
) -> dict[str, str | list[str]]:
    """Parse a query string into a dict; a repeated name maps to a list of its values.

    Fields are separated by ``&`` or ``;``. Blank values (``a=`` or a bare ``a``) are kept
    as '' only when ``keep_blank_values`` is true. With ``strict_parsing`` an empty field or
    one without ``=`` raises ``ValueError``. Percent-escapes that do not decode in
    ``encoding`` raise ``UnicodeDecodeError`` (the request turns it into a 404);
    malformed escapes such as ``%zz`` are kept literally.
    """
    params: dict[str, Any] = {}
    fields = qs.replace(";", "&").split("&") if ";" in qs else qs.split("&")
    for field in fields:
        if not field and not strict_parsing:
            continue
        name, equals, value = field.partition("=")
        if not equals:
            if strict_parsing:
                raise ValueError(f"bad query field: {field!r}")
            if not keep_blank_values:
                continue
        elif not value and not keep_blank_values:
            continue
        name = _unquote(name, encoding)
        value = _unquote(value, encoding)
        if name not in params:
            params[name] = value
        elif isinstance(params[name], list):
            params[name].append(value)
        else:
            params[name] = [params[name], value]
    return params


image_map_pattern = re.compile(r"[0-9]+,[0-9]+")
"""A query string starting like this is a server-side image map click (``?12,34``)."""


def parse_query_string(
    query_string: str, keep_blank_values: bool = True, encoding: str = "utf-8"
) -> dict[str, Any]:
    """Parse a request's query string into a params dict.

    Names given once map to a string, repeated names to a list of strings. An image map
    click ``"12,34"`` gives ``{'x': 12, 'y': 34}``; text that merely starts like one but
    does not convert (``"1,2x"``) is parsed as an ordinary query string instead of failing.
    """
    if image_map_pattern.match(query_string):
        first, second = query_string.split(",")[:2]
        try:
            return {"x": int(first), "y": int(second)}
        except ValueError:
            pass
    return _parse_qs(query_string, keep_blank_values, encoding=encoding)


# --------------------------------------------------------------------------- header maps

_NO_KEY: Any = object()


class CaseInsensitiveDict(dict):  # type: ignore[type-arg]
    """A dict whose str keys are stored title-cased (``content-type`` -> ``Content-Type``).

    Every access (``[]``, ``in``, ``get``, ``pop``, ``setdefault``, ``update``, ``del``)
    transforms the key first, so lookups ignore case; ``None`` is stored as ``'None'``.
    Unlike CherryPy's, ``update`` and ``|=`` transform keys too and ``copy`` keeps the type.
    """

    @staticmethod
    def transform_key(key: Any) -> Any:
        """Return the stored form of ``key``: ``key.title()``."""
        if key.__class__ is str:
            return key.title()
        if key is None:
            return "None"
        if isinstance(key, (str, bytes)):
            return key.title()
        raise TypeError(f"header names must be str, not {type(key).__name__}")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.update(*args, **kwargs)

    # The common case, a str key of a class that keeps the default ``transform_key``, takes
    # its title-cased form from a cache (no call of transform_key, no ``str.title``).

    def __setitem__(self, key: Any, value: Any) -> None:
        if key.__class__ is str and self.__class__ in _DEFAULT_KEYED:
            _dict_setitem(self, _titles.get(key) or _title(key), value)
        else:
            _dict_setitem(self, self.transform_key(key), value)

    def __getitem__(self, key: Any) -> Any:
        if key.__class__ is str and self.__class__ in _DEFAULT_KEYED:
            return _dict_getitem(self, _titles.get(key) or _title(key))
        return _dict_getitem(self, self.transform_key(key))

    def __contains__(self, key: object) -> bool:
        if key.__class__ is str and self.__class__ in _DEFAULT_KEYED:
            return _dict_contains(self, _titles.get(key) or _title(key))  # type: ignore[arg-type]
        return _dict_contains(self, self.transform_key(key))

    def __delitem__(self, key: Any) -> None:
        dict.__delitem__(self, self.transform_key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        """Return the value for ``key`` in any case, or ``default``."""
        if key.__class__ is str and self.__class__ in _DEFAULT_KEYED:
            return _dict_get(self, _titles.get(key) or _title(key), default)
        return _dict_get(self, self.transform_key(key), default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """Like ``dict.setdefault``, case-insensitively."""
        return dict.setdefault(self, self.transform_key(key), default)

    def pop(self, key: Any, *default: Any) -> Any:
        """Like ``dict.pop``, case-insensitively."""
        return dict.pop(self, self.transform_key(key), *default)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Like ``dict.update``, transforming every key."""
        items = ((key, other[key]) for key in other.keys()) if hasattr(other, "keys") else other  # noqa: SIM118
        for key, value in items:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def copy(self) -> Any:
        """Return a shallow copy of the same class."""
        duplicate = type(self)()
        dict.update(duplicate, self)
        return duplicate

    def __ior__(self, other: Any) -> Any:
        self.update(other)
        return self

    def __or__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def matching_key_for(self, key: Any) -> Any:
        """Return the stored key matching ``key``; raise ``KeyError`` when absent."""
        stored = self.transform_key(key)
        if dict.__contains__(self, stored):
            return stored
        raise KeyError(key)


_dict_setitem = dict.__setitem__
_dict_getitem = dict.__getitem__
_dict_contains = dict.__contains__
_dict_get = dict.get
_titles: dict[str, str] = {}
"""str -> ``str.title()``, for the header names code uses (bounded: it stops growing)."""


def _title(key: str) -> str:
    """``key.title()``, remembered while the cache has room."""
    title = key.title()
    if len(_titles) < 1024:
        _titles[key] = title
    return title


header_translate_table = None
"""Kept for compatibility: the ``bytes.translate`` table CherryPy applied to header output."""
header_translate_deletechars = bytes(range(32)) + bytes([127])
"""Kept for compatibility: control bytes CherryPy deleted from header output."""

_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f]")
_CONTROL_BYTES = re.compile(b"[\x00-\x1f\x7f]")
_UNSAFE_BYTES = re.compile(b"[\r\n\x00]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN_BYTES = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_encoded_names: dict[str, bytes] = {}


def _encode_name(name: Any) -> bytes:
    """Return a header name as bytes, refusing anything that is not a token."""
    encoded = _encoded_names.get(name) if name.__class__ is str else None
    if encoded is not None:
        return encoded
    if isinstance(name, str):
        if _TOKEN.fullmatch(name) is None:
            raise ValueError(f"Illegal header name {name!r}")
        encoded = name.encode("ascii")
        if len(_encoded_names) < 1024:
            _encoded_names[name] = encoded
        return encoded
    if isinstance(name, bytes) and _TOKEN_BYTES.fullmatch(name) is not None:
        return name
    raise ValueError(f"Illegal header name {name!r}")


class HeaderMap(CaseInsensitiveDict):
    """Request or response headers: a :class:`CaseInsensitiveDict` with HTTP helpers.

    Values of request headers are text already decoded from RFC 2047. On output, values
    that ISO-8859-1 cannot hold are RFC 2047 encoded (``=?utf-8?b?...?=``) when
    ``protocol`` is (1, 1) and ``use_rfc_2047`` is true.
    """

    protocol = (1, 1)
    encodings = ["ISO-8859-1"]
    use_rfc_2047 = True

    def elements(self, key: str) -> list[HeaderElement]:
        """Return the parsed elements of header ``key``, most significant first."""
        return header_elements(self.transform_key(key), self.get(key))

    def values(self, key: str = _NO_KEY) -> Any:  # type: ignore[override]
        """Return the element values of header ``key``, most significant first.

        Called without ``key`` it is ``dict.values()``.
        """
        if key is _NO_KEY:
            return dict.values(self)
        return [element.value for element in self.elements(key)]

    def output(self) -> list[tuple[bytes, bytes]]:
        """Return the headers as ``(name, value)`` byte pairs ready for the wire.

        Raises ``ValueError`` for a name that is not a token or a value containing CR, LF
        or NUL (other control characters are deleted); the caller answers 500.
        """
        return list(self.encode_header_items(dict.items(self)))

    @classmethod
    def encode_header_items(
        cls, header_items: Iterable[tuple[Any, Any]]
    ) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(name, value)`` byte pairs for ``(name, value)`` items (values may be any object)."""
        for name, value in header_items:
            if not isinstance(value, (str, bytes)):
                value = str(value)
            yield _encode_name(name), cls.encode_header_item(value)

    @classmethod
    def encode_header_item(cls, item: str | bytes) -> bytes:
        """Encode one header value for the wire (see :meth:`output` for what is refused)."""
        if isinstance(item, str):
            if not item.isprintable() and _CONTROL_CHARS.search(item):
                if _UNSAFE_CHARS.search(item):
                    raise ValueError(f"Header value contains CR, LF or NUL: {item!r}")
                item = _CONTROL_CHARS.sub("", item)
            return cls.encode(item)
        if _CONTROL_BYTES.search(item):
            if _UNSAFE_BYTES.search(item):
                raise ValueError(f"Header value contains CR, LF or NUL: {item!r}")
            item = _CONTROL_BYTES.sub(b"", item)
        return item

    @classmethod
    def encode(cls, v: str) -> bytes:
        """Encode header text with the first of ``encodings`` that fits, else RFC 2047.

        Raises ``ValueError`` when no encoding fits and RFC 2047 is not allowed.
        """
        for encoding in cls.encodings:
            try:
                return v.encode(encoding)
            except UnicodeEncodeError:
                continue
        if cls.protocol == (1, 1) and cls.use_rfc_2047:
            return b"=?utf-8?b?" + binascii.b2a_base64(v.encode("utf-8"), newline=False) + b"?="
        raise ValueError(f"Could not encode header part {v!r} using any of {cls.encodings!r}.")


# --------------------------------------------------------------------------- hosts


_DEFAULT_KEYED = frozenset({CaseInsensitiveDict, HeaderMap})
_errors.TITLE_KEYED.update(_DEFAULT_KEYED)
"""The classes whose keys are ``transform_key``'s default (a subclass may change it)."""


class Host:
    """A network address: ``ip``, ``port`` and ``name`` (the host name, else the ip)."""

    ip = "0.0.0.0"
    port = 80
    name = "unknown.tld"

    def __init__(self, ip: str, port: int, name: str | None = None) -> None:
        self.ip = ip
        self.port = port
        self.name = ip if name is None else name

    def __repr__(self) -> str:
        return f"httputil.Host({self.ip!r}, {self.port!r}, {self.name!r})"


class SanitizedHost(str):
    r"""A Host header value with CR and LF removed; the original stays in ``.raw``.

    Constructing one from a clean value returns that plain ``str`` unchanged, so
    ``isinstance(value, SanitizedHost)`` tells whether anything was removed.
    """

    dangerous = re.compile(r"[\n\r]")
    raw: str

    def __new__(cls, raw: str) -> Any:
        cleaned = cls._sanitize(raw)
        if cleaned == raw:
            return raw
        instance = super().__new__(cls, cleaned)
        instance.raw = raw
        return instance

    @classmethod
    def _sanitize(cls, raw: str) -> str:
        return cls.dangerous.sub("", raw)


# Content-Type helpers of tools.encode's one-step case (cached: responses repeat them).

_plain_types: dict[tuple[Any, Any], tuple[bool, str | None]] = {}
"""(Content-Type, charset) -> (whether the type is text/*, the value with that charset for a
text/* type, else None)."""


def _plain_type(content_type: str, charset: Any) -> tuple[bool, str | None]:
    """:data:`_plain_types`' entry for ``content_type`` and ``charset`` (remembered)."""
    is_text = _content_type_is_text(content_type)
    found = (is_text, _with_charset(content_type, charset) if is_text else None)
    if len(_plain_types) < 256:
        _plain_types[content_type, charset] = found
    return found


_is_text_cache: dict[str, bool] = {}
_charset_cache: dict[tuple[str, str], str] = {}


def _content_type_is_text(content_type: str) -> bool:
    """Whether the main element of a Content-Type value is a ``text/*`` type (cached)."""
    found = _is_text_cache.get(content_type)
    if found is None:
        elements = header_elements("Content-Type", content_type)
        found = bool(elements) and elements[0].value.lower().startswith("text/")
        if len(_is_text_cache) < 256:
            _is_text_cache[content_type] = found
    return found


def _with_charset(content_type: str, charset: str) -> str:
    """``content_type`` with its ``charset`` parameter set to ``charset`` (cached)."""
    key = (content_type, charset)
    found = _charset_cache.get(key)
    if found is None:
        element = header_elements("Content-Type", content_type)[0]
        element.params["charset"] = charset
        found = str(element)
        if len(_charset_cache) < 256:
            _charset_cache[key] = found
    return found
