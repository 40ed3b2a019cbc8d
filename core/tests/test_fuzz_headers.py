"""Property-based tests (hypothesis) of the kernel's header handling.

``cherrypy.kernel.httputil`` (``cherrypy.lib.httputil``) promises that malformed header text
makes its helpers raise ``ValueError`` (or a subclass) and nothing else, that
``header_elements``, ``decode_TEXT_maybe`` and ``get_ranges`` never raise at all, and that
``HeaderMap.output`` never puts CR, LF or NUL on the wire.  These tests feed them arbitrary
text, and check that well-formed values round-trip: elements and parameters, quality values,
RFC 2047 encoded words, byte ranges, query strings and request cookies.

Settings are fixed (``derandomize``, no example database): every run tries the same examples.
"""

from __future__ import annotations

import base64
import string
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import quote, urlencode

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cherrypy.kernel import httputil
from cherrypy.kernel.cookies import parse_into
from cherrypy.kernel.errors import HTTPError
from cherrypy.kernel.httputil import (
    AcceptElement,
    HeaderElement,
    HeaderMap,
    decode_TEXT,
    decode_TEXT_maybe,
    get_ranges,
    header_elements,
    parse_header,
    parse_query_string,
)

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TCHAR = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
token = st.text(alphabet=TCHAR, min_size=1, max_size=10)
# Header text as it reaches the kernel: latin-1 decoded bytes, often HTTP-ish punctuation.
header_text = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=255), max_size=80),
    st.text(alphabet=TCHAR + ' ,;="\\/:?\t', max_size=80),
    st.text(max_size=40),
)
FIELD_NAMES = ["Accept", "Accept-Encoding", "Accept-Language", "TE", "Content-Type", "X-Any"]


# --------------------------------------------------------------------------- header elements


@PROPERTY
@given(name=st.sampled_from(FIELD_NAMES), value=header_text, as_bytes=st.booleans())
def test_header_elements_never_raise(name: str, value: str, as_bytes: bool) -> None:
    """Any header text gives a list of elements; a bad ``q`` is a 400, never another error."""
    field: Any = value.encode("utf-8") if as_bytes else value
    elements = header_elements(name, field)
    accept = name.startswith("Accept") or name == "TE"
    for element in elements:
        assert isinstance(element, AcceptElement if accept else HeaderElement)
        assert isinstance(str(element), str)
        if accept:
            try:
                q = element.qvalue  # type: ignore[attr-defined]
            except HTTPError as exc:
                assert exc.status == 400
            else:
                assert isinstance(q, float)
    if not accept:
        values = [element.value for element in elements]
        assert values == sorted(values, reverse=True)


# Parameter values: tokens, or quoted strings holding separators (no quote or backslash,
# which header_elements, like CherryPy, does not unescape when it splits at commas).
quoted_text = st.text(alphabet=string.ascii_letters + string.digits + " ,;=/:?@", max_size=12)
param_value = st.one_of(
    token.map(lambda text: (text, text)),
    quoted_text.map(lambda text: (text, f'"{text}"')),
)
params_strategy = st.dictionaries(token.map(str.lower), param_value, max_size=4)
element_value = st.one_of(token, st.tuples(token, token).map("/".join))


def render(value: str, params: dict[str, tuple[str, str]]) -> str:
    """``value;name=wire-form`` for each parameter."""
    return value + "".join(f";{name}={wire}" for name, (_, wire) in params.items())


@PROPERTY
@given(elements=st.lists(st.tuples(element_value, params_strategy), min_size=1, max_size=5))
def test_header_elements_round_trip(elements: list[tuple[str, dict[str, tuple[str, str]]]]) -> None:
    """Generated ``value;param=...`` lists come back as the same values and parameters."""
    text = ", ".join(render(value, params) for value, params in elements)
    parsed = header_elements("X-Test", text)
    got = sorted((element.value, sorted(element.params.items())) for element in parsed)
    want = sorted(
        (value, sorted((name, plain) for name, (plain, _) in params.items()))
        for value, params in elements
    )
    assert got == want


@PROPERTY
@given(value=element_value, name=token.map(str.lower), text=st.text(max_size=20))
def test_parse_header_unescapes_quoted_strings(value: str, name: str, text: str) -> None:
    """A quoted parameter with escaped quotes (``\\"``) comes back as the original text."""
    text = text.replace("\\", "")
    quoted = '"' + text.replace('"', '\\"') + '"'
    want = {name: text, "other": "1"}  # a later duplicate name wins
    assert parse_header(f"{value}; {name}={quoted}; other=1") == (value, want)


