"""Slow, idle and vanishing clients, pool growth and graceful stop, over real sockets."""

from __future__ import annotations

import resource
import socket
import threading
import time

import pytest

HOST = b"Host: test\r\n"


def hello_app(environ, start_response):
    """A minimal app answering ``hello``."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def timed_get(server, path: bytes = b"/") -> float:
    """Seconds a fresh client waits for a complete answer."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.bound_addr[1]), timeout=5) as sock:
        sock.sendall(b"GET " + path + b" HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK"), data
    return time.monotonic() - started


def open_sockets(server, count: int) -> list[socket.socket]:
    """Open ``count`` client connections to ``server``."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.bound_addr[1]), timeout=5)
        socks.append(sock)
    return socks


def test_slowloris_heads_do_not_starve_a_normal_client(start_server):
    server = start_server(hello_app, numthreads=2, timeout=10)
    socks = open_sockets(server, 50)
    try:
        for index, sock in enumerate(socks):
            sock.sendall(b"GET /slow%d HTTP/1.1\r\nHost: te" % index)
        time.sleep(0.2)
        for sock in socks:
            sock.sendall(b"s")
        assert timed_get(server) < 1.0
        assert server._pool.size == 2
    finally:
        for sock in socks:
            sock.close()


def test_500_idle_keep_alive_connections_while_serving(start_server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1500 and (hard == resource.RLIM_INFINITY or hard >= 1500):
        resource.setrlimit(resource.RLIMIT_NOFILE, (1500, hard))
    server = start_server(hello_app, numthreads=4, timeout=20)
    socks = open_sockets(server, 500)
    try:
        for sock in socks:
            sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        for sock in socks:
            data = b""
            while not data.endswith(b"hello"):
                chunk = sock.recv(4096)
                assert chunk, "connection closed instead of kept alive"
                data += chunk
        # All 500 now sit idle in the selector; a new client is still served at once.
        assert len(server._conns) >= 500
        assert server._pool.size == 4
        assert max(timed_get(server) for _ in range(5)) < 1.0
        # And the idle ones are still usable.
        for sock in socks[:20]:
            sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
            assert sock.recv(4096).endswith(b"hello")
    finally:
        for sock in socks:
            sock.close()


def test_pool_grows_when_every_worker_is_stuck_in_a_slow_body(start_server, until):
    def upload_app(environ, start_response):
        environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [b"stored"]

    server = start_server(upload_app, numthreads=2, max=6, timeout=10)
    socks = open_sockets(server, 3)
    try:
        for sock in socks:
            sock.sendall(
                b"POST /upload HTTP/1.1\r\n"
                + HOST
                + b"Content-Length: 200000\r\n\r\n"
                + b"x" * 70000
            )
        assert until(lambda: server._pool.size >= 3, timeout=3)
        assert timed_get(server) < 1.0
        assert server._pool.size <= 6
        for sock in socks:
            sock.sendall(b"x" * 130000)
        for sock in socks:
            data = b""
            while not data.endswith(b"stored"):
                chunk = sock.recv(4096)
                assert chunk
                data += chunk
    finally:
        for sock in socks:
            sock.close()


def test_pool_never_exceeds_thread_pool_max(start_server):
    def upload_app(environ, start_response):
        environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [b"stored"]

    server = start_server(upload_app, numthreads=1, max=2, timeout=10, body_workers=4)
    socks = open_sockets(server, 4)
    try:
        for sock in socks:
            sock.sendall(
                b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 90000\r\n\r\n" + b"x" * 70000
            )
        time.sleep(0.5)
        assert server._pool.size == 2
    finally:
        for sock in socks:
            sock.close()


def test_graceful_stop_finishes_the_request_in_flight(start_server, connect, until):
    entered = threading.Event()

    def slow_app(environ, start_response):
        entered.set()
        time.sleep(0.5)
        start_response("200 OK", [])
        return [b"finished"]

    server = start_server(slow_app, shutdown_timeout=5)
    port = server.bound_addr[1]
    busy = connect(server)
    idle = connect(server)
    idle.send(b"GET /first HTTP/1.1\r\n" + HOST + b"\r\n")
    assert idle.read_response().status == 200
    entered.clear()
    busy.send(b"GET /slow HTTP/1.1\r\n" + HOST + b"\r\n")
    assert entered.wait(5)
    stopper = threading.Thread(target=server.stop)
    started = time.monotonic()
    stopper.start()
    response = busy.read_response()
    assert response.body == b"finished"
    assert response.header("Connection") == "close"
    stopper.join(5)
    assert not stopper.is_alive()
    assert time.monotonic() - started < 3
    assert idle.is_closed()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_stop_gives_up_after_shutdown_timeout(start_server):
    release = threading.Event()

    def stuck_app(environ, start_response):
        release.wait(10)
        start_response("200 OK", [])
        return [b"late"]

    server = start_server(stuck_app, shutdown_timeout=0.3)
    sock = socket.create_connection(("127.0.0.1", server.bound_addr[1]), timeout=5)
    try:
        sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        time.sleep(0.2)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 3
    finally:
        release.set()
        sock.close()


def test_client_vanishing_mid_response_costs_only_its_socket(start_server, until):
    closed = threading.Event()
    produced = []

    class Stream:
        def __iter__(self):
            for _ in range(10_000):
                produced.append(1)
                yield b"z" * 65536

        def close(self):
            closed.set()

    def big_app(environ, start_response):
        if environ["PATH_INFO"] == "/big":
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return Stream()
        return hello_app(environ, start_response)

    server = start_server(big_app, numthreads=1)
    sock = socket.create_connection(("127.0.0.1", server.bound_addr[1]), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(b"GET /big HTTP/1.1\r\n" + HOST + b"\r\n")
    assert sock.recv(1024).startswith(b"HTTP/1.1 200 OK")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()
    assert closed.wait(5)
    assert len(produced) < 10_000
    assert timed_get(server) < 1.0
    assert until(lambda: len(server._conns) == 0, timeout=3)


def test_running_out_of_descriptors_pauses_accepting_then_recovers(start_server, caplog):
    import errno

    server = start_server(hello_app)
    listener = server._listeners[0]
    real = listener.sock
    failures = []

    class FailingOnce:
        family = real.family

        def fileno(self):
            return real.fileno()

        def _accept(self):  # what the server calls: (descriptor, address)
            if not failures:
                failures.append(time.monotonic())
                raise OSError(errno.EMFILE, "Too many open files")
            return real._accept()

        def close(self):
            real.close()

    listener.sock = FailingOnce()
    elapsed = timed_get(server)
    assert failures and 0.3 < elapsed < 3
    assert "Cannot accept connections for now" in caplog.text


def test_stop_right_after_ready_never_breaks_the_serving_thread(until):
    from cherrypy_server import HTTPServer

    for _ in range(20):
        server = HTTPServer(("127.0.0.1", 0), hello_app, 1)
        errors = []

        def run(server=server, errors=errors):
            try:
                server.start()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        assert until(lambda server=server: server.ready, timeout=5)
        server.stop()
        thread.join(5)
        assert not thread.is_alive() and errors == []


def _accepted_nodelay(server) -> list[int]:
    return [
        conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        for conn in list(server._conns.values())
    ]


@pytest.mark.parametrize("nodelay", [True, False])
def test_accepted_connections_follow_the_nodelay_setting(start_server, until, nodelay):
    # Set on the listener, where the system passes it on to accepted sockets; set on each
    # accepted socket otherwise.  Either way every connection has it, or none does.
    server = start_server(hello_app, nodelay=nodelay)
    clients = open_sockets(server, 3)
    try:
        until(lambda: len(server._conns) == 3)
        values = _accepted_nodelay(server)
        assert all(values) if nodelay else not any(values)
    finally:
        for sock in clients:
            sock.close()


def test_closed_connections_leave_nothing_watched(start_server, until):
    server = start_server(hello_app)
    for _ in range(50):
        timed_get(server)
    until(lambda: not server._conns)
    # only the listener (and no connection) is left in the poller's table
    assert list(server._poller.objects.values()) == server._listeners
    timed_get(server)  # descriptors are reused: a new connection is watched again
