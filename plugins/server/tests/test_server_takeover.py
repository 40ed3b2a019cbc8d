"""The connection take-over seam (``cherrypy.plugin.take_over_connection``) in cherrypy-server.

Raw WSGI applications take connections over through ``environ["cherrypy.take_over"]``; the
tests talk to them over real sockets and check framing, threads, ordering and shutdown.
"""

from __future__ import annotations

import socket
import ssl
import threading
from typing import Any

import pytest

import cherrypy
from cherrypy.plugin import TAKEOVER_ENVIRON_KEY, TakeoverUnavailable, take_over_connection
from cherrypy_server.tls import make_ssl_context

HOST = b"Host: localhost\r\n"


class Recorder:
    """A ConnectionHandler that records every call and echoes upper-cased bytes."""

    def __init__(self, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self.transport: Any = None
        self.received = b""
        self.calls: list[str] = []
        self.lost = threading.Event()
        self.lost_exc: BaseException | None = None
        self.threads: set[str] = set()

    def connection_made(self, transport: Any) -> None:
        self.calls.append("made")
        self.threads.add(threading.current_thread().name)
        self.transport = transport
        if self.greeting:
            transport.write(self.greeting)

    def data_received(self, data: bytes) -> None:
        self.calls.append("data")
        self.received += data
        if b"quit" in data:
            self.transport.close()
        else:
            self.transport.write(data.upper())

    def eof_received(self) -> None:
        self.calls.append("eof")

    def connection_lost(self, exc: BaseException | None) -> None:
        self.calls.append("lost")
        self.lost_exc = exc
        self.lost.set()

    def server_stopping(self) -> None:
        self.calls.append("stopping")
        self.transport.write(b"bye")
        self.transport.close()


def upgrade_app(handlers: list[Any], greeting: bytes = b"hi", factory: Any = None):
    """A WSGI app answering 101 and handing the connection to a new handler (recorded)."""

    def app(environ, start_response):
        handler = factory() if factory is not None else Recorder(greeting)
        handlers.append(handler)
        environ[TAKEOVER_ENVIRON_KEY](handler)
        start_response("101 Switching Protocols", [("Upgrade", "echo"), ("Connection", "Upgrade")])
        return [b""]

    return app


def upgrade_request(path: bytes = b"/") -> bytes:
    return (
        b"GET " + path + b" HTTP/1.1\r\n" + HOST + b"Upgrade: echo\r\nConnection: Upgrade\r\n\r\n"
    )


def read_exactly(client, size: int) -> bytes:
    return client._read_exact(size)


def test_upgrade_hands_the_connection_over_with_early_bytes(start_server, connect, until):
    handlers: list[Recorder] = []
    server = start_server(upgrade_app(handlers))
    client = connect(server)
    # Bytes sent right behind the handshake reach the handler, not the HTTP parser.
    client.send(upgrade_request() + b"early")
    response = client.read_response()
    assert response.status == 101
    assert response.header("Upgrade") == "echo"
    assert response.header("Content-Length") is None
    assert response.header("Transfer-Encoding") is None
    assert read_exactly(client, 2) == b"hi"
    assert read_exactly(client, 5) == b"EARLY"
    client.send(b"more")
    assert read_exactly(client, 4) == b"MORE"
    handler = handlers[0]
    # Handler callbacks run in the selector thread, not in a worker.
    assert all("worker" not in name for name in handler.threads)
    client.send(b"quit")
    assert client.is_closed()
    assert handler.lost.wait(5) and handler.lost_exc is None
    assert until(lambda: server.open_takeovers == 0)


def test_client_closing_gives_eof_then_lost(start_server, connect, until):
    handlers: list[Recorder] = []
    server = start_server(upgrade_app(handlers))
    client = connect(server)
    client.send(upgrade_request())
    assert client.read_response().status == 101
    assert until(lambda: handlers and handlers[0].transport is not None)
    client.sock.shutdown(socket.SHUT_WR)
    assert handlers[0].lost.wait(5)
    assert handlers[0].calls[-2:] == ["eof", "lost"]
    assert until(lambda: server.open_takeovers == 0)


def test_streamed_response_is_framed_by_the_transport(start_server, connect):
    """A 200 taken over after its head: writes become chunks, close() ends the body."""

    class Ticker(Recorder):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.count = 0
            transport.call_later(0.01, self.tick)

        def tick(self) -> None:
            self.count += 1
            self.transport.write(b"event %d\n" % self.count)
            if self.count < 3:
                self.transport.call_later(0.01, self.tick)
            else:
                self.transport.close()

    def app(environ, start_response):
        environ[TAKEOVER_ENVIRON_KEY](Ticker())
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return iter([b"start\n"])

    server = start_server(app)
    client = connect(server)
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.header("Transfer-Encoding") == "chunked"
    assert response.body == b"start\nevent 1\nevent 2\nevent 3\n"
    # The connection is not reused for HTTP after a take-over.
    assert client.is_closed()


def test_streamed_response_to_http10_is_close_delimited(start_server, connect):
    class Once(Recorder):
        def connection_made(self, transport: Any) -> None:
            transport.write(b"only")
            transport.close()

    def app(environ, start_response):
        environ[TAKEOVER_ENVIRON_KEY](Once())
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return iter([b"head-"])

    server = start_server(app)
    client = connect(server)
    client.send(b"GET / HTTP/1.0\r\n\r\n")
    response = client.read_response()
    assert response.header("Transfer-Encoding") is None
    assert response.header("Content-Length") is None
    assert response.body == b"head-only"


def test_error_answer_cancels_the_takeover(start_server, connect, until):
    """An application that offers, then answers 4xx, keeps an ordinary HTTP connection."""
    handlers: list[Recorder] = []

    def app(environ, start_response):
        handler = Recorder()
        handlers.append(handler)
        environ[TAKEOVER_ENVIRON_KEY](handler)
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("handshake failed")
        start_response("400 Bad Request", [("Content-Length", "3")])
        return [b"no!"]

    server = start_server(app, error_log=lambda *a, **k: None)
    client = connect(server)
    client.send(upgrade_request() + b"GET /second HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"no!"
    # The bytes held after the upgrade request are parsed as HTTP again.
    assert client.read_response().body == b"no!"
    client.send(upgrade_request(b"/boom"))
    assert client.read_response().status == 500
    assert all(handler.transport is None for handler in handlers)
    # Each handler offered and not taken is told, without connection_made.
    # (the worker tells it right after sending the answer)
    assert until(lambda: [handler.calls for handler in handlers] == [["lost"]] * 3)


def test_upgrade_not_answered_101_keeps_http(start_server, connect):
    """An Upgrade the application ignores: the request is plain HTTP, keep-alive works."""

    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = start_server(app)
    client = connect(server)
    client.send(upgrade_request() + b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == b"ok"
    assert client.read_response().body == b"ok"


def test_write_from_other_threads_never_blocks_and_keeps_order(start_server, connect, until):
    handlers: list[Recorder] = []
    server = start_server(upgrade_app(handlers, greeting=b""))
    client = connect(server)
    client.send(upgrade_request())
    assert client.read_response().status == 101
    assert until(lambda: handlers and handlers[0].transport is not None)
    transport = handlers[0].transport

    def writer() -> None:
        for index in range(200):
            transport.write(b"%04d" % index)

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    data = read_exactly(client, 800)
    assert data == b"".join(b"%04d" % index for index in range(200))


def test_slow_reader_buffers_without_blocking_the_writer(start_server, connect, until):
    handlers: list[Recorder] = []
    server = start_server(upgrade_app(handlers, greeting=b""))
    client = connect(server)
    client.send(upgrade_request())
    assert client.read_response().status == 101
    assert until(lambda: handlers and handlers[0].transport is not None)
    transport = handlers[0].transport
    block = b"x" * 65536
    done = threading.Event()

    def writer() -> None:
        for _ in range(200):  # 12.5 MiB that the client does not read yet
            transport.write(block)
        done.set()

    threading.Thread(target=writer, daemon=True).start()
    assert done.wait(10), "write() blocked on a client that does not read"
    assert transport.get_write_buffer_size() > 0
    total = 0
    while total < 200 * 65536:
        chunk = client.sock.recv(1 << 20)
        assert chunk
        total += len(chunk)
    assert until(lambda: transport.get_write_buffer_size() == 0)


def test_submit_runs_jobs_in_the_worker_pool(start_server, connect, until):
    ran: list[str] = []

    class Submitter(Recorder):
        def data_received(self, data: bytes) -> None:
            def job() -> None:
                ran.append(threading.current_thread().name)
                self.transport.write(b"done")

            self.transport.submit(job)

    server = start_server(upgrade_app([], factory=Submitter))
    client = connect(server)
    client.send(upgrade_request() + b"go")
    assert client.read_response().status == 101
    assert read_exactly(client, 4) == b"done"
    assert ran and "worker" in ran[0]


def test_pause_and_resume_reading(start_server, connect, until):
    class Pausing(Recorder):
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self.transport.pause_reading()

    handlers: list[Pausing] = []
    server = start_server(upgrade_app(handlers, factory=Pausing))
    client = connect(server)
    client.send(upgrade_request())
    assert client.read_response().status == 101
    client.send(b"one")
    assert read_exactly(client, 3) == b"ONE"
    client.send(b"two")
    assert not until(lambda: b"two" in handlers[0].received, timeout=0.3)
    handlers[0].transport.resume_reading()
    assert read_exactly(client, 3) == b"TWO"


def test_failing_handler_is_logged_and_its_connection_closed(start_server, connect, until):
    logged: list[str] = []

    class Broken(Recorder):
        def data_received(self, data: bytes) -> None:
            raise ValueError("bug in a plugin")

    handlers: list[Broken] = []
    server = start_server(
        upgrade_app(handlers, factory=Broken), error_log=lambda msg="", *a, **k: logged.append(msg)
    )
    client = connect(server)
    client.send(upgrade_request())
    assert client.read_response().status == 101
    client.send(b"crash")
    assert client.is_closed()
    assert until(lambda: any("Broken.data_received" in line for line in logged))
    assert handlers[0].lost.wait(5)
    # The server keeps serving.
    other = connect(server)
    other.send(upgrade_request())
    assert other.read_response().status == 101


def test_offer_checks_the_handler(start_server, connect):
    errors: list[str] = []

    def app(environ, start_response):
        try:
            environ[TAKEOVER_ENVIRON_KEY](object())
        except TypeError as exc:
            errors.append(str(exc))
        start_response("200 OK", [("Content-Length", "0")])
        return []

    server = start_server(app)
    client = connect(server)
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 200
    assert errors and "is not a ConnectionHandler" in errors[0]


def test_graceful_stop_lets_handlers_say_goodbye(start_server, connect, until):
    handlers: list[Recorder] = []
    server = start_server(upgrade_app(handlers, greeting=b""), shutdown_timeout=3)
    clients = []
    for _ in range(3):
        client = connect(server)
        client.send(upgrade_request())
        assert client.read_response().status == 101
        clients.append(client)
    assert until(lambda: server.open_takeovers == 3)
    server.stop()
    for client in clients:
        assert client.read_to_eof() == b"bye"
    assert all(handler.calls[-2:] == ["stopping", "lost"] for handler in handlers)


def test_idle_taken_connections_hold_no_worker(start_server, connect, until):
    """200 open taken-over connections beside a pool of 2: a GET is still answered."""
    handlers: list[Recorder] = []

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/plain":
            start_response("200 OK", [("Content-Length", "5")])
            return [b"plain"]
        return upgrade_app(handlers, greeting=b"")(environ, start_response)

    server = start_server(app, numthreads=2, max=2)
    threads_before = threading.active_count()
    clients = []
    for _ in range(200):
        client = connect(server)
        client.send(upgrade_request())
        clients.append(client)
    for client in clients:
        assert client.read_response().status == 101
    assert until(lambda: server.open_takeovers == 200)
    plain = connect(server)
    plain.send(b"GET /plain HTTP/1.1\r\n" + HOST + b"\r\n")
    assert plain.read_response().body == b"plain"
    assert threading.active_count() <= threads_before + 2
    clients[7].send(b"ping")
    assert read_exactly(clients[7], 4) == b"PING"


def test_takeover_over_tls(start_server, connect, certificate):
    cert, key = certificate
    handlers: list[Recorder] = []
    server = start_server(upgrade_app(handlers), ssl_context=make_ssl_context(cert, key))
    client = connect(server, tls_context=ssl.create_default_context(cafile=cert))
    client.send(upgrade_request() + b"early")
    assert client.read_response().status == 101
    assert read_exactly(client, 7) == b"hiEARLY"
    client.send(b"secret")
    assert read_exactly(client, 6) == b"SECRET"


def test_take_over_connection_without_a_capable_server() -> None:
    with pytest.raises(TakeoverUnavailable, match="cherrypy-server"):
        take_over_connection(Recorder(), environ={})


def test_take_over_connection_through_cherrypy(start_server, connect):
    """A CherryPy page handler takes the connection over through the plugin API."""
    handlers: list[Recorder] = []

    class Root:
        @cherrypy.expose
        def echo(self) -> bytes:
            handler = Recorder(b"hello")
            handlers.append(handler)
            take_over_connection(handler)
            cherrypy.response.status = 101
            cherrypy.response.headers["Upgrade"] = "echo"
            cherrypy.response.headers["Connection"] = "Upgrade"
            return b""

    server = start_server(cherrypy.Application(Root(), ""))
    client = connect(server)
    client.send(b"GET /echo HTTP/1.1\r\n" + HOST + b"Upgrade: echo\r\nConnection: Upgrade\r\n\r\n")
    response = client.read_response()
    assert response.status == 101 and response.header("Upgrade") == "echo"
    assert read_exactly(client, 5) == b"hello"
    client.send(b"abc")
    assert read_exactly(client, 3) == b"ABC"
