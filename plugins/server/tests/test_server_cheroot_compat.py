"""Behaviour CherryPy applications see from cheroot, reproduced over real sockets.

Timeouts on silent connections, cheroot's error texts, CONNECT passed to the application,
Content-Length overruns, interrupts raised by applications, and the port-wait helpers.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings

import pytest

from cherrypy_server import HTTPServer
from cherrypy_server.servers import ServerAdapter, _safe_wait, wait_for_occupied_port

HOST = b"Host: test\r\n"


def path_app(environ, start_response):
    body = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- 408 on silent connections ----------------------------------------------------------------


def test_new_connection_that_sends_nothing_gets_408(start_server, connect):
    client = connect(start_server(path_app, timeout=0.5))
    time.sleep(1.0)
    response = client.read_response()
    assert response.status == 408
    assert client.is_closed()


def test_idle_keep_alive_connection_after_a_request_closes_without_408(start_server, connect):
    client = connect(start_server(path_app, timeout=0.5))
    client.send(b"GET /one HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 200
    time.sleep(1.0)
    assert client.is_closed()
    assert client.buffer == b""


def test_unterminated_bad_request_line_waits_for_its_end_then_gets_408(start_server, connect):
    client = connect(start_server(path_app, timeout=0.5))
    client.send(b"GET /hello HTTP/1.1Host: test")
    time.sleep(1.0)
    assert client.read_response().status == 408


def test_bad_line_is_answered_once_its_newline_arrives(start_server, connect):
    client = connect(start_server(path_app, timeout=5))
    client.send(b"GET /hello HTTP/1.1Host: test")
    assert not client.is_closed(timeout=0.3)
    client.send(b"\r\n\r\n")
    response = client.read_response()
    assert response.status == 400
    assert response.header("Connection") == "close"


# -- cheroot's error texts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"gjkgjklsgjklsgjkljklsg\r\n\r\n", b"Malformed Request-Line"),
        (b"geT /\r\n\r\n", b"Malformed Request-Line"),
        (b"GET /hello HTTP/1.1\n\n", b"HTTP requires CRLF terminators"),
        (b"GET /hello HTTP/1.1\r\n\n", b"HTTP requires CRLF terminators"),
        (b"GET / HTTP/1.1\r\n" + HOST + b"re, 1.2.3.4#015#012\r\n\r\n", b"Illegal header line."),
    ],
)
def test_malformed_heads_get_cheroots_400_texts(start_server, connect, raw, text):
    client = connect(start_server(path_app))
    client.send(raw)
    response = client.read_response()
    assert response.status == 400
    assert response.body.startswith(text), response.body
    assert client.is_closed()


# -- CONNECT ----------------------------------------------------------------------------------


def test_connect_reaches_the_app_as_slash_authority_when_allowed(start_server, connect):
    client = connect(start_server(path_app, allow_connect=True))
    client.send(b"CONNECT body.example.com:3128 HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 200
    assert response.body == b"CONNECT /body.example.com:3128"
    assert client.is_closed()


@pytest.mark.parametrize(
    "target",
    [b"example.com", b"http://example.com:33", b"/path/", b"path/", b"/?q=f", b"#f", b"h:0"],
)
def test_connect_target_must_be_authority_form(start_server, connect, target):
    client = connect(start_server(path_app, allow_connect=True))
    client.send(b"CONNECT " + target + b" HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 400
    assert response.body == (
        b"Invalid path in Request-URI: request-target must match authority-form."
    )


def test_connect_is_405_unless_allowed(start_server, connect):
    client = connect(start_server(path_app))
    client.send(b"CONNECT body.example.com:3128 HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 405


# -- responses longer than their Content-Length -----------------------------------------------


def test_first_body_chunk_beyond_content_length_gets_500_instead(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "5")])
        return [b"I have too many bytes"]

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 500
    assert response.body == (
        b"The requested resource returned more bytes than the declared Content-Length."
    )
    assert client.is_closed()


def test_later_chunk_beyond_content_length_is_cut_and_closes(start_server, connect):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "5")])
        return [b"I too", b" have too many"]

    client = connect(start_server(app))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.status == 200 and response.body == b"I too"
    assert client.is_closed()


# -- interrupts -------------------------------------------------------------------------------


def _serve_in_thread(server: HTTPServer) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            server.start()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.ready and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread, raised


@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit])
def test_interrupt_raised_by_the_app_drops_its_request_and_stops_the_server(connect, kind):
    def app(environ, start_response):
        raise kind()

    server = HTTPServer(("127.0.0.1", 0), app, 2, timeout=5, shutdown_timeout=1)
    thread, raised = _serve_in_thread(server)
    try:
        client = connect(server)
        client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        assert client.is_closed()
        assert client.buffer == b""
        thread.join(5)
        assert not thread.is_alive()
        assert len(raised) == 1 and isinstance(raised[0], kind)
        assert isinstance(server.interrupt, kind)
        assert not server.ready
    finally:
        server.stop()


def test_setting_interrupt_stops_the_server_and_serve_raises_it():
    server = HTTPServer(("127.0.0.1", 0), path_app, 2, timeout=5, shutdown_timeout=1)
    thread, raised = _serve_in_thread(server)
    server.interrupt = KeyboardInterrupt
    thread.join(5)
    assert not thread.is_alive()
    assert raised and isinstance(raised[0], KeyboardInterrupt)
    assert not server.ready
    server.prepare()
    try:
        assert server.interrupt is None
    finally:
        server.stop()


# -- cherrypy.process.servers helpers ---------------------------------------------------------


def test_safe_wait_only_warns_for_a_wildcard_host():
    port = free_port()
    unverified = pytest.warns(UserWarning, match="Unable to verify that the server is bound on ")
    with unverified, _safe_wait("0.0.0.0", port):
        wait_for_occupied_port("0.0.0.0", port, timeout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OSError), _safe_wait("127.0.0.1", port):
            wait_for_occupied_port("127.0.0.1", port, timeout=0.2)


def test_adapter_bound_addr_of_a_unix_socket_is_its_path(tmp_path):
    path = str(tmp_path / "app.sock")
    adapter = ServerAdapter(bus=object(), httpserver=object(), bind_addr=path)
    assert adapter.bound_addr == path


def test_native_server_name_serves_the_tree():
    from cherrypy._cpnative_server import CPHTTPServer
    from cherrypy_server.adapter import Server

    adapter = Server()
    adapter.socket_port = 0
    server = CPHTTPServer(adapter)
    server.start_in_thread()
    try:
        with socket.create_connection(("127.0.0.1", server.bound_addr[1]), timeout=5) as sock:
            sock.sendall(b"GET /nowhere/at/all HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 404 ")
        assert b"Server: CherryPy/" in data
    finally:
        server.stop()
