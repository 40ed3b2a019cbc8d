"""Server-Sent Events through cherrypy-server over real sockets.

A raw-socket client (:class:`SSEClient`) reads the head, undoes the chunked framing (or reads a
close-delimited HTTP/1.0 body) and parses events as a browser's ``EventSource`` does; one test
uses ``requests`` with ``stream=True``.  Waits are on conditions with generous deadlines; no
timing is asserted.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.kernel.pytest_fixtures import clean_kernel  # noqa: F401
from cherrypy.testing import serve
from cherrypy_server import HTTPServer
from cherrypy_websocket.sse import EventHub, EventStream

DEADLINE = 10.0


def wait_until(predicate: Callable[[], Any], timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


class SSEClient:
    """An event-stream client on a raw socket (HTTP/1.1 chunked or HTTP/1.0 close-delimited)."""

    def __init__(
        self,
        port: int,
        path: str = "/events",
        headers: dict[str, str] | None = None,
        version: str = "1.1",
        rcvbuf: int | None = None,
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(DEADLINE)
        self.sock.connect(("127.0.0.1", port))
        lines = [f"GET {path} HTTP/{version}", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.raw = b""  # bytes received, not yet decoded
        self.body = b""  # decoded body, not yet parsed
        self.ended = False  # the last chunk (or EOF for a close-delimited body) came
        self.eof = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.comments: list[str] = []
        self.retry: int | None = None
        self.last_event_id = ""
        self._read_head()

    def _recv(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.raw += data
        return True

    def _read_head(self) -> None:
        while b"\r\n\r\n" not in self.raw:
            if not self._recv():
                raise AssertionError(f"connection closed before the head: {self.raw!r}")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        for line in header_lines:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = self.headers.get("transfer-encoding") == "chunked"

    def _decode(self) -> None:
        if not self.chunked:
            self.body += self.raw
            self.raw = b""
            if self.eof:
                self.ended = True
            return
        while b"\r\n" in self.raw:
            size_line, rest = self.raw.split(b"\r\n", 1)
            size = int(size_line, 16)
            if size == 0:
                assert rest.startswith(b"\r\n"), rest
                self.ended = True
                self.raw = rest[2:]
                return
            if len(rest) < size + 2:
                return
            assert rest[size : size + 2] == b"\r\n"
            self.body += rest[:size]
            self.raw = rest[size + 2 :]

    def _parse_one(self) -> dict[str, str] | None:
        """Parse fields up to the next blank line; an event dict, or None if none dispatched."""
        while True:
            if b"\n\n" not in self.body:
                return None
            block, self.body = self.body.split(b"\n\n", 1)
            event: dict[str, str] = {}
            data: list[str] = []
            for line in block.decode("utf-8").split("\n"):
                name, colon, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if not name and colon:
                    self.comments.append(value)
                elif name == "data":
                    data.append(value)
                elif name == "id":
                    self.last_event_id = value
                    event["id"] = value
                elif name == "event":
                    event["event"] = value
                elif name == "retry":
                    self.retry = int(value)
            if data:
                event["data"] = "\n".join(data)
                return event

    def next_event(self, timeout: float = DEADLINE) -> dict[str, str]:
        """The next event (``data``, and ``event``/``id`` when given)."""
        deadline = time.monotonic() + timeout
        while True:
            self._decode()
            event = self._parse_one()
            if event is not None:
                return event
            if self.ended or self.eof or time.monotonic() > deadline:
                raise AssertionError(f"no event; ended={self.ended} body={self.body!r}")
            self._recv()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = DEADLINE) -> None:
        """Read (parsing comments and fields) until ``predicate()`` or the deadline."""
        deadline = time.monotonic() + timeout
        while not predicate():
            self._decode()
            while self._parse_one() is not None:
                pass
            if predicate():
                return
            if self.eof or time.monotonic() > deadline:
                raise AssertionError(f"condition not met; eof={self.eof} body={self.body!r}")
            self._recv()

    def wait_for_comment(self, text: str) -> None:
        """Read until the comment ``text`` has arrived."""
        self.wait_for(lambda: text in self.comments)

    def wait_end(self) -> None:
        """Read until the body ends and the server closes the connection."""
        self.wait_for(lambda: self.ended and self.eof)

    def close(self) -> None:
        self.sock.close()


class Root:
    """``/events`` streams from ``hub``; ``/publish`` posts to it; ``/`` says hello."""

    def __init__(self, **stream_kwargs: Any) -> None:
        self.hub = EventHub(replay=10)
        self.stream_kwargs = stream_kwargs
        self.streams: list[EventStream] = []
        self.cleaned: list[EventStream] = []
        self._lock = threading.Lock()

    @cherrypy.expose
    def index(self) -> str:
        return "hello"

    @cherrypy.expose
    def events(self) -> EventStream:
        stream = EventStream(**self.stream_kwargs)
        stream.on_close(lambda: self._cleaned(stream))
        self.hub.add(stream)
        with self._lock:
            self.streams.append(stream)
        return stream

    def _cleaned(self, stream: EventStream) -> None:
        with self._lock:
            self.cleaned.append(stream)

    @cherrypy.expose
    def publish(self, message: str, event: str | None = None) -> str:
        return self.hub.publish(message, event=event) or ""


class Served:
    def __init__(self, server: HTTPServer, root: Root) -> None:
        self.server = server
        self.root = root
        address = server.bound_addr
        assert isinstance(address, tuple)
        self.port = address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.clients: list[SSEClient] = []

    def client(self, *args: Any, **kwargs: Any) -> SSEClient:
        client = SSEClient(self.port, *args, **kwargs)
        self.clients.append(client)
        return client


@pytest.fixture
def start() -> Iterator[Callable[..., Served]]:
    """``start(root, numthreads=4, config=None, **server_kwargs)``: serve ``root``."""
    started: list[Served] = []

    def run(
        root: Root, numthreads: int = 4, config: dict[str, Any] | None = None, **kwargs: Any
    ) -> Served:
        cherrypy.tree.mount(root, "", config)
        kwargs.setdefault("shutdown_timeout", 5)
        server = HTTPServer(("127.0.0.1", 0), cherrypy.tree, numthreads, **kwargs)
        server.start_in_thread()
        served = Served(server, root)
        started.append(served)
        return served

    yield run
    for served in started:
        for client in served.clients:
            client.close()
        served.server.stop()


def test_events_arrive_as_they_are_published(start: Callable[..., Served]) -> None:
    app = start(Root())
    client = app.client()
    assert client.status == 200
    assert client.headers["content-type"] == "text/event-stream;charset=utf-8"
    assert client.headers["cache-control"] == "no-cache"
    assert client.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in client.headers
    client.wait_for(lambda: client.comments == ["stream opened"])
    assert wait_until(lambda: len(app.root.hub) == 1)
    for n in range(3):
        event_id = app.root.hub.publish(f"event {n}")
        assert client.next_event() == {"id": event_id, "data": f"event {n}"}
    # Multi-line data and a named event, published by another request.
    reply = requests.post(
        app.base + "/publish", data={"message": "line 1\nline 2\r\nline 3", "event": "note"}
    )
    assert reply.status_code == 200
    assert client.next_event() == {
        "event": "note",
        "id": reply.text,
        "data": "line 1\nline 2\nline 3",
    }


def test_requests_streaming_client(start: Callable[..., Served]) -> None:
    app = start(Root(retry=1500))
    with requests.get(app.base + "/events", stream=True, timeout=DEADLINE) as response:
        assert response.status_code == 200
        lines = response.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 1500"
        assert next(lines) == ""
        assert wait_until(lambda: len(app.root.hub) == 1)
        app.root.hub.publish("über", event="greeting", id="g1")
        assert [next(lines) for _ in range(4)] == ["event: greeting", "id: g1", "data: über", ""]


def test_reconnect_with_last_event_id_gets_what_it_missed(start: Callable[..., Served]) -> None:
    app = start(Root(retry=100))
    first = app.client()
    first.wait_for(lambda: first.retry == 100)
    assert wait_until(lambda: len(app.root.hub) == 1)
    hub = app.root.hub
    hub.publish("one")
    hub.publish("two")
    assert first.next_event()["data"] == "one"
    assert first.next_event()["data"] == "two"
    last_seen = first.last_event_id
    first.close()  # the connection drops
    assert wait_until(lambda: len(hub) == 0)
    hub.publish("three")  # missed while away
    hub.publish("four")
    again = app.client(headers={"Last-Event-ID": last_seen})
    assert again.next_event()["data"] == "three"
    assert again.next_event()["data"] == "four"
    assert app.root.streams[-1].last_event_id == last_seen
    hub.publish("five")
    assert again.next_event()["data"] == "five"
    # A brand-new client gets only what comes next.
    fresh = app.client()
    assert wait_until(lambda: len(hub) == 2)
    hub.publish("six")
    assert fresh.next_event()["data"] == "six"


def test_heartbeat_comments(start: Callable[..., Served]) -> None:
    app = start(Root(heartbeat=0.05))
    client = app.client()
    client.wait_for(lambda: client.comments.count("keep-alive") >= 3)


def test_client_disconnect_runs_cleanup_and_leaves_the_hub(start: Callable[..., Served]) -> None:
    app = start(Root())
    clients = [app.client() for _ in range(3)]
    assert wait_until(lambda: len(app.root.hub) == 3)
    clients[1].close()
    assert wait_until(lambda: len(app.root.hub) == 2)
    assert wait_until(lambda: len(app.root.cleaned) == 1)
    assert app.root.cleaned[0].closed
    app.root.hub.publish("still here")
    for client in (clients[0], clients[2]):
        assert client.next_event()["data"] == "still here"
    assert len(app.root.cleaned) == 1


def test_close_from_the_application_ends_the_body(start: Callable[..., Served]) -> None:
    app = start(Root())
    client = app.client()
    assert wait_until(lambda: len(app.root.streams) == 1)
    stream = app.root.streams[0]
    stream.send("last words")
    stream.close()
    assert client.next_event()["data"] == "last words"
    client.wait_end()  # the last chunk, then the server closes the connection
    assert wait_until(lambda: app.root.cleaned == [stream])
    assert len(app.root.hub) == 0


def test_graceful_stop_ends_the_streams(start: Callable[..., Served]) -> None:
    app = start(Root(heartbeat=0.05))
    clients = [app.client() for _ in range(5)]
    for client in clients:  # a heartbeat: the server has handed the connection over
        client.wait_for_comment("keep-alive")
    stopper = threading.Thread(target=app.server.stop)
    stopper.start()
    for client in clients:
        client.wait_end()
    stopper.join(DEADLINE)
    assert not stopper.is_alive()
    assert wait_until(lambda: len(app.root.cleaned) == 5)
    assert len(app.root.hub) == 0


def test_http_10_client_gets_a_close_delimited_stream(start: Callable[..., Served]) -> None:
    app = start(Root())
    client = app.client(version="1.0")
    assert client.status == 200
    assert "transfer-encoding" not in client.headers
    assert "content-length" not in client.headers
    assert wait_until(lambda: len(app.root.hub) == 1)
    app.root.hub.publish("a\nb")
    assert client.next_event()["data"] == "a\nb"
    app.root.hub.close()
    client.wait_end()  # the body ends when the server closes the connection
    assert wait_until(lambda: len(app.root.cleaned) == 1)


def test_a_client_that_does_not_read_is_dropped(start: Callable[..., Served]) -> None:
    app = start(Root(max_buffer=64 * 1024, heartbeat=None))
    app.client(rcvbuf=4096)  # reads nothing from now on
    reader = app.client()
    assert wait_until(lambda: len(app.root.hub) == 2)
    slow_stream = app.root.streams[0]
    payload = "x" * 4000
    sent = 0
    # Send until the stream gives up: the socket buffers take a few MiB, then 64 KiB queue.
    while slow_stream.send(payload):
        sent += 1
        assert sent < 50_000, "the stream never gave up on its client"
    assert slow_stream.closed
    assert wait_until(lambda: slow_stream in app.root.cleaned)
    assert app.root.hub.streams == [app.root.streams[1]]
    app.root.hub.publish("the reader is still served")
    assert reader.next_event()["data"] == "the reader is still served"


def test_many_idle_streams_hold_no_worker(start: Callable[..., Served]) -> None:
    threads_before = threading.active_count()
    app = start(Root(), numthreads=4, max=4)
    count = 200
    clients = [app.client() for _ in range(count)]
    assert wait_until(lambda: len(app.root.hub) == count)
    # Every worker is free: plain requests are answered while the streams stay open.
    for _ in range(10):
        response = requests.get(app.base + "/", timeout=DEADLINE)
        assert response.status_code == 200 and response.text == "hello"
    app.root.hub.publish("to everyone")
    for client in clients:
        assert client.next_event()["data"] == "to everyone"
    # The server's threads: the selector and at most four workers.
    assert threading.active_count() <= threads_before + 5
    assert len(app.root.cleaned) == 0


def test_without_cherrypy_server_the_error_names_the_cure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cherrypy.tree.mount(Root())
    with serve(server="wsgiref") as base:
        response = requests.get(base + "/events", timeout=DEADLINE)
    assert response.status_code == 500
    assert "TakeoverUnavailable" in caplog.text
    assert "install cherrypy-server" in caplog.text


def test_sessions_apply_to_the_request_that_opens_the_stream(
    start: Callable[..., Served],
) -> None:
    class SessionRoot(Root):
        @cherrypy.expose
        def login(self, name: str) -> str:
            cherrypy.session["name"] = name
            return "ok"

        @cherrypy.expose
        def events(self) -> EventStream:
            name = cherrypy.session.get("name")
            if name is None:
                raise cherrypy.HTTPError(403, "log in first")
            stream = super().events()
            stream.send(f"welcome {name}")
            cherrypy.session["streams"] = cherrypy.session.get("streams", 0) + 1
            return stream

        @cherrypy.expose
        def count(self) -> str:
            return str(cherrypy.session.get("streams", 0))

    root = SessionRoot()
    app = start(root, config={"/": {"tools.sessions.on": True}})
    assert requests.get(app.base + "/events", timeout=DEADLINE).status_code == 403
    http = requests.Session()
    assert http.get(app.base + "/login", params={"name": "ann"}, timeout=DEADLINE).text == "ok"
    cookie = http.cookies["session_id"]
    client = app.client(headers={"Cookie": f"session_id={cookie}"})
    assert client.next_event()["data"] == "welcome ann"
    # The stream is open and the session was saved and unlocked: the next request gets it.
    assert http.get(app.base + "/count", timeout=DEADLINE).text == "1"