qvalues = st.one_of(
    st.just("1"),
    st.just("0"),
    st.integers(0, 1000).map(lambda n: f"{n / 1000:.3f}".rstrip("0").rstrip(".") or "0"),
)


@PROPERTY
@given(
    elements=st.lists(
        st.tuples(element_value, st.one_of(st.none(), qvalues)), min_size=1, max_size=6
    )
)
def test_accept_quality_values_round_trip(elements: list[tuple[str, str | None]]) -> None:
    """``q`` values come back as floats, and the elements come back best first."""
    text = ",".join(value + ("" if q is None else f";q={q}") for value, q in elements)
    parsed = httputil.parse_accept(text)
    assert sorted(element.qvalue for element in parsed) == sorted(
        1.0 if q is None else float(q) for _, q in elements
    )
    qs = [element.qvalue for element in parsed]
    assert qs == sorted(qs, reverse=True)


# --------------------------------------------------------------------------- RFC 2047


@PROPERTY
@given(
    value=header_text,
    charset=st.sampled_from(
        [
            "utf-8",
            "latin-1",
            "ascii",
            "utf-16",
            "utf-7",
            "idna",
            "punycode",
            "hex",
            "rot13",
            "zlib",
            "undefined",
            "no-such-charset",
            "",
            "utf-8*en",
        ]
    ),
    encoding=st.sampled_from("bBqQx"),
    payload=st.text(max_size=20),
)
def test_decode_text_raises_only_value_error(
    value: str, charset: str, encoding: str, payload: str
) -> None:
    """decode_TEXT returns text or raises ValueError; decode_TEXT_maybe never raises."""
    for text in (value, f"{value}=?{charset}?{encoding}?{payload}?={value}"):
        try:
            decoded = decode_TEXT(text)
        except ValueError:
            pass
        else:
            assert isinstance(decoded, str)
        maybe = decode_TEXT_maybe(text)
        assert isinstance(maybe, str)
        for unsafe in "\r\n\x00":
            if unsafe not in text:
                assert unsafe not in maybe


plain = st.text(alphabet=string.ascii_letters + string.digits + " .,;:-", max_size=10)


def encoded_word(text: str, charset: str, kind: str) -> str:
    """``text`` as an RFC 2047 encoded word of the ``b`` or ``q`` kind."""
    data = text.encode(charset)
    if kind == "b":
        return f"=?{charset}?b?{base64.b64encode(data).decode()}?="
    escaped = "".join(chr(b) if chr(b).isalnum() and b < 128 else f"={b:02X}" for b in data)
    return f"=?{charset}?q?{escaped}?="


@PROPERTY
@given(
    before=plain,
    words=st.lists(st.text(max_size=12), min_size=1, max_size=3),
    after=plain,
    charset=st.sampled_from(["utf-8", "utf-16"]),
    kind=st.sampled_from("bq"),
)
def test_encoded_words_round_trip(
    before: str, words: list[str], after: str, charset: str, kind: str
) -> None:
    """Encoded words decode to their text; the space between two adjacent words is dropped."""
    text = before + " " + " ".join(encoded_word(word, charset, kind) for word in words)
    assert decode_TEXT(text + " " + after) == before + " " + "".join(words) + " " + after


@PROPERTY
@given(value=st.text(max_size=40).filter(lambda v: "=?" not in v))
def test_header_map_encode_round_trips_through_decode_text(value: str) -> None:
    """A response header value the wire cannot hold in latin-1 goes out RFC 2047 encoded."""
    wire = HeaderMap.encode(value)
    assert decode_TEXT(wire.decode("latin-1")) == value


@PROPERTY
@given(
    items=st.lists(
        st.tuples(
            st.one_of(token, st.text(max_size=10)),
            st.one_of(st.text(max_size=30), st.binary(max_size=30), st.integers()),
        ),
        max_size=6,
    )
)
def test_header_map_output_never_emits_line_breaks(items: list[tuple[str, Any]]) -> None:
    """``output()`` gives CR/LF/NUL-free byte pairs or refuses with ValueError."""
    headers = HeaderMap()
    for name, value in items:
        headers[name] = value
    try:
        lines = headers.output()
    except ValueError:
        return
    for name, value in lines:
        assert isinstance(name, bytes) and isinstance(value, bytes)
        for unsafe in (b"\r", b"\n", b"\x00"):
            assert unsafe not in name and unsafe not in value


