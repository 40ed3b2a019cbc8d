"""Limits and framing strictness: oversize heads, URIs and bodies, and smuggling attempts."""

from __future__ import annotations

import threading
import time

import pytest

from cherrypy_server.protocol import Limits, RequestParser, decode_path

HOST = b"Host: test\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"


@pytest.fixture
def recording_app():
    """A WSGI app that records each PATH_INFO it serves and reads the whole body."""
    paths: list[str] = []

    def app(environ, start_response):
        paths.append(environ["PATH_INFO"])
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app.paths = paths
    return app


def refused(client, status: int) -> bytes:
    """Read the answer, check its status and that the server closed the connection."""
    response = client.read_response()
    assert response.status == status, response.raw
    assert response.header("Connection") == "close"
    assert client.is_closed()
    return response.body


def refused_while_sending(client, pieces: list[bytes], status: int, pause: float = 0.0) -> None:
    """Send ``pieces`` from another thread (the server may cut in) and expect a refusal."""

    def feed() -> None:
        try:
            for piece in pieces:
                client.send(piece)
                if pause:
                    time.sleep(pause)
        except OSError:
            pass

    sender = threading.Thread(target=feed)
    sender.start()
    refused(client, status)
    sender.join(5)


SMUGGLING_CASES = {
    "content-length-and-transfer-encoding": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    + SMUGGLED,
    "transfer-encoding-and-content-length": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"
    + SMUGGLED,
    "double-content-length": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Content-Length: 0\r\nContent-Length: 39\r\n\r\n"
    + SMUGGLED,
    "content-length-list": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Content-Length: 0, 39\r\n\r\n"
    + SMUGGLED,
    "content-length-sign": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Content-Length: +39\r\n\r\n"
    + SMUGGLED,
    "chunk-size-negative": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n"
    + SMUGGLED,
    "chunk-size-hex-prefix": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: chunked\r\n\r\n0x27\r\n"
    + SMUGGLED
    + b"\r\n0\r\n\r\n",
    "chunk-without-crlf": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"
    + SMUGGLED,
    "duplicate-transfer-encoding": b"POST /a HTTP/1.1\r\n"
    + HOST
    + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    + SMUGGLED,
    "nul-in-header-value": b"GET /a HTTP/1.1\r\n" + HOST + b"X-A: 1\x00\r\n\r\n" + SMUGGLED,
    "cr-in-header-value": b"GET /a HTTP/1.1\r\n" + HOST + b"X-A: 1\rX-B: 2\r\n\r\n" + SMUGGLED,
    "lf-only-line-ending": b"GET /a HTTP/1.1\r\n" + HOST + b"X-A: 1\nX-B: 2\r\n\r\n" + SMUGGLED,
    "invalid-header-name": b"GET /a HTTP/1.1\r\n" + HOST + b"X(A): 1\r\n\r\n" + SMUGGLED,
    "space-before-colon": b"GET /a HTTP/1.1\r\n" + HOST + b"Content-Length : 39\r\n\r\n" + SMUGGLED,
    "obsolete-line-folding": b"GET /a HTTP/1.1\r\n"
    + HOST
    + b"X-A: 1\r\n folded\r\n\r\n"
    + SMUGGLED,
    "missing-host": b"GET /a HTTP/1.1\r\nContent-Length: 39\r\n\r\n" + SMUGGLED,
    "two-hosts": b"GET /a HTTP/1.1\r\n" + HOST + HOST + b"\r\n" + SMUGGLED,
    "http10-chunked": b"POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "fragment-in-target": b"GET /a#frag HTTP/1.1\r\n" + HOST + b"\r\n" + SMUGGLED,
    "garbage-request-line": b"GARBAGE\r\n\r\n" + SMUGGLED,
}


@pytest.mark.parametrize("payload", SMUGGLING_CASES.values(), ids=SMUGGLING_CASES.keys())
def test_ambiguous_or_malformed_requests_get_400_and_close(
    start_server, connect, recording_app, payload
):
    client = connect(start_server(recording_app))
    client.send(payload)
    refused(client, 400)
    assert "/smuggled" not in recording_app.paths
    assert recording_app.paths == []


def test_unknown_transfer_coding_gets_501(start_server, connect, recording_app):
    client = connect(start_server(recording_app))
    client.send(
        b"POST /a HTTP/1.1\r\n"
        + HOST
        + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
        + SMUGGLED
    )
    refused(client, 501)
    assert recording_app.paths == []


def test_bad_chunk_after_the_worker_started_reading(start_server, connect, recording_app):
    client = connect(start_server(recording_app))
    first = b"%x\r\n" % 70000 + b"a" * 70000 + b"\r\n"
    client.send(b"POST /big HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n" + first)
    time.sleep(0.2)
    client.send(b"0x10\r\n" + SMUGGLED)
    refused(client, 400)
    assert recording_app.paths == ["/big"]


def test_unsupported_versions(start_server, connect, recording_app):
    server = start_server(recording_app)
    client = connect(server)
    client.send(b"GET / HTTP/2.0\r\n" + HOST + b"\r\n")
    refused(client, 505)
    client = connect(server)
    client.send(b"GET / HTTP/0.9\r\n\r\n")
    refused(client, 400)
    client = connect(server)
    client.send(b"CONNECT example.com:443 HTTP/1.1\r\n" + HOST + b"\r\n")
    refused(client, 405)
    assert recording_app.paths == []


