"""EventStream and EventHub driven through the kernel by a stand-in server.

The application runs in ``cherrypy.tree`` as a WSGI server would call it, with an environ that
offers connection take-over; the test then plays the server's selector thread against the
stream with a recording :class:`FakeTransport`.  The wire-level behaviour is tested through
the real server in ``test_sse_http.py``.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.pytest_fixtures import clean_kernel  # noqa: F401
from cherrypy.plugin import TAKEOVER_ENVIRON_KEY, ConnectionHandler, TakeoverUnavailable
from cherrypy.testing import Client
from cherrypy_websocket import sse
from cherrypy_websocket.sse import (
    KEEP_ALIVE,
    EventHub,
    EventStream,
    format_comment,
    format_event,
)


class FakeTimer:
    def __init__(self, delay: float, callback: Callable[[], Any]) -> None:
        self.delay = delay
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeTransport:
    """Records what the stream does; the test decides what the "socket" has accepted."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.buffered = 0  # bytes "not yet accepted by the socket"
        self.closed = False
        self.aborted = False
        self.jobs: list[Callable[[], Any]] = []
        self.timers: list[FakeTimer] = []

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.written.append(data)
            self.buffered += len(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = self.aborted = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def submit(self, job: Callable[[], Any]) -> None:
        self.jobs.append(job)

    def run_jobs(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job()

    def call_later(self, delay: float, callback: Callable[[], Any]) -> FakeTimer:
        timer = FakeTimer(delay, callback)
        self.timers.append(timer)
        return timer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    @property
    def text(self) -> str:
        return b"".join(self.written).decode("utf-8")


class Call:
    """One request through ``cherrypy.tree`` with take-over offered."""

    def __init__(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> None:
        self.offered: list[ConnectionHandler] = []
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "50000",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            TAKEOVER_ENVIRON_KEY: self.offered.append,
        }
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[Any], exc_info: Any = None) -> None:
            captured["status"] = status
            captured["headers"] = dict(response_headers)

        result = cherrypy.tree(environ, start_response)
        try:
            self.body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self.status: str = captured["status"]
        self.headers: dict[str, str] = captured["headers"]
        self.transport = FakeTransport()

    @property
    def stream(self) -> EventStream:
        assert len(self.offered) == 1
        handler = self.offered[0]
        assert isinstance(handler, EventStream)
        return handler

    def connect(self) -> FakeTransport:
        """Play the server: the head and body went out, hand the connection over."""
        self.stream.connection_made(self.transport)  # type: ignore[arg-type]
        return self.transport


class App:
    """``/events`` opens a stream (kept in ``streams`` and added to ``hub``)."""

    def __init__(self, **stream_kwargs: Any) -> None:
        self.hub = EventHub(replay=3)
        self.stream_kwargs = stream_kwargs
        self.streams: list[EventStream] = []
        self.cleaned: list[EventStream] = []

    @cherrypy.expose
    def events(self) -> EventStream:
        stream = EventStream(**self.stream_kwargs)
        stream.send("hello")  # queued before the server has the connection
        stream.on_close(lambda: self.cleaned.append(stream))
        self.hub.add(stream)
        self.streams.append(stream)
        return stream

    @cherrypy.expose
    def index(self) -> str:
        return "ok"


@pytest.fixture
def app() -> App:
    root = App(heartbeat=10.0)
    cherrypy.tree.mount(root)
    return root


# ---------------------------------------------------------------------------- formatting


def test_format_event_fields_and_lines() -> None:
    assert format_event("hi") == b"data: hi\n\n"
    assert format_event("a\nb\r\nc\rd") == b"data: a\ndata: b\ndata: c\ndata: d\n\n"
    assert format_event("end\n") == b"data: end\ndata: \n\n"
    assert format_event("") == b"data: \n\n"
    assert format_event(" x") == b"data:  x\n\n"  # the client strips only one space
    assert format_event(b"caf\xc3\xa9", event="update", id=7, retry=500) == (
        "event: update\nid: 7\nretry: 500\ndata: café\n\n".encode()
    )
    assert format_event("x", id="") == b"id: \ndata: x\n\n"  # resets the client's last id
    # Only CR, LF and CRLF break lines in the format; other Unicode line separators do not.
    assert format_event("a\u2028b\x0bc") == "data: a\u2028b\x0bc\n\n".encode()


def test_format_event_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="event's event cannot contain a line break"):
        format_event("x", event="a\nb")
    with pytest.raises(ValueError, match="event's id cannot contain a line break"):
        format_event("x", id="1\r")
    with pytest.raises(ValueError, match="NUL"):
        format_event("x", id="a\0")
    with pytest.raises(ValueError, match="UTF-8"):
        format_event(b"\xff")
    with pytest.raises(TypeError, match=r"not dict \(serialise it first"):
        format_event({"a": 1})  # type: ignore[arg-type]
    for retry in (-1, 1.5, True):
        with pytest.raises(ValueError, match="retry must be"):
            format_event("x", retry=retry)  # type: ignore[arg-type]


