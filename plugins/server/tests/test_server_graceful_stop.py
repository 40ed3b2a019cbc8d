"""Graceful stop: no new connections, requests in flight finish, requests that arrive on open
keep-alive connections meanwhile are answered with ``Connection: close``; and listening on
several addresses at once (``extra_addresses``), IPv4 and IPv6 on one dual-stack socket."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from cherrypy_server import HTTPServer
from cherrypy_server.listeners import parse_address

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def _slow_app(release: threading.Event):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            release.wait(5)
        body = f"{environ['PATH_INFO']} done".encode()
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def test_stop_finishes_in_flight_and_answers_keepalive_with_close(start_server, connect):
    release = threading.Event()
    server = start_server(_slow_app(release), shutdown_timeout=5)
    idle = connect(server)
    idle.send(GET)
    assert idle.read_response().status == 200  # now an idle keep-alive connection
    busy = connect(server)
    busy.send(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
    time.sleep(0.2)  # /slow is in a worker
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    time.sleep(0.1)
    # New connections are refused once the stop began...
    with pytest.raises(OSError):
        fresh = socket.create_connection(server.bound_addr, timeout=1)
        fresh.sendall(GET)
        if not fresh.recv(100):
            raise ConnectionResetError("closed without an answer")
    # ...but a request on the open keep-alive connection is answered, and told to go away.
    idle.send(GET)
    answer = idle.read_response()
    assert answer.status == 200
    assert (answer.header("Connection") or "").lower() == "close"
    release.set()
    in_flight = busy.read_response()
    assert in_flight.status == 200 and in_flight.body == b"/slow done"
    assert (in_flight.header("Connection") or "").lower() == "close"
    stopper.join(10)
    assert not stopper.is_alive()
    assert not server.ready


def test_stop_without_connections_is_quick(start_server):
    server = start_server(_slow_app(threading.Event()), shutdown_timeout=5)
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 1.0


def test_idle_connections_are_closed_after_the_grace(start_server, connect):
    server = start_server(_slow_app(threading.Event()), shutdown_timeout=5)
    idle = connect(server)
    idle.send(GET)
    assert idle.read_response().status == 200
    began = time.monotonic()
    server.stop()
    took = time.monotonic() - began
    assert took < 2.0, took
    assert idle.sock.recv(10) == b""  # closed cleanly (FIN), not reset


def test_extra_addresses_are_served_too():
    app = _slow_app(threading.Event())
    server = HTTPServer(("127.0.0.1", 0), app, extra_addresses=["127.0.0.1:0"])
    server.start_in_thread()
    try:
        ports = [listener.sock.getsockname()[1] for listener in server._listeners]
        assert len(ports) == 2 and ports[0] != ports[1]
        for port in ports:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /x HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := sock.recv(4096):
                    data += chunk
            assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"/x done")
    finally:
        server.stop()


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_wildcard_v6_serves_ipv4_and_ipv6():
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("IPv6 loopback is not configured on this machine")
    server = HTTPServer(("::", 0), _slow_app(threading.Event()))
    server.start_in_thread()
    try:
        port = server.socket.getsockname()[1]
        for host in ("127.0.0.1", "::1"):
            with socket.create_connection((host, port), timeout=5) as sock:
                sock.sendall(b"GET /dual HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := sock.recv(4096):
                    data += chunk
            assert data.endswith(b"/dual done"), (host, data)
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("[::1]:8443", ("::1", 8443)),
        (":9000", ("0.0.0.0", 9000)),
        (("::", 80), ("::", 80)),
        ("/run/app.sock", "/run/app.sock"),
    ],
)
def test_parse_address(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("bad", ["8080", "::1:80", "[::1]80", "host:http", "host:70000", "", None])
def test_parse_address_refuses_with_the_value(bad):
    with pytest.raises(ValueError, match="Not a listen address"):
        parse_address(bad)


def test_reuse_port_lets_two_servers_share_a_port():
    first = HTTPServer(("127.0.0.1", 0), _slow_app(threading.Event()), reuse_port=True)
    first.start_in_thread()
    port = first.socket.getsockname()[1]
    second = HTTPServer(("127.0.0.1", port), _slow_app(threading.Event()), reuse_port=True)
    second.start_in_thread()
    try:
        assert second.socket.getsockname()[1] == port
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /shared HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := sock.recv(4096):
                    data += chunk
            assert data.endswith(b"/shared done")
    finally:
        second.stop()
        first.stop()


def test_without_reuse_port_the_port_is_refused():
    first = HTTPServer(("127.0.0.1", 0), _slow_app(threading.Event()))
    first.start_in_thread()
    try:
        second = HTTPServer(("127.0.0.1", first.socket.getsockname()[1]), _slow_app(None))
        with pytest.raises(OSError):
            second.prepare()
    finally:
        first.stop()


def test_a_half_sent_request_cannot_hold_the_stop_beyond_shutdown_timeout(start_server, connect):
    server = start_server(_slow_app(threading.Event()), shutdown_timeout=1)
    slow = connect(server)
    slow.send(b"GET / HTTP/1.1\r\nHost: te")  # and nothing more (slowloris)
    time.sleep(0.1)
    began = time.monotonic()
    server.stop()
    took = time.monotonic() - began
    assert 0.9 <= took < 2.5, took
    assert slow.sock.recv(100) == b""
