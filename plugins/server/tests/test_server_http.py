"""HTTP/1.x behaviour of cherrypy_server over real sockets, checked byte by byte."""

from __future__ import annotations

import threading
import time

import pytest

HOST = b"Host: test\r\n"


def echo_app(environ, start_response):
    """Answer with the method, path, query and the request body."""
    body = environ["wsgi.input"].read()
    text = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ['QUERY_STRING']} ".encode(
        "latin-1"
    )
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [text + body]


def test_keep_alive_serves_several_requests_on_one_connection(start_server, connect):
    client = connect(start_server(echo_app))
    for number in range(3):
        client.send(b"GET /n%d HTTP/1.1\r\n" % number + HOST + b"\r\n")
        response = client.read_response()
        assert response.status == 200
        assert response.body == b"GET /n%d? " % number
        assert response.header("Content-Length") == str(len(response.body))
        assert response.header("Connection") is None
        assert response.header("Date") and response.header("Server")
    client.send(b"GET /last HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
    response = client.read_response()
    assert response.header("Connection") == "close"
    assert client.is_closed()


def test_http10_keep_alive_only_when_asked(start_server, connect):
    server = start_server(echo_app)
    client = connect(server)
    client.send(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    response = client.read_response()
    assert response.raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert response.header("Connection") == "Keep-Alive"
    assert response.header("Keep-Alive") == "timeout=5"
    client.send(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert client.read_response().body == b"GET /b? "
    client.send(b"GET /c HTTP/1.0\r\n\r\n")
    response = client.read_response()
    assert response.header("Connection") is None
    assert response.body == b"GET /c? "
    assert client.is_closed()


def test_http10_streaming_response_is_close_delimited(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"one "
        yield b"two"

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    raw = client.read_to_eof()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert body == b"one two"


def test_pipelined_requests_are_answered_in_order(start_server, connect):
    client = connect(start_server(echo_app))
    client.send(
        b"GET /first HTTP/1.1\r\n" + HOST + b"\r\n"
        b"POST /second HTTP/1.1\r\n" + HOST + b"Content-Length: 5\r\n\r\nhello"
        b"POST /third HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
        b"GET /fourth?x=1 HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"
    )
    bodies = [client.read_response().body for _ in range(4)]
    assert bodies == [
        b"GET /first? ",
        b"POST /second? hello",
        b"POST /third? abc",
        b"GET /fourth?x=1 ",
    ]
    assert client.is_closed()


def test_chunked_request_with_trailers_then_next_request(start_server, connect):
    seen = []

    def app(environ, start_response):
        seen.append({k: v for k, v in environ.items() if k.startswith("HTTP_")})
        return echo_app(environ, start_response)

    client = connect(start_server(app))
    client.send(
        b"POST /up HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\nX-Other: 1\r\n\r\n"
    )
    response = client.read_response()
    assert response.body == b"POST /up? hello world"
    client.send(b"GET /after HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"GET /after? "
    assert "HTTP_X_CHECKSUM" not in seen[0]
    assert seen[0]["HTTP_TRANSFER_ENCODING"] == "chunked"


def test_streamed_response_is_chunked_on_http11(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"abc"
        yield b""
        yield b"0123456789abcdefg"

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.header("Transfer-Encoding") == "chunked"
    assert response.raw.endswith(b"\r\n\r\n3\r\nabc\r\n11\r\n0123456789abcdefg\r\n0\r\n\r\n")
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"abc0123456789abcdefg"


def test_write_callable_and_empty_body(start_server, connect):
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        if environ["PATH_INFO"] == "/write":
            write(b"written ")
            return [b"returned"]
        return []

    client = connect(start_server(app))
    client.send(b"GET /write HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"written returned"
    client.send(b"GET /empty HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.header("Content-Length") == "0" and response.body == b""


def test_expect_100_continue_is_sent_when_the_body_is_read(start_server, connect):
    client = connect(start_server(echo_app))
    client.send(
        b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    )
    interim = client._read_until(b"\r\n\r\n")
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    client.send(b"data")
    response = client.read_response()
    assert response.status == 200 and response.body == b"POST /upload? data"
    client.send(b"GET /again HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 200


def test_expect_100_continue_unread_small_body_is_invited_then_drained(start_server, connect):
    """As with cheroot, the client gets its 100 Continue even when the app never reads."""

    def app(environ, start_response):
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"no"]

    client = connect(start_server(app))
    client.send(
        b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 400\r\nExpect: 100-continue\r\n\r\n"
    )
    assert client.read_response().status == 100
    response = client.read_response()
    assert response.status == 403 and response.body == b"no"
    assert response.header("Connection") is None
    client.send(b"x" * 400)
    client.send(b"GET /again HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 403


def test_expect_100_continue_unread_huge_body_closes_without_inviting_it(start_server, connect):
    def app(environ, start_response):
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"no"]

    client = connect(start_server(app))
    client.send(
        b"POST /upload HTTP/1.1\r\n"
        + HOST
        + b"Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n"
    )
    response = client.read_response()
    assert response.status == 403
    assert response.header("Connection") == "close"
    assert b"100 Continue" not in response.raw
    assert client.is_closed()


def test_unsupported_expectation_gets_417(start_server, connect):
    client = connect(start_server(echo_app))
    client.send(b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 1\r\nExpect: magic\r\n\r\nx")
    assert client.read_response().status == 417
    assert client.is_closed()


def test_head_sends_headers_only(start_server, connect):
    calls = []

    def app(environ, start_response):
        calls.append(environ["REQUEST_METHOD"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        if environ["PATH_INFO"] == "/stream":
            return iter([b"streamed", b" body"])
        return [b"twelve bytes"]

    client = connect(start_server(app))
    client.send(b"HEAD / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response(head_only=True)
    assert response.header("Content-Length") == "12"
    client.send(b"HEAD /stream HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response(head_only=True)
    assert response.header("Transfer-Encoding") is None
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.raw.startswith(b"HTTP/1.1 200 OK") and response.body == b"twelve bytes"
    assert calls == ["HEAD", "HEAD", "GET"]


def test_no_body_statuses_have_no_framing(start_server, connect):
    def app(environ, start_response):
        start_response(environ["PATH_INFO"][1:].replace("_", " "), [])
        return []

    client = connect(start_server(app))
    for status in (b"204_No_Content", b"304_Not_Modified"):
        client.send(b"GET /" + status + b" HTTP/1.1\r\n" + HOST + b"\r\n")
        response = client.read_response()
        assert response.status in (204, 304)
        assert b"Content-Length" not in response.raw and b"Transfer-Encoding" not in response.raw


def test_absolute_form_target(start_server, connect):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b"ok"]

    client = connect(start_server(app))
    client.send(b"GET http://example.com:8000/a%20b/c?x=1&y=2 HTTP/1.1\r\nHost: other\r\n\r\n")
    assert client.read_response().status == 200
    assert seen["PATH_INFO"] == "/a b/c"
    assert seen["QUERY_STRING"] == "x=1&y=2"
    assert seen["HTTP_HOST"] == "example.com:8000"
    assert seen["REQUEST_URI"] == "http://example.com:8000/a%20b/c?x=1&y=2"


def test_environ_is_complete(start_server, connect):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    server = start_server(app)
    client = connect(server)
    client.send(
        b"POST /caf%C3%A9/x%2Fy?q=%20 HTTP/1.1\r\n" + HOST + b"X-Multi: a\r\nX-Multi: b\r\n"
        b"Cookie: a=1\r\nCookie: b=2\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
    )
    assert client.read_response().status == 200
    port = server.bound_addr[1]
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["SCRIPT_NAME"] == ""
    assert seen["PATH_INFO"] == "/caf\xc3\xa9/x%2Fy"
    assert seen["QUERY_STRING"] == "q=%20"
    assert seen["REQUEST_URI"] == "/caf%C3%A9/x%2Fy?q=%20"
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert seen["SERVER_NAME"] == "127.0.0.1" and seen["SERVER_PORT"] == str(port)
    assert seen["REMOTE_ADDR"] == "127.0.0.1" and int(seen["REMOTE_PORT"]) > 0
    assert seen["CONTENT_TYPE"] == "text/plain" and seen["CONTENT_LENGTH"] == "2"
    assert "HTTP_CONTENT_TYPE" not in seen and "HTTP_CONTENT_LENGTH" not in seen
    assert seen["HTTP_X_MULTI"] == "a, b"
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert seen["wsgi.version"] == (1, 0)
    assert seen["wsgi.url_scheme"] == "http"
    assert seen["wsgi.multithread"] is True and seen["wsgi.multiprocess"] is False
    assert seen["wsgi.run_once"] is False
    assert hasattr(seen["wsgi.errors"], "write") and hasattr(seen["wsgi.input"], "read")
    assert callable(seen["wsgi.file_wrapper"])


def test_wsgi_input_readline_and_iteration(start_server, connect):
    def app(environ, start_response):
        stream = environ["wsgi.input"]
        first = stream.readline()
        partial = stream.readline(3)
        rest = list(stream)
        start_response("200 OK", [])
        return [repr((first, partial, rest)).encode()]

    client = connect(start_server(app))
    body = b"line one\nline two\nlast"
    client.send(b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert (
        client.read_response().body == repr((b"line one\n", b"lin", [b"e two\n", b"last"])).encode()
    )


def test_large_body_is_read_by_the_worker(start_server, connect):
    def app(environ, start_response):
        data = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [b"%d %d" % (len(data), sum(data) % 251)]

    client = connect(start_server(app))
    body = bytes(range(256)) * 2000
    client.send(b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % len(body))
    sender = threading.Thread(target=client.send, args=(body,))
    sender.start()
    response = client.read_response()
    sender.join(5)
    assert response.body == b"%d %d" % (len(body), sum(body) % 251)


def test_unread_body_is_drained_not_parsed_as_a_request(start_server, connect):
    paths = []

    def app(environ, start_response):
        paths.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"ignored the body"]

    client = connect(start_server(app))
    smuggled = b"GET /smuggled HTTP/1.1\r\n" + HOST + b"\r\n"
    client.send(
        b"POST /a HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % len(smuggled) + smuggled
    )
    client.read_response()
    client.send(b"GET /b HTTP/1.1\r\n" + HOST + b"\r\n")
    client.read_response()
    assert paths == ["/a", "/b"]


def test_application_error_before_start_response_gives_500(start_server, connect, caplog):
    def app(environ, start_response):
        raise RuntimeError("boom")

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 500
    assert b"boom" not in response.body and len(response.body) < 200
    assert "boom" in caplog.text


def test_application_error_after_headers_closes_the_connection(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [])
        yield b"partial"
        raise RuntimeError("late failure")

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    raw = client.read_to_eof()
    assert raw.startswith(b"HTTP/1.1 200 OK")
    assert raw.endswith(b"7\r\npartial\r\n")


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Bad", "a\r\nSet-Cookie: evil=1")],
        [("X-Bad\n", "a")],
    ],
)
def test_response_header_injection_is_refused(start_server, connect, headers):
    def app(environ, start_response):
        start_response("200 OK", headers)
        return [b"x"]

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 500
    assert b"evil" not in response.raw


def test_content_length_set_by_app_is_respected(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "5")])
        return iter([b"12", b"345"])

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.header("Transfer-Encoding") is None and response.body == b"12345"
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"12345"


def test_short_body_for_declared_length_closes(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "10")])
        return iter([b"short"])

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    raw = client.read_to_eof()
    assert raw.endswith(b"\r\n\r\nshort")


def test_selectors_fallback_poller(start_server, connect):
    client = connect(start_server(echo_app, use_epoll=False))
    for number in range(3):
        client.send(b"GET /%d HTTP/1.1\r\n" % number + HOST + b"\r\n")
        assert client.read_response().body == b"GET /%d? " % number


def test_upgrade_request_is_served_as_plain_http_and_kept_alive(start_server, connect):
    # Upgrade is ignored (RFC 9110 section 7.8): the connection goes on with HTTP/1.1.
    client = connect(start_server(echo_app))
    client.send(
        b"GET /ws HTTP/1.1\r\n" + HOST + b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        b"GET /next HTTP/1.1\r\n" + HOST + b"\r\n"
    )
    response = client.read_response()
    assert response.status == 200 and response.body == b"GET /ws? "
    assert response.header("Connection") != "close"
    assert client.read_response().body == b"GET /next? "


def test_accepted_queue_size_refuses_with_503_when_saturated(start_server, connect):
    release = threading.Event()

    def slow_app(environ, start_response):
        release.wait(5)
        start_response("200 OK", [])
        return [b"done"]

    server = start_server(slow_app, numthreads=1, max=1, accepted_queue_size=0)
    busy = connect(server)
    busy.send(b"GET /busy HTTP/1.1\r\n" + HOST + b"\r\n")
    try:
        time.sleep(0.2)
        refused = connect(server)
        refused.send(b"GET /more HTTP/1.1\r\n" + HOST + b"\r\n")
        assert refused.read_response().status == 503
        assert refused.is_closed()
    finally:
        release.set()
    assert busy.read_response().body == b"done"


def test_statistics_count_requests(start_server, connect):
    server = start_server(echo_app)
    server.stats["Enabled"] = True
    client = connect(server)
    for _ in range(3):
        client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        client.read_response()
    assert server.stats["Requests"] == 3


def test_server_can_restart(start_server, connect):
    server = start_server(echo_app)
    server.stop()
    server.start_in_thread()
    client = connect(server)
    client.send(b"GET /again HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"GET /again? "


class _ClosingList(list):
    """A list body with ``close`` (a framework's way to end its request after sending)."""

    closed: list[str] = []

    def close(self) -> None:
        _ClosingList.closed.append("closed")


class _OddList(list):
    """A list subclass that iterates differently from its contents."""

    def __iter__(self):
        return iter([b"from", b" iter"])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_ClosingList([b"one piece"]), b"one piece"),
        (_ClosingList([b"two ", b"pieces"]), b"two pieces"),
        (_OddList([b"ignored"]), b"from iter"),
    ],
)
def test_a_list_subclass_body_is_sent_as_it_iterates_and_closed(
    start_server, connect, body, expected
):
    _ClosingList.closed.clear()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    server = start_server(app)
    client = connect(server)
    for _ in range(2):  # and the connection stays usable
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        response = client.read_response()
        assert response.status == 200
        assert response.body == expected
    if isinstance(body, _ClosingList):
        deadline = time.monotonic() + 5  # (closed right after the send: it may trail the read)
        while len(_ClosingList.closed) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _ClosingList.closed == ["closed", "closed"]