def test_format_comment() -> None:
    assert format_comment() == b": \n\n"
    assert format_comment("one\ntwo") == b": one\n: two\n\n"


# ---------------------------------------------------------------------------- the stream


def test_response_head_and_first_bytes(app: App) -> None:
    call = Call("/events")
    assert call.status == "200 OK"
    assert call.headers["Content-Type"] == "text/event-stream;charset=utf-8"
    assert call.headers["Cache-Control"] == "no-cache"
    assert call.headers["X-Accel-Buffering"] == "no"
    assert "Content-Length" not in call.headers
    # The body the server sends with the head: the opening comment and the queued event.
    assert call.body == b": stream opened\n\ndata: hello\n\n"
    transport = call.connect()
    assert transport.written == []  # nothing new since the head
    assert call.stream.send("two", event="e", id=2)
    assert transport.text == "event: e\nid: 2\ndata: two\n\n"


def test_retry_goes_first(app: App) -> None:
    app.stream_kwargs["retry"] = 2500
    assert Call("/events").body == b"retry: 2500\n\ndata: hello\n\n"


def test_events_sent_between_the_handler_and_the_connection_are_flushed(app: App) -> None:
    call = Call("/events")
    call.stream.send("late")
    transport = call.connect()
    assert transport.text == "data: late\n\n"


def test_last_event_id(app: App) -> None:
    assert Call("/events").stream.last_event_id is None
    assert Call("/events", {"Last-Event-ID": "41"}).stream.last_event_id == "41"


