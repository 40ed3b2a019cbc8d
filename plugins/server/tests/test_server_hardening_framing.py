"""Framing hardening (issue 20): every provably bad request is answered at once, strictly.

Over-limit chunk sizes (413), HTTP/0.9 and other malformed request lines (400 once their line
ends), exactly one space between the request line's parts, a per-line limit
(``max_request_header_line_size``: 431, or 414 for the request line), repeated headers joined
in linear time, and ``Upgrade`` ignored so the body is read and the connection stays framed.

The servers here wait 30 s for slow clients while the test client gives up after 5 s: an
answer that arrives at all arrived because the bytes proved the request bad, not because a
timeout expired.
"""

from __future__ import annotations

import pytest

from cherrypy_server import HTTPServer
from cherrypy_server.protocol import Limits, RequestParser, _merge_repeated

HOST = b"Host: test\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
PATIENT = 30  # the server's timeout: far beyond the client's 5 s


@pytest.fixture
def echo_app():
    """Answers ``METHOD PATH body`` and records each request's path and body."""
    seen: list[tuple[str, bytes]] = []

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        seen.append((environ["PATH_INFO"], body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} ".encode() + body]

    app.seen = seen
    return app


def refused(client, status: int) -> bytes:
    response = client.read_response()
    assert response.status == status, response.raw
    assert response.header("Connection") == "close"
    assert client.is_closed()
    return response.body


# -- 1. over-limit chunk sizes: 413 at once -------------------------------------------------

CHUNKED_HEAD = b"POST /up HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    "framing",
    [
        b"100000\r\n",  # one chunk announcing 1 MiB, no data sent
        b"fffffffffff",  # digits already over the limit, line not even ended
        b"200\r\n" + b"a" * 512 + b"\r\n200;ext=1\r\n",  # the total over the limit
        b"ffffffffffffffffffffffff\r\n",  # beyond what llhttp can count: still 413
    ],
)
def test_over_limit_chunk_size_is_413_at_once(start_server, connect, echo_app, framing):
    server = start_server(echo_app, timeout=PATIENT, max_request_body_size=1000)
    client = connect(server)
    client.send(CHUNKED_HEAD + framing)
    refused(client, 413)
    assert echo_app.seen == []


def test_chunk_sizes_within_the_limit_pass(start_server, connect, echo_app):
    client = connect(start_server(echo_app, max_request_body_size=1000))
    client.send(
        CHUNKED_HEAD + b"1F4\r\n" + b"a" * 500 + b"\r\n1f4\r\n" + b"b" * 500 + b"\r\n0\r\n\r\n"
    )
    response = client.read_response()
    assert response.status == 200
    assert echo_app.seen == [("/up", b"a" * 500 + b"b" * 500)]


def test_malformed_body_before_an_over_limit_size_is_a_400_however_split():
    data = CHUNKED_HEAD + b"5\n" + b"8" * 22
    for cut in range(len(CHUNKED_HEAD), len(data) + 1):
        parser = RequestParser(Limits())
        parser.feed(data[:cut])
        parser.feed(data[cut:])
        assert [request.error.status for request in parser.requests] == [400], cut


# -- 2. HTTP/0.9 and other malformed request lines: 400 once the line ends ---------------------


@pytest.mark.parametrize(
    ("raw", "status", "text"),
    [
        (b"GET /\r\n", 400, b"Malformed Request-Line"),
        (b"GET /\r\n\r\n", 400, b"Malformed Request-Line"),
        (b"GET\r\n", 400, b"Malformed Request-Line"),
        (b"GET / HTTP/0.9\r\n", 400, b"HTTP/0.9 requests are not supported."),
        (b"GET / HTTP/2.0\r\n", 505, b"Cannot fulfill request"),
        (b"GET / HTTP/1.2\r\n", 505, b"Cannot fulfill request"),
        (b"GET / RTSP/1.0\r\n", 400, b"Malformed Request-Line: bad protocol"),
        (b"SOURCE / ICE/1.0\r\n", 400, b"Malformed Request-Line: bad protocol"),
        (b"GET / http/1.1\r\n", 400, b"Malformed Request-Line: bad protocol"),
        (b"GET / HTTP/1.10\r\n", 400, b"Malformed Request-Line: bad version"),
        (b"GET / HTTP/1.x\r\n", 400, b"Malformed Request-Line: bad version"),
        (b"PRI * HTTP/2.0\r\n", 505, b"Cannot fulfill request"),
        (b"GET / HTTP/1.1\n", 400, b"HTTP requires CRLF terminators"),
    ],
)
def test_malformed_request_line_is_answered_when_its_line_ends(
    start_server, connect, echo_app, raw, status, text
):
    client = connect(start_server(echo_app, timeout=PATIENT))
    client.send(raw)
    assert refused(client, status).startswith(text)
    assert echo_app.seen == []


