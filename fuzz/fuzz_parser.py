"""Coverage-guided fuzzing of the HTTP request parser (cherrypy_server.protocol) with atheris.

Each input is one connection's bytes.  Its first byte picks the limits (defaults, or small
ones that generated requests cross), the next four bytes where the stream is cut, and the rest
is fed to a :class:`RequestParser` in those pieces, as a socket would deliver them.  Besides
"no exception escapes ``feed``", the harness checks what the parser promises:

* a refused request carries a ProtocolError with a 4xx or 5xx status, and it is the last one;
* a complete request with Content-Length holds exactly that many body bytes;
* the same bytes fed whole give the same requests, bodies and statuses (with default limits).

Run it through nox (``nox -s fuzz``) or directly::

    python fuzz/fuzz_parser.py -max_total_time=60 fuzz/corpus/parser
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from cherrypy_server.protocol import Limits, ProtocolError, RequestParser

SMALL = Limits(max_header_size=300, max_uri_size=40, max_body_size=100)


def feed(data: bytes, cuts: list[int], limits: Limits) -> RequestParser:
    """Feed ``data`` to a new parser, cut at ``cuts``."""
    parser = RequestParser(limits)
    start = 0
    for cut in sorted({c for c in cuts if 0 < c < len(data)}) + [len(data)]:
        parser.feed(data[start:cut])
        start = cut
    return parser


def outcome(parser: RequestParser) -> list[tuple[object, ...]]:
    """The requests a parser decided (complete or refused), comparable with another parser's.

    A last request still undecided when the input ends may differ with the read boundaries
    (an error waits for the end of its line), so it is left out.
    """
    requests = list(parser.requests)
    if requests and not requests[-1].complete and requests[-1].error is None:
        requests.pop()
    return [
        (
            r.method,
            r.target,
            tuple(r.headers),
            bytes(r.body),
            r.complete,
            None if r.error is None else r.error.status,
        )
        for r in requests
    ]


def check(parser: RequestParser) -> None:
    """Raise AssertionError when the parser broke one of its promises."""
    requests = list(parser.requests)
    for index, request in enumerate(requests):
        if request.error is not None:
            assert isinstance(request.error, ProtocolError)
            assert 400 <= request.error.status < 600, request.error
            assert index == len(requests) - 1, "a request parsed after a refused one"
        if request.complete and request.content_length is not None:
            assert len(request.body) == request.content_length


def test_one_input(data: bytes) -> None:
    """The fuzz target: one connection's bytes."""
    if len(data) < 5:
        return
    limits = SMALL if data[0] & 1 else Limits()
    cuts = [data[1] * 7, data[2] * 3, data[3] * 11, data[4]]
    stream = data[5:]
    pieces = feed(stream, cuts, limits)
    check(pieces)
    if limits is not SMALL:
        whole = feed(stream, [], limits)
        check(whole)
        assert outcome(whole) == outcome(pieces), (outcome(whole), outcome(pieces))


def main() -> None:
    """Run the fuzzer with libFuzzer's command-line options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