def test_heartbeat_only_after_silence(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(sse, "_monotonic", lambda: now[0])
    call = Call("/events")
    transport = call.connect()
    [timer] = transport.timers
    assert timer.delay == 10.0
    now[0] += 10.0
    timer.callback()
    assert transport.written == [KEEP_ALIVE]
    [_, timer] = transport.timers
    assert timer.delay == 10.0
    now[0] += 4.0
    call.stream.send("news")  # an event went out: the next beat waits for 10 s of silence
    now[0] += 6.0
    timer.callback()
    assert transport.written == [KEEP_ALIVE, b"data: news\n\n"]
    assert transport.timers[-1].delay == pytest.approx(4.0)
    now[0] += 4.0
    transport.timers[-1].callback()
    assert transport.written[-1] == KEEP_ALIVE
    call.stream.close()
    assert transport.timers[-1].cancelled


def test_no_heartbeat(app: App) -> None:
    app.stream_kwargs["heartbeat"] = None
    transport = Call("/events").connect()
    assert transport.timers == []


def test_close_runs_cleanup_once_in_the_pool(app: App) -> None:
    call = Call("/events")
    transport = call.connect()
    stream = call.stream
    assert len(app.hub) == 1
    stream.close()
    assert stream.closed and transport.closed and not transport.aborted
    assert len(app.hub) == 0  # the hub forgets a stream at once
    assert all(timer.cancelled for timer in transport.timers)
    assert app.cleaned == []  # callbacks run in the worker pool...
    transport.run_jobs()
    assert app.cleaned == [stream]
    stream.close()
    stream.connection_lost(None)
    transport.run_jobs()
    assert app.cleaned == [stream]  # ... once
    assert not stream.send("ignored")
    assert not stream.comment("ignored")


@pytest.mark.parametrize("event", ["eof_received", "connection_lost", "server_stopping"])
def test_the_stream_ends_when(app: App, event: str) -> None:
    call = Call("/events")
    transport = call.connect()
    if event == "connection_lost":
        call.stream.connection_lost(ConnectionResetError())
    else:
        getattr(call.stream, event)()
    assert call.stream.closed
    assert len(app.hub) == 0
    transport.run_jobs()
    assert app.cleaned == [call.stream]
    assert transport.closed == (event == "server_stopping")  # else the server closes it


def test_on_close_after_the_end_runs_at_once_in_the_pool(app: App) -> None:
    call = Call("/events")
    transport = call.connect()
    call.stream.close()
    late: list[str] = []
    call.stream.on_close(lambda: late.append("late"))
    assert late == []
    transport.run_jobs()
    assert late == ["late"]


def test_failing_callback_is_logged_and_the_others_run(app: App) -> None:
    call = Call("/events")
    transport = call.connect()

    def fail() -> None:
        raise RuntimeError("boom")

    after: list[int] = []
    call.stream.on_close(fail)
    call.stream.on_close(lambda: after.append(1))
    call.stream.close()
    transport.run_jobs()
    assert after == [1]


def test_a_client_that_does_not_read_is_dropped(app: App) -> None:
    app.stream_kwargs["max_buffer"] = 100
    call = Call("/events")
    transport = call.connect()
    assert call.stream.send("x" * 40)
    assert call.stream.send("y" * 40)
    assert not call.stream.send("z" * 40)  # 150 bytes would wait: too many
    assert transport.aborted
    assert call.stream.closed and len(app.hub) == 0
    transport.run_jobs()
    assert app.cleaned == [call.stream]
    transport.buffered = 0
    assert not call.stream.send("after")


def test_overflow_before_the_connection(app: App) -> None:
    app.stream_kwargs["max_buffer"] = 60
    call = Call("/events")  # what was queued went out with the head
    assert call.stream.send("a" * 40)
    assert not call.stream.send("b" * 20)
    assert call.stream.closed and len(app.hub) == 0
    transport = call.connect()
    assert transport.aborted and transport.written == []
    transport.run_jobs()
    assert app.cleaned == [call.stream]


def test_closed_before_the_connection(app: App) -> None:
    call = Call("/events")
    call.stream.send("goodbye")
    call.stream.close()
    transport = call.connect()
    assert transport.written == [b"data: goodbye\n\n"]  # what was sent still goes out
    assert transport.closed and not transport.aborted
    assert transport.timers == []
    transport.run_jobs()
    assert app.cleaned == [call.stream]


def test_lost_without_a_connection_runs_cleanup_in_place(app: App) -> None:
    call = Call("/events")  # the server gave up its offer (the response failed)
    call.stream.connection_lost(None)
    assert app.cleaned == [call.stream]


def test_head_request_gets_the_head_only(app: App) -> None:
    call = Call("/events", method="HEAD")
    assert call.status == "200 OK"
    assert call.headers["Content-Type"] == "text/event-stream;charset=utf-8"
    assert call.offered == []  # nothing to take over
    assert app.streams[0].closed
    assert app.cleaned == app.streams  # cleanup ran at once
    assert len(app.hub) == 0


@pytest.mark.parametrize("answer", ["raise", "redirect", "no content"])
def test_a_stream_the_handler_did_not_answer_with_ends_with_the_request(answer: str) -> None:
    streams: list[EventStream] = []
    cleaned: list[str] = []

    class Root:
        @cherrypy.expose
        def events(self) -> Any:
            stream = EventStream()
            stream.on_close(lambda: cleaned.append("cleaned"))
            hub.add(stream)
            streams.append(stream)
            if answer == "raise":
                raise ValueError("the handler failed after creating its stream")
            if answer == "redirect":
                raise cherrypy.HTTPRedirect("/elsewhere")
            cherrypy.response.status = 204
            return stream

    hub = EventHub()
    cherrypy.tree.mount(Root())
    call = Call("/events")
    assert (
        call.status.split()[0] == {"raise": "500", "redirect": "303", "no content": "204"}[answer]
    )
    assert call.offered == []  # nothing to hand over
    assert streams[0].closed and len(hub) == 0
    assert cleaned == ["cleaned"]


def test_bad_arguments() -> None:
    for kwargs, message in (
        ({"heartbeat": 0}, "heartbeat must be a number of seconds > 0 or None"),
        ({"max_buffer": 0}, "max_buffer must be a number of bytes > 0"),
        ({"max_buffer": 1.5}, "max_buffer must be a number of bytes > 0"),
        ({"retry": -5}, "retry must be a whole number of milliseconds"),
    ):
        with pytest.raises(ValueError, match=message):
            _construct_in_request(**kwargs)
    with pytest.raises(ValueError, match="replay must be"):
        EventHub(replay=-1)


def _construct_in_request(**kwargs: Any) -> None:
    EventStream(**kwargs)


def test_without_takeover_the_error_names_the_cure() -> None:
    class Root:
        @cherrypy.expose
        def events(self) -> EventStream:
            return EventStream()

    cherrypy.tree.mount(Root())
    response = Client().get("/events")
    assert response.status_code == 500
    with pytest.raises(TakeoverUnavailable, match="install cherrypy-server"):
        _construct_in_request()


# ---------------------------------------------------------------------------- the hub


def test_hub_publishes_to_all_and_replays_what_was_missed(app: App) -> None:
    first = Call("/events")
    t1 = first.connect()
    second = Call("/events")
    t2 = second.connect()
    assert len(app.hub) == 2
    ids = [str(app.hub.publish(f"m{n}")) for n in range(5)]
    assert len(set(ids)) == 5 and all(i.isdigit() for i in ids)
    assert t1.text == t2.text == "".join(f"id: {ids[n]}\ndata: m{n}\n\n" for n in range(5))

    # A client that got m2 reconnects: it gets m3 and m4 (the hub keeps 3 events).
    again = Call("/events", {"Last-Event-ID": ids[2]})
    assert again.body.endswith(
        f"data: hello\n\nid: {ids[3]}\ndata: m3\n\nid: {ids[4]}\ndata: m4\n\n".encode()
    )
    # An id the hub no longer has (or never had): the whole buffer, m2 to m4.
    old = Call("/events", {"Last-Event-ID": ids[0]})
    assert old.body.count(b"data: m") == 3 and f"id: {ids[2]}\n".encode() in old.body
    # Up to date: nothing to replay.
    fresh = Call("/events", {"Last-Event-ID": ids[4]})
    assert fresh.body == b": stream opened\n\ndata: hello\n\n"
    # A first connection gets no history.
    assert Call("/events").body == b": stream opened\n\ndata: hello\n\n"


def test_hub_ids_given_by_the_application(app: App) -> None:
    assert app.hub.publish("a", id="row-1") == "row-1"
    assert app.hub.publish("b", event="x", id=2) == "2"
    again = Call("/events", {"Last-Event-ID": "row-1"})
    assert again.body.endswith(b"event: x\nid: 2\ndata: b\n\n")
    plain = EventHub()
    assert plain.publish("no replay, no id") is None


def test_hub_comment_close_and_snapshot(app: App) -> None:
    calls = [Call("/events") for _ in range(3)]
    transports = [call.connect() for call in calls]
    assert set(app.hub.streams) == {call.stream for call in calls}
    app.hub.comment("ping")
    assert all(t.text == ": ping\n\n" for t in transports)
    app.hub.close()
    assert len(app.hub) == 0 and all(t.closed for t in transports)
    assert app.hub.publish("nobody") is not None


def test_hub_skips_a_closed_stream(app: App) -> None:
    call = Call("/events")
    call.stream.close()
    other = EventHub()
    other.add(call.stream)
    assert len(other) == 0


def test_concurrent_publishers_keep_every_stream_consistent(app: App) -> None:
    calls = [Call("/events") for _ in range(5)]
    transports = [call.connect() for call in calls]

    def publish(who: int) -> None:
        for n in range(200):
            app.hub.publish(f"{who}:{n}")

    threads = [threading.Thread(target=publish, args=(who,)) for who in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = {t.text for t in transports}
    assert len(texts) == 1  # the same events, in the same order, on every stream
    [text] = texts
    assert text.count("data: ") == 800
    for who in range(4):
        seen = [int(line.split(":")[2]) for line in text.splitlines() if f"data: {who}:" in line]
        assert seen == list(range(200))


def test_a_stream_lost_while_writing_does_not_deadlock_a_publisher(app: App) -> None:
    """The selector thread loses a connection inside ``Transport.write`` (a heartbeat hits a
    dead socket) while another thread publishes: the stream leaves the hub without waiting
    for the publisher, which waits for the stream."""
    first, second = Call("/events"), Call("/events")
    first.connect()
    publisher_inside = threading.Event()

    class Reporting(FakeTransport):
        def write(self, data: bytes) -> None:
            publisher_inside.set()  # the publisher holds the hub while it writes here
            super().write(data)

    class Failing(FakeTransport):
        armed = False

        def write(self, data: bytes) -> None:
            if self.armed:
                assert publisher_inside.wait(10)
                second.stream.connection_lost(BrokenPipeError())  # as the selector does
            super().write(data)

    first.stream._transport = Reporting()  # the stream's own attribute (not the kernel's)
    failing = Failing()
    second.stream.connection_made(failing)
    failing.armed = True
    selector = threading.Thread(target=second.stream.comment, args=("beat",), daemon=True)
    publisher = threading.Thread(target=app.hub.publish, args=("news",), daemon=True)
    selector.start()
    publisher.start()
    selector.join(10)
    publisher.join(10)
    assert not selector.is_alive() and not publisher.is_alive(), "deadlock"
    assert app.hub.streams == [first.stream]
