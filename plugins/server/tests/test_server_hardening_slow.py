"""Slow request bodies and slow response readers hold a bounded share of workers (issue 20).

Real sockets throughout: trickling uploads (with and without ``Expect: 100-continue``) against
a small pool while a normal request is answered, stalled and too slow bodies answered ``408``,
slow readers of large responses cut off, chunked bodies over the limit answered ``413`` (raw
``wsgi.input`` readers and CherryPy's ``request.body`` alike), and the finite default pool.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

import cherrypy
from cherrypy_server import HTTPServer
from cherrypy_server.adapter import Server
from cherrypy_server.pool import DEFAULT_MAX_THREADS
from cherrypy_server.server import BODY_BUFFER

from .conftest import wait_until

HOST = b"Host: test\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def upload_app(environ, start_response):
    """Reads the whole body, answers its length."""
    data = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%d" % len(data)]


def router(environ, start_response):
    """``/upload`` reads the body; anything else answers ``hello`` at once."""
    if environ["PATH_INFO"] == "/upload":
        return upload_app(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def port_of(server: HTTPServer) -> int:
    address = server.bound_addr
    assert isinstance(address, tuple)
    return address[1]


def get_hello(server: HTTPServer, timeout: float = 5.0) -> bytes:
    """A normal GET on a fresh connection; fails if not answered within ``timeout``."""
    port = port_of(server)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"hello"), data
    return data


def read_until(sock: socket.socket, marker: bytes, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


class Tricklers:
    """Client connections that send one body byte each ``interval`` seconds, in one thread."""

    def __init__(self, server: HTTPServer, interval: float = 0.2) -> None:
        self.port = port_of(server)
        self.interval = interval
        self.socks: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def open(self, count: int, head: bytes, first: bytes = b"") -> list[socket.socket]:
        opened = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(head + first)
            opened.append(sock)
        self.socks += opened
        return opened

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            for sock in self.socks:
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(5)
        for sock in self.socks:
            sock.close()


@pytest.fixture
def tricklers() -> Iterator[Callable[..., Tricklers]]:
    made: list[Tricklers] = []

    def make(server: HTTPServer, interval: float = 0.2) -> Tricklers:
        made.append(Tricklers(server, interval))
        return made[-1]

    try:
        yield make
    finally:
        for item in made:
            item.close()


def body_busy(server: HTTPServer) -> int:
    return server._body_busy


# -- trickling uploads do not starve the pool --------------------------------------------


@pytest.mark.parametrize("count", [25, 200])
def test_trickling_uploads_hold_a_bounded_share_of_workers(start_server, tricklers, count):
    # A fixed pool of 4: at most 2 workers (half) may wait for bodies; a GET is still answered.
    server = start_server(router, numthreads=4, max=4, timeout=5)
    assert server._body_limit == 2
    crowd = tricklers(server)
    head = b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 10000000\r\n\r\n"
    # Half send more than the selector buffers (they want a worker), half trickle from the
    # start (they stay in the selector).
    crowd.open(count // 2, head, b"x" * (BODY_BUFFER + 4096))
    crowd.open(count - count // 2, head)
    crowd.start()
    assert wait_until(lambda: body_busy(server) == 2, timeout=5)
    for _ in range(3):
        get_hello(server)
        assert body_busy(server) <= 2
        assert server._pool.size <= 4
    assert len(server._slot_waiters) >= 1


@pytest.mark.parametrize("count", [25, 200])
def test_expect_continue_tricklers_hold_a_bounded_share_of_workers(start_server, tricklers, count):
    server = start_server(router, numthreads=4, max=4, timeout=5)
    crowd = tricklers(server)
    head = (
        b"POST /upload HTTP/1.1\r\n"
        + HOST
        + b"Expect: 100-continue\r\nContent-Length: 10000000\r\n\r\n"
    )
    socks = crowd.open(count, head)
    # Every client is invited: two by the application reading the body in a worker, the
    # others by the selector, which then buffers their body without a worker.
    for sock in socks:
        assert read_until(sock, CONTINUE) == CONTINUE
    crowd.start()
    assert body_busy(server) == 2
    for _ in range(3):
        get_hello(server)
        assert body_busy(server) <= 2
        assert server._pool.size <= 4


def test_expect_continue_without_a_free_slot_is_served_from_the_buffer(start_server, tricklers):
    server = start_server(router, numthreads=2, max=2, timeout=5, body_workers=1)
    crowd = tricklers(server)
    crowd.open(1, b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 10000000\r\n\r\n")
    crowd.socks[0].sendall(b"x" * (BODY_BUFFER + 1))
    crowd.start()
    assert wait_until(lambda: body_busy(server) == 1)
    port = server.bound_addr[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /upload HTTP/1.1\r\n"
            + HOST
            + b"Expect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
        )
        assert read_until(sock, CONTINUE) == CONTINUE
        sock.sendall(b"hello")
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"\r\n\r\n5")


def test_waiting_for_a_slot_does_not_count_against_the_body(start_server):
    # One slot, held by a body that keeps its pace for longer than socket_timeout; a second
    # upload sent in full waits (unread) meanwhile, then is served, not timed out.
    server = start_server(upload_app, numthreads=2, max=2, timeout=1, body_workers=1)
    port = server.bound_addr[1]
    holder = socket.create_connection(("127.0.0.1", port), timeout=5)
    waiter = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        size = BODY_BUFFER + 300_000
        head = b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % size
        holder.sendall(head + b"x" * (BODY_BUFFER + 1))
        assert wait_until(lambda: body_busy(server) == 1)
        # Sent from a thread: the server does not read it while it waits.
        sender = threading.Thread(target=waiter.sendall, args=(head + b"y" * size,))
        sender.start()
        assert wait_until(lambda: len(server._slot_waiters) == 1)
        sent = BODY_BUFFER + 1
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            holder.sendall(b"x" * 4096)  # well above the default 1 KiB/s
            sent += 4096
            time.sleep(0.1)
        holder.sendall(b"x" * (size - sent))
        assert read_all(holder).endswith(b"%d" % size)
        assert read_all(waiter).endswith(b"%d" % size)
        sender.join(5)
    finally:
        holder.close()
        waiter.close()


def test_pipelined_body_waits_for_a_slot_in_the_selector(start_server, tricklers):
    server = start_server(router, numthreads=2, max=2, timeout=5, body_workers=1)
    crowd = tricklers(server)
    crowd.open(1, b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 10000000\r\n\r\n")
    crowd.socks[0].sendall(b"x" * (BODY_BUFFER + 1))
    crowd.start()
    assert wait_until(lambda: body_busy(server) == 1)
    port = server.bound_addr[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        body = b"z" * (BODY_BUFFER * 3)
        sock.sendall(
            b"GET / HTTP/1.1\r\n"
            + HOST
            + b"\r\nPOST /upload HTTP/1.1\r\n"
            + HOST
            + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body[:1000]
        )
        # The GET is answered; the POST (its body mostly missing) goes back to the selector,
        # which buffers it and, the buffer full, keeps it waiting for the slot.
        assert read_until(sock, b"hello").endswith(b"hello")
        sock.sendall(body[1000:])
        assert wait_until(lambda: len(server._slot_waiters) == 1)
        assert body_busy(server) == 1
        crowd.stop.set()
        crowd.socks[0].close()  # the slot frees
        answer = read_all(sock)
    assert answer.endswith(b"%d" % len(body)), answer[-200:]


# -- deadlines and minimum rates of request bodies ----------------------------------------


def test_stalled_body_in_the_selector_gets_408(start_server, connect):
    server = start_server(upload_app, timeout=1)
    client = connect(server)
    client.send(b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 100\r\n\r\nabc")
    response = client.read_response()
    assert response.status == 408


def test_trickled_body_in_the_selector_gets_408(start_server, tricklers):
    # One byte every 0.1 s resets no timer any more: 1000 bytes per 1 s window are due.
    server = start_server(upload_app, timeout=1, body_min_rate=1000)
    crowd = tricklers(server, interval=0.1)
    (sock,) = crowd.open(1, b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 5000\r\n\r\n")
    crowd.start()
    started = time.monotonic()
    answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer
    assert time.monotonic() - started < 4.5


def cherrypy_upload_app() -> cherrypy.Application:
    class Root:
        @cherrypy.expose
        def upload(self):
            return str(len(cherrypy.request.body.read()))

        @cherrypy.expose
        def raw(self):
            return str(len(cherrypy.request.rfile.read()))

        raw._cp_config = {"request.process_request_body": False}

    return cherrypy.Application(Root(), "", {"/": {"request.show_tracebacks": False}})


@pytest.mark.parametrize("kind", ["wsgi", "cherrypy-body", "cherrypy-rfile"])
def test_trickled_body_read_by_the_worker_gets_408(start_server, tricklers, kind):
    if kind == "wsgi":
        app, path = upload_app, b"/upload"
    else:
        app, path = cherrypy_upload_app(), b"/upload" if kind == "cherrypy-body" else b"/raw"
    server = start_server(app, timeout=1, body_min_rate=1000)
    crowd = tricklers(server, interval=0.1)
    head = (
        b"POST "
        + path
        + b" HTTP/1.1\r\n"
        + HOST
        + b"Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n"
    )
    (sock,) = crowd.open(1, head, b"x" * (BODY_BUFFER + 1))
    crowd.start()
    assert wait_until(lambda: body_busy(server) == 1)
    answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer[:300]
    # The worker and its slot are free again.
    assert wait_until(lambda: body_busy(server) == 0 and server._pool.busy == 0)


def test_body_overall_deadline_gets_408(start_server, tricklers):
    # Any progress keeps the per-window pace (body_min_rate=0), but the whole body may make
    # the server wait 1.5 s at most.
    server = start_server(upload_app, timeout=1, body_min_rate=0, body_timeout=1.5)
    crowd = tricklers(server, interval=0.1)
    (sock,) = crowd.open(1, b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 100000\r\n\r\n")
    crowd.start()
    answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer


def test_body_at_a_good_pace_is_served(start_server):
    server = start_server(upload_app, timeout=1, body_min_rate=1000)
    port = server.bound_addr[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        size = 40 * 1000
        sock.sendall(b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % size)
        for _ in range(20):  # 2000 bytes per 0.1 s: well above 1000 bytes/s, for 2 s
            sock.sendall(b"x" * 2000)
            time.sleep(0.1)
        assert read_until(sock, b"\r\n\r\n40000").endswith(b"40000")


# -- slow readers of large responses ------------------------------------------------------


def big_response_app(environ, start_response):
    block = b"r" * 65536
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return (block for _ in range(800))  # 50 MiB


def test_slow_reader_of_a_large_response_frees_its_worker(start_server):
    server = start_server(big_response_app, timeout=1, response_min_rate=1_000_000)
    port = server.bound_addr[1]
    stop = threading.Event()
    received = [0]

    def read_slowly(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while not stop.wait(0.05):
                chunk = sock.recv(1024)  # ~20 KB/s, far below 1 MB/s
                if not chunk:
                    return
                received[0] += len(chunk)

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        reader = threading.Thread(target=read_slowly, args=(sock,), daemon=True)
        reader.start()
        try:
            assert wait_until(lambda: received[0] > 0)
            # The client keeps reading, too slowly: the server gives up on it.
            assert wait_until(lambda: server._pool.busy == 0, timeout=15)
            assert received[0] < 50 * 1024 * 1024
            get = socket.create_connection(("127.0.0.1", port), timeout=5)
            with get:
                get.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
                assert read_until(get, b"200 OK")
        finally:
            stop.set()
            reader.join(5)


def test_client_not_reading_a_large_file_frees_its_worker(start_server, tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as file:
        file.truncate(50 * 1024 * 1024)

    def file_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](open(path, "rb"))

    server = start_server(file_app, timeout=1, response_min_rate=1_000_000)
    port = server.bound_addr[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        assert wait_until(lambda: server._pool.busy == 1)
        # The client reads nothing: the worker gives up once a window passes without progress.
        assert wait_until(lambda: server._pool.busy == 0, timeout=10)


# -- a chunked body over the limit read by the application: 413 ---------------------------


def send_chunked_over_limit(server: HTTPServer, path: bytes) -> bytes:
    port = port_of(server)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST "
            + path
            + b" HTTP/1.1\r\n"
            + HOST
            + b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
        with contextlib.suppress(OSError):
            for _ in range(40):  # 160 KiB against a 100 KB limit, in pieces
                sock.sendall(chunk)
                time.sleep(0.005)
            sock.sendall(b"0\r\n\r\n")
        return read_all(sock)


@pytest.mark.parametrize("kind", ["wsgi", "cherrypy-body", "cherrypy-rfile"])
def test_chunked_body_over_the_limit_read_by_the_application_gets_413(start_server, kind):
    if kind == "wsgi":
        app, path = upload_app, b"/upload"
    else:
        app, path = cherrypy_upload_app(), b"/upload" if kind == "cherrypy-body" else b"/raw"
    server = start_server(app, max_request_body_size=100_000)
    answer = send_chunked_over_limit(server, path)
    assert answer.startswith(b"HTTP/1.1 413 Request Entity Too Large"), answer[:300]


def test_max_size_exceeded_is_what_cherrypy_maps_to_413(start_server):
    seen: list[BaseException] = []

    def app(environ, start_response):
        try:
            environ["wsgi.input"].read()
        except Exception as exc:
            seen.append(exc)
            raise
        start_response("200 OK", [])
        return [b""]

    server = start_server(app, max_request_body_size=100_000)
    assert send_chunked_over_limit(server, b"/").startswith(b"HTTP/1.1 413")
    (exc,) = seen
    assert type(exc).__name__ == "MaxSizeExceeded" and exc.args[1] == 100_000


# -- the pool is finite by default --------------------------------------------------------


def test_default_pool_is_finite():
    assert DEFAULT_MAX_THREADS == 100
    assert Server().thread_pool_max == DEFAULT_MAX_THREADS
    assert Server().body_workers == -1
    server = HTTPServer(("127.0.0.1", 0), router)
    try:
        server.prepare()
        assert server._pool.max_threads == DEFAULT_MAX_THREADS
        assert server._body_limit == DEFAULT_MAX_THREADS // 2
    finally:
        server.stop()


def test_unlimited_pool_still_bounds_body_workers():
    server = HTTPServer(("127.0.0.1", 0), router, max=-1)
    try:
        server.prepare()
        assert server._pool.max_threads == -1
        assert server._body_limit == DEFAULT_MAX_THREADS // 2
    finally:
        server.stop()


def test_many_tricklers_against_the_default_pool_stay_within_bounds(start_server, tricklers):
    # The default pool (10 threads, at most 100) against 200 clients that each want a worker
    # for their body: at most 50 threads wait for bodies, and a GET is still answered.
    server = start_server(router, numthreads=10, max=DEFAULT_MAX_THREADS, timeout=5)
    crowd = tricklers(server)
    head = b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 10000000\r\n\r\n"
    crowd.open(200, head, b"x" * (BODY_BUFFER + 4096))
    crowd.start()
    assert wait_until(lambda: body_busy(server) == 50, timeout=10)
    get_hello(server)
    assert body_busy(server) == 50
    assert server._pool.size <= DEFAULT_MAX_THREADS
    # (the selector thread queues the others as their heads arrive: a loaded machine is slower)
    assert wait_until(lambda: len(server._slot_waiters) >= 100, timeout=10)