# --------------------------------------------------------------------------- ranges


@PROPERTY
@given(
    value=st.one_of(header_text, st.text(alphabet="bytes=0123456789-, \t", max_size=40)),
    length=st.integers(0, 10**6),
)
def test_get_ranges_never_raises_and_stays_in_bounds(value: str, length: int) -> None:
    """Any Range text gives None or slices inside the entity."""
    ranges = get_ranges(value, length)
    if ranges is not None:
        for start, stop in ranges:
            assert 0 <= start < stop <= length


@PROPERTY
@given(
    length=st.integers(1, 10**6),
    specs=st.lists(
        st.tuples(
            st.sampled_from(["full", "open", "suffix"]),
            st.integers(0, 10**6),
            st.integers(1, 10**6),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_get_ranges_round_trip(length: int, specs: list[tuple[str, int, int]]) -> None:
    """Satisfiable generated ranges come back as the slices they name, in order."""
    parts, want = [], []
    for kind, first, size in specs:
        first %= length
        if kind == "full":
            last = first + size - 1
            parts.append(f"{first}-{last}")
            want.append((first, min(last, length - 1) + 1))
        elif kind == "open":
            parts.append(f"{first}-")
            want.append((first, length))
        else:
            parts.append(f"-{size}")
            want.append((max(length - size, 0), length))
    assert get_ranges("bytes=" + ",".join(parts), length) == want


# --------------------------------------------------------------------------- query strings


@PROPERTY
@given(value=header_text)
def test_parse_query_string_raises_only_unicode_errors(value: str) -> None:
    """Any query string parses to a dict, or fails to decode (UnicodeDecodeError, a 404)."""
    try:
        params = parse_query_string(value)
    except UnicodeDecodeError:
        return
    assert isinstance(params, dict)


@PROPERTY
@given(
    pairs=st.lists(
        st.tuples(
            st.text(min_size=1, max_size=8).filter(lambda n: not n[0].isdigit()),
            st.text(max_size=8),
        ),
        max_size=6,
    ),
    plus=st.booleans(),
)
def test_query_string_round_trip(pairs: list[tuple[str, str]], plus: bool) -> None:
    """An encoded query string parses back to its names and values (repeats become lists)."""
    if plus:
        query = urlencode(pairs)
    else:
        query = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs)
    want: dict[str, Any] = {}
    for name, value in pairs:
        if name not in want:
            want[name] = value
        elif isinstance(want[name], list):
            want[name].append(value)
        else:
            want[name] = [want[name], value]
    assert parse_query_string(query) == want


# --------------------------------------------------------------------------- cookies

COOKIE_NAME = "!#%&'*+-.^_`|~" + string.ascii_letters + string.digits
COOKIE_OCTET = "!#$%&'()*+-./:<=>?@[]^_`{|}~" + string.ascii_letters + string.digits
cookie_name = st.one_of(
    st.text(alphabet=COOKIE_NAME, min_size=1, max_size=8),
    st.sampled_from(["Path", "expires", "Max-Age", "secure", "domain"]),
)
cookie_value = st.one_of(
    st.text(alphabet=COOKIE_OCTET, max_size=10),
    st.text(alphabet=COOKIE_OCTET + " ,", max_size=10).map(lambda text: f'"{text}"'),
)


def cookie_state(cookie: SimpleCookie) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Everything a SimpleCookie holds, comparable."""
    return {
        name: (morsel.value, morsel.coded_value, dict(morsel)) for name, morsel in cookie.items()
    }


@PROPERTY
@given(
    pairs=st.lists(st.tuples(cookie_name, cookie_value), min_size=1, max_size=5),
    separator=st.sampled_from([";", "; ", ";\t", ";  "]),
    trailing=st.booleans(),
)
def test_cookie_fast_path_matches_simplecookie(
    pairs: list[tuple[str, str]], separator: str, trailing: bool
) -> None:
    """The kernel's Cookie header parser gives exactly what ``SimpleCookie.load`` gives."""
    header = separator.join(f"{name}={value}" for name, value in pairs) + (";" if trailing else "")
    reference = SimpleCookie()
    try:
        reference.load(header)
    except CookieError:
        with pytest.raises(CookieError):
            parse_into(SimpleCookie(), header)
        return
    ours = SimpleCookie()
    parse_into(ours, header)
    assert cookie_state(ours) == cookie_state(reference)
    assert ours.output() == reference.output()