def test_http09_line_arriving_in_pieces_is_answered_at_its_crlf(start_server, connect, echo_app):
    client = connect(start_server(echo_app, timeout=PATIENT))
    client.send(b"GET /")
    assert not client.is_closed(timeout=0.3)  # not provably bad yet: a version may follow
    client.send(b"\r")
    assert not client.is_closed(timeout=0.3)
    client.send(b"\n")
    assert refused(client, 400).startswith(b"Malformed Request-Line")


# -- 3. request-line strictness (RFC 9112 section 3) --------------------------------------------

BAD_LINES = {
    "double-space-after-method": b"GET  /a HTTP/1.1\r\n",
    "double-space-before-version": b"GET /a  HTTP/1.1\r\n",
    "tab-after-method": b"GET\t/a HTTP/1.1\r\n",
    "tab-before-version": b"GET /a\tHTTP/1.1\r\n",
    "leading-space": b" GET /a HTTP/1.1\r\n",
    "trailing-space": b"GET /a HTTP/1.1 \r\n",
    "trailing-tab": b"GET /a HTTP/1.1\t\r\n",
    "space-in-target": b"GET /a b HTTP/1.1\r\n",
    "lowercase-method": b"get /a HTTP/1.1\r\n",
    "odd-method-token": b"G@T /a HTTP/1.1\r\n",
    "unknown-method": b"FOO /a HTTP/1.1\r\n",
    "vertical-tab": b"GET\x0b/a HTTP/1.1\r\n",
    "cr-in-line": b"GET /a\rHTTP/1.1\r\n",
    "two-empty-lines-first": b"\r\n\r\nGET /a HTTP/1.1\r\n",
    "bare-lf-first": b"\nGET /a HTTP/1.1\r\n",
}