def test_oversize_head_gets_431(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_header_size=4096))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 5000 + b"\r\n\r\n")
    assert b"headers sent with the request exceed" in refused(client, 431)
    assert recording_app.paths == []


def test_oversize_head_sent_slowly_gets_431(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_header_size=4096))
    client.send(b"GET / HTTP/1.1\r\n" + HOST)
    for _ in range(10):
        client.send(b"X-Filler: " + b"b" * 500 + b"\r\n")
        time.sleep(0.01)
    refused(client, 431)


def test_head_within_limit_passes(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_header_size=4096))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 3000 + b"\r\n\r\n")
    assert client.read_response().status == 200


def test_oversize_uri_gets_414(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_uri_size=1024))
    client.send(b"GET /" + b"u" * 2000 + b" HTTP/1.1\r\n" + HOST + b"\r\n")
    refused(client, 414)
    assert recording_app.paths == []


def test_oversize_body_with_content_length_gets_413(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_body_size=1000))
    client.send(b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 1001\r\n\r\n" + b"x" * 1001)
    refused(client, 413)
    assert recording_app.paths == []


def test_oversize_body_with_expect_gets_413_before_any_byte(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_body_size=1000))
    client.send(
        b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
    )
    refused(client, 413)
    assert recording_app.paths == []


def test_oversize_chunked_body_buffered_by_selector_gets_413(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_body_size=1000))
    chunks = (b"200\r\n" + b"y" * 512 + b"\r\n") * 3 + b"0\r\n\r\n"
    client.send(b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n" + chunks)
    refused(client, 413)
    assert recording_app.paths == []


def test_oversize_chunked_body_read_by_the_app_gets_413(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_body_size=200_000))
    chunk = b"%x\r\n" % 70000 + b"z" * 70000 + b"\r\n"
    client.send(b"POST /stream HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n")
    refused_while_sending(client, [chunk] * 4, 413)
    assert recording_app.paths == ["/stream"]


def test_endless_chunk_extension_gets_413(start_server, connect, recording_app):
    # llhttp skips chunk extensions of any length: their bytes count against the head limit.
    client = connect(start_server(recording_app, max_request_header_size=4096))
    client.send(b"POST /ext HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n2;a=")
    refused_while_sending(client, [b"b" * 1024] * 20, 413, pause=0.005)


def test_oversize_trailers_get_413(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_header_size=4096))
    trailers = b"X-Trailer: " + b"t" * 100 + b"\r\n"
    client.send(
        b"POST /trailers HTTP/1.1\r\n"
        + HOST
        + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n"
        + trailers * 100
        + b"\r\n"
    )
    refused(client, 413)


def test_chunked_body_with_modest_framing_passes(start_server, connect, recording_app):
    client = connect(start_server(recording_app, max_request_header_size=4096))
    chunks = b"".join(b"1;n=%d\r\nq\r\n" % i for i in range(200))
    client.send(
        b"POST /framed HTTP/1.1\r\n"
        + HOST
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\nX-Sum: 200\r\n\r\n"
    )
    response = client.read_response()
    assert response.status == 200, response.raw
    assert recording_app.paths == ["/framed"]


def test_partial_head_times_out_with_408(start_server, connect, recording_app):
    client = connect(start_server(recording_app, timeout=0.5))
    client.send(b"GET / HTTP/1.1\r\nHo")
    started = time.monotonic()
    response = client.read_response()
    assert response.status == 408
    assert client.is_closed()
    assert time.monotonic() - started < 3


def test_idle_keep_alive_connection_is_closed_after_timeout(start_server, connect, recording_app):
    client = connect(start_server(recording_app, timeout=0.5))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 200
    assert client.is_closed(timeout=3)
    assert client.buffer == b""


def test_parser_unit_limits_and_decoding():
    parser = RequestParser(Limits(max_header_size=100, max_uri_size=10, max_body_size=5))
    parser.feed(b"GET /0123456789abc HTTP/1.1\r\n")
    assert parser.requests[0].error.status == 414
    parser = RequestParser(Limits())
    parser.feed(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHo")
    first, second = parser.requests
    assert first.complete and first.path == b"/a" and first.query == b"b=1"
    assert not second.head_complete and second.error is None
    assert decode_path(b"/a%20b%2fc%2Fd") == "/a b%2Fc%2Fd"
    assert decode_path(b"/caf%C3%A9") == "/caf\xc3\xa9"


def test_parser_bounds_chunk_framing_across_reads_only():
    head = b"POST /x HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n"
    # Framing spread over several reads beyond the head limit: refused.
    parser = RequestParser(Limits(max_header_size=4096))
    parser.feed(head)
    for piece in (b"2;" + b"e" * 3000, b"e" * 3000, b"\r\nab\r\n0\r\n\r\n"):
        parser.feed(piece)
    assert [request.error.status for request in parser.requests] == [413]
    # The same bytes arriving in one read complete the request: nothing lingers to bound.
    parser = RequestParser(Limits(max_header_size=4096))
    parser.feed(head)
    parser.feed(b"2;" + b"e" * 6000 + b"\r\nab\r\n0\r\n\r\n")
    assert [(request.error, bytes(request.body)) for request in parser.requests] == [(None, b"ab")]
