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