@pytest.mark.parametrize("line", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_request_line_must_be_exactly_method_sp_target_sp_version(
    start_server, connect, echo_app, line
):
    client = connect(start_server(echo_app, timeout=PATIENT))
    client.send(line + HOST + b"\r\n" + SMUGGLED)
    refused(client, 400)
    assert echo_app.seen == []


def test_one_empty_line_before_a_request_is_ignored(start_server, connect, echo_app):
    client = connect(start_server(echo_app))
    client.send(b"\r\nGET /a HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"GET /a "
    # Also between requests, as old clients send after a POST body; and split in two reads.
    client.send(b"POST /b HTTP/1.1\r\n" + HOST + b"Content-Length: 2\r\n\r\nhi\r")
    client.send(b"\nGET /c HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"POST /b hi"
    assert client.read_response().body == b"GET /c "


def test_bad_request_line_pipelined_after_a_chunked_body_is_refused(
    start_server, connect, echo_app
):
    # The parser knows where the chunked body ends, so the next request line is checked too.
    client = connect(start_server(echo_app))
    client.send(
        CHUNKED_HEAD + b"3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"
        b"GET  /second HTTP/1.1\r\n" + HOST + b"\r\n" + SMUGGLED
    )
    assert client.read_response().body == b"POST /up abc"
    refused(client, 400)
    assert echo_app.seen == [("/up", b"abc")]


def test_good_requests_pipelined_after_every_kind_of_body_are_served(
    start_server, connect, echo_app
):
    client = connect(start_server(echo_app))
    client.send(
        CHUNKED_HEAD + b"3;x=y\r\nabc\r\n0\r\n\r\n"
        b"POST /two HTTP/1.1\r\n" + HOST + b"Content-Length: 3\r\n\r\ndef"
        b"GET /three HTTP/1.1\r\n" + HOST + b"\r\n"
    )
    assert [client.read_response().body for _ in range(3)] == [
        b"POST /up abc",
        b"POST /two def",
        b"GET /three ",
    ]


# -- 4. repeated headers: joined once, in order -------------------------------------------------


def test_ten_thousand_repeated_headers_are_joined_in_order(start_server, connect):
    values: dict[str, str] = {}

    def app(environ, start_response):
        values.update((k, v) for k, v in environ.items() if k in ("HTTP_X_A", "HTTP_COOKIE"))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    client = connect(start_server(app))
    lines = b"".join(b"X-A: %d\r\n" % number for number in range(10_000))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + lines + b"Cookie: a=1\r\ncookie: b=2\r\n\r\n")
    assert client.read_response().status == 200
    assert values["HTTP_X_A"] == ", ".join(str(number) for number in range(10_000))
    assert values["HTTP_COOKIE"] == "a=1; b=2"


def test_merge_matches_the_environ_keys():
    headers = [(b"X-A", b"1"), (b"x_a", b"2"), (b"Content-Type", b"t")]
    headers += [(b"X-B", b"%d" % n) for n in range(40)] + [(b"content_type", b"u")]
    headers += [(b"Cookie", b"c=1"), (b"COOKIE", b"d=2")]
    assert _merge_repeated(headers) == [
        (b"X-A", b"1, 2"),
        (b"Content-Type", b"t"),  # CONTENT_TYPE and HTTP_CONTENT_TYPE stay apart
        (b"X-B", b", ".join(b"%d" % n for n in range(40))),
        (b"content_type", b"u"),
        (b"Cookie", b"c=1; d=2"),
    ]
    distinct = [(b"H%d" % n, b"v") for n in range(40)]
    assert _merge_repeated(distinct) is distinct


# -- 5. per-line limit: max_request_header_line_size --------------------------------------------


def test_header_line_over_64_kib_is_431_at_once(start_server, connect, echo_app):
    client = connect(start_server(echo_app, timeout=PATIENT))
    # Not even ended: its length alone proves it too long.
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * (70 * 1024))
    refused(client, 431)
    client = connect(start_server(echo_app, timeout=PATIENT))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n")
    refused(client, 431)
    assert echo_app.seen == []


def test_header_lines_up_to_the_limit_pass(start_server, connect, echo_app):
    client = connect(start_server(echo_app))
    line = b"X-Big: " + b"a" * (65536 - 7)  # 65536 bytes, CRLF excluded
    client.send(b"GET / HTTP/1.1\r\n" + HOST + line + b"\r\n" + line + b"\r\n\r\n")
    assert client.read_response().status == 200


def test_request_line_over_the_line_limit_is_414(start_server, connect, echo_app):
    server = start_server(echo_app, timeout=PATIENT, max_request_uri_size=0)
    client = connect(server)
    client.send(b"GET /" + b"a" * (70 * 1024))
    refused(client, 414)
    client = connect(server)
    client.send(b"GET /" + b"a" * (70 * 1024) + b" HTTP/1.1\r\n" + HOST + b"\r\n")
    refused(client, 414)


def test_line_limit_can_be_changed_or_turned_off(start_server, connect, echo_app):
    big = b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n"
    client = connect(start_server(echo_app, max_request_header_line_size=0))
    client.send(big)
    assert client.read_response().status == 200
    client = connect(start_server(echo_app, max_request_header_line_size=100))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"X-A: " + b"a" * 100 + b"\r\n\r\n")
    refused(client, 431)


