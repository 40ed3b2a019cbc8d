"""Request-target checks kept on the parser's fast path (no ``bytes in bytes`` per request)."""

from __future__ import annotations

import pytest

from cherrypy_server.protocol import Limits, RequestParser


def parse(target: bytes):
    parser = RequestParser(Limits())
    parser.feed(b"GET " + target + b" HTTP/1.1\r\nHost: test\r\n\r\n")
    return parser.requests[0]


@pytest.mark.parametrize("target", [b"/a#frag", b"/a?x=1#frag", b"/a?#", b"/#"])
def test_a_fragment_anywhere_in_the_target_is_refused(target):
    request = parse(target)
    assert request.error is not None
    assert request.error.status == 400
    assert request.error.message == "Illegal #fragment in Request-URI."


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        (b"/", b"/", b""),
        (b"/a/b?x=1&y=2", b"/a/b", b"x=1&y=2"),
        (b"/a?b?c", b"/a", b"b?c"),
        (b"/a?", b"/a", b""),
    ],
)
def test_path_and_query_are_split_at_the_first_question_mark(target, path, query):
    request = parse(target)
    assert request.error is None
    assert (request.path, request.query) == (path, query)


def parse_head(*lines: bytes, request_line: bytes = b"POST / HTTP/1.1"):
    parser = RequestParser(Limits())
    parser.feed(b"\r\n".join((request_line, *lines)) + b"\r\n\r\n")
    return parser.requests[0]


@pytest.mark.parametrize("spelling", [b"Host", b"host", b"HOST", b"hOsT"])
def test_field_names_are_recognised_in_any_case_twice_over(spelling):
    # The role of a name is remembered per spelling: the second parse takes the cache.
    for _ in range(2):
        request = parse_head(spelling + b": a", b"x-other: 1")
        assert request.error is None
        request = parse_head(spelling + b": a", spelling + b": b")
        assert request.error is not None and request.error.message == "Multiple Host headers."


@pytest.mark.parametrize(
    ("lines", "check"),
    [
        ((b"Host: a", b"CONTENT-LENGTH: 3"), lambda r: r.content_length == 3),
        ((b"Host: a", b"content-length: 0"), lambda r: r.content_length == 0),
        ((b"Host: a", b"Transfer-ENCODING: chunked"), lambda r: r.chunked),
        ((b"Host: a", b"CONNECTION: close"), lambda r: not r.keep_alive),
        ((b"Host: a", b"connection: Keep-Alive"), lambda r: r.keep_alive),
        (
            (b"Host: a", b"Content-Length: 5", b"EXPECT: 100-Continue"),
            lambda r: r.expect_continue,
        ),
        ((b"Host: a", b"X-Host: b", b"Hosts: c"), lambda r: r.error is None),
    ],
)
def test_framing_fields_in_any_case(lines, check):
    for _ in range(2):
        request = parse_head(*lines)
        assert check(request), request.error


def test_an_unknown_expectation_and_no_host_are_still_refused():
    request = parse_head(b"Host: a", b"expect: something")
    assert request.error is not None and request.error.status == 417
    request = parse_head(b"X-Nothing: 1")
    assert request.error is not None and request.error.status == 400


def test_the_role_cache_stays_bounded():
    from cherrypy_server import protocol

    for index in range(protocol._ROLES_MAX + 50):
        parse_head(b"Host: a", b"X-Field-%d: 1" % index)
    assert len(protocol._ROLES) <= protocol._ROLES_MAX
