"""Coverage-guided fuzzing of the kernel's header helpers (cherrypy.kernel.httputil, cookies).

The input's first byte picks a helper, the rest is the header text (latin-1, as the server
decodes header bytes).  Allowed outcomes are the documented ones:

* ``header_elements``, ``decode_TEXT_maybe``, ``get_ranges`` and ``decode_host`` never raise;
  ``AcceptElement.qvalue`` raises only ``HTTPError(400)``;
* ``decode_TEXT`` and ``parse_header`` raise only ``ValueError`` (and subclasses);
* ``parse_query_string`` raises only ``UnicodeDecodeError``;
* a Cookie header the kernel's fast path takes is parsed exactly as ``SimpleCookie.load``
  parses it, and one it does not take fails only with ``CookieError``;
* ``HeaderMap.output`` never puts CR, LF or NUL on the wire (it raises ValueError instead).

Run it through nox (``nox -s fuzz``) or directly::

    python fuzz/fuzz_headers.py -max_total_time=60 fuzz/corpus/headers
"""

from __future__ import annotations

import sys
from http.cookies import CookieError, SimpleCookie

import atheris

with atheris.instrument_imports():
    from cherrypy.kernel import cookies, httputil
    from cherrypy.kernel.errors import HTTPError

FIELDS = ["Accept", "Accept-Encoding", "TE", "Content-Type", "Cache-Control"]


def elements(text: str) -> None:
    """header_elements never raises; qvalue raises only HTTPError(400)."""
    for field in FIELDS:
        for element in httputil.header_elements(field, text):
            str(element)
            if isinstance(element, httputil.AcceptElement):
                try:
                    _ = element.qvalue
                except HTTPError as exc:
                    assert exc.status == 400


def text_decoding(text: str) -> None:
    """decode_TEXT raises only ValueError; decode_TEXT_maybe and decode_host never raise."""
    try:
        httputil.decode_TEXT(text)
    except ValueError:
        pass
    maybe = httputil.decode_TEXT_maybe(text)
    for unsafe in "\r\n\x00":
        assert unsafe in text or unsafe not in maybe, (text, maybe)
    httputil.decode_host(text)


def ranges(text: str) -> None:
    """get_ranges never raises and stays inside the entity."""
    for length in (0, 1, 100, 10**9):
        found = httputil.get_ranges(text, length)
        if found is not None:
            for start, stop in found:
                assert 0 <= start < stop <= length, (text, length, found)


def query(text: str) -> None:
    """parse_query_string raises only UnicodeDecodeError."""
    try:
        httputil.parse_query_string(text)
    except UnicodeDecodeError:
        pass


def params(text: str) -> None:
    """parse_header raises only ValueError."""
    try:
        httputil.parse_header(text)
    except ValueError:
        pass


def cookie(text: str) -> None:
    """The fast Cookie path agrees with SimpleCookie.load."""
    reference = SimpleCookie()
    try:
        reference.load(text)
    except CookieError:
        return
    if cookies._COMMON_HEADER.fullmatch(text) is None:
        return
    ours = SimpleCookie()
    cookies.parse_into(ours, text)
    assert ours.output() == reference.output(), (text, ours.output(), reference.output())


def output(text: str) -> None:
    """HeaderMap.output refuses or emits clean bytes."""
    name, _, value = text.partition(":")
    headers = httputil.HeaderMap()
    headers[name] = value
    try:
        lines = headers.output()
    except ValueError:
        return
    for raw_name, raw_value in lines:
        for unsafe in (b"\r", b"\n", b"\x00"):
            assert unsafe not in raw_name and unsafe not in raw_value


TARGETS = [elements, text_decoding, ranges, query, params, cookie, output]


def test_one_input(data: bytes) -> None:
    """The fuzz target: a helper's number, then the header text."""
    if not data:
        return
    target = TARGETS[data[0] % len(TARGETS)]
    target(data[1:].decode("latin-1"))


def main() -> None:
    """Run the fuzzer with libFuzzer's command-line options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