def test_the_setting_reaches_the_server_from_cherrypy_config():
    from cherrypy_server.adapter import Server
    from cherrypy_server.wsgi_server import CPWSGIServer

    adapter = Server()
    assert adapter.max_request_header_line_size == 65536
    adapter.max_request_header_line_size = 1234
    server = CPWSGIServer(adapter, wsgi_app=lambda environ, start_response: [])
    assert isinstance(server, HTTPServer)
    assert server.max_request_header_line_size == 1234


def test_trailer_and_head_lines_sent_byte_by_byte_parse_as_one_read():
    wire = (
        b"\r\nPOST /a?q=1 HTTP/1.1\r\n" + HOST + b"X-Long: " + b"v" * 3000 + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"4;e=1\r\nabcd\r\n0\r\nX-Trailer: " + b"t" * 3000 + b"\r\n\r\n"
        b"GET /b HTTP/1.1\r\n" + HOST + b"\r\n"
    )
    whole = RequestParser(Limits())
    whole.feed(wire)
    trickled = RequestParser(Limits())
    for index in range(len(wire)):
        trickled.feed(wire[index : index + 1])
    for parser in (whole, trickled):
        first, second = parser.requests
        assert first.error is None and first.complete and bytes(first.body) == b"abcd"
        assert first.headers[1] == (b"X-Long", b"v" * 3000)
        assert second.complete and second.path == b"/b"


# -- 6. Upgrade is ignored: body read, connection kept and framed -------------------------------


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 5\r\n\r\nhello",
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ],
    ids=["content-length", "chunked"],
)
def test_upgrade_request_body_reaches_the_app_and_the_connection_stays_framed(
    start_server, connect, echo_app, framing
):
    client = connect(start_server(echo_app))
    client.send(
        b"POST /ws HTTP/1.1\r\n" + HOST + b"Connection: keep-alive, Upgrade\r\n"
        b"Upgrade: websocket\r\n" + framing + b"GET /next HTTP/1.1\r\n" + HOST + b"\r\n"
    )
    response = client.read_response()
    assert response.status == 200 and response.body == b"POST /ws hello"
    assert response.header("Connection") != "close"
    assert client.read_response().body == b"GET /next "
    assert echo_app.seen == [("/ws", b"hello"), ("/next", b"")]
    client.send(b"GET /again HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"GET /again "


def test_upgrade_body_arriving_later_is_still_read(start_server, connect, echo_app):
    client = connect(start_server(echo_app))
    client.send(
        b"POST /ws HTTP/1.1\r\n" + HOST + b"Connection: Upgrade\r\nUpgrade: h2c\r\n"
        b"Content-Length: 5\r\n\r\nhe"
    )
    assert not client.is_closed(timeout=0.2)
    client.send(b"llo")
    assert client.read_response().body == b"POST /ws hello"


def test_bytes_after_an_upgrade_request_are_http_not_another_protocol(
    start_server, connect, echo_app
):
    # Not switched: what follows is read as HTTP/1.1, so websocket frames are a bad request.
    client = connect(start_server(echo_app))
    client.send(
        b"GET /ws HTTP/1.1\r\n" + HOST + b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        b"\x81\x05hello\r\n"
    )
    assert client.read_response().body == b"GET /ws "
    refused(client, 400)


def test_connect_never_lets_pipelined_bytes_through(start_server, connect, echo_app):
    client = connect(start_server(echo_app, allow_connect=True))
    client.send(b"CONNECT example.com:443 HTTP/1.1\r\n" + HOST + b"\r\n" + SMUGGLED)
    response = client.read_response()
    assert response.status == 200 and response.header("Connection") == "close"
    assert client.is_closed()
    assert [path for path, _ in echo_app.seen] == ["/example.com:443"]


def test_a_long_body_line_arriving_in_pieces_is_found_once_complete():
    from cherrypy_server.protocol import Request

    request = Request()
    for _ in range(1000):
        request.body += b"x" * 100
        assert request.take_line(-1) is None
    request.body += b"y\nrest"
    assert request.take_line(-1) == b"x" * 100_000 + b"y\n"
    request.body += b"\n"
    assert request.take_line(-1) == b"rest\n"
    assert request.take_line(3) is None and request.buffered == 0
