"""WebSocketConnection against a fake Transport: the driver's own rules, step by step."""

from __future__ import annotations

from typing import Any

import pytest
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

from cherrypy_websocket import Limits, WebSocket, WebSocketConnection


class FakeTimer:
    def __init__(self, delay: float, callback: Any) -> None:
        self.delay = delay
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeTransport:
    """Records what the driver does; jobs and timers run when the test says so."""

    def __init__(self) -> None:
        self.written = b""
        self.jobs: list[Any] = []
        self.timers: list[FakeTimer] = []
        self.closed = self.aborted = False
        self.reading = True
        self.buffered = 0

    def write(self, data: bytes) -> None:
        if not (self.closed or self.aborted):
            self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def submit(self, job: Any) -> None:
        self.jobs.append(job)

    def call_later(self, delay: float, callback: Any) -> FakeTimer:
        timer = FakeTimer(delay, callback)
        self.timers.append(timer)
        return timer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 5000) if name == "peername" else default

    def run_jobs(self) -> None:
        while self.jobs:
            self.jobs.pop(0)()


class Client:
    """A wsproto client side, to make masked frames and read the server's."""

    def __init__(self) -> None:
        self.conn = Connection(ConnectionType.CLIENT)

    def frame(self, event: Any) -> bytes:
        return self.conn.send(event)

    def events(self, data: bytes) -> list[Any]:
        self.conn.receive_data(data)
        return list(self.conn.events())


class Recording(WebSocket):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[Any] = []

    def opened(self) -> None:
        self.seen.append("opened")

    def received_message(self, message: Any) -> None:
        self.seen.append(str(message))

    def closed(self, code: int, reason: str | None = None) -> None:
        self.seen.append(("closed", code, reason))


def make(**limits: Any) -> tuple[Recording, WebSocketConnection, FakeTransport, Client]:
    websocket = Recording()
    driver = WebSocketConnection(websocket, [], Limits(**limits))
    transport = FakeTransport()
    driver.connection_made(transport)
    return websocket, driver, transport, Client()


def test_one_job_at_a_time_in_order() -> None:
    websocket, driver, transport, client = make()
    for text in ("a", "b", "c"):
        driver.data_received(client.frame(TextMessage(data=text)))
    assert len(transport.jobs) == 1  # the next job is submitted when this one ends
    transport.run_jobs()
    assert websocket.seen == ["opened", "a", "b", "c"]


def test_send_before_take_over_is_written_on_connection_made() -> None:
    websocket = Recording()
    driver = WebSocketConnection(websocket)
    websocket.send("early")
    transport = FakeTransport()
    driver.connection_made(transport)
    [event] = Client().events(transport.written)
    assert event.data == "early"


def test_ping_answered_in_selector_thread() -> None:
    _, driver, transport, client = make()
    driver.data_received(client.frame(Ping(payload=b"p")))
    [pong] = client.events(transport.written)
    assert pong.payload == b"p"


def test_peer_close_is_answered_then_closed_reported_last() -> None:
    websocket, driver, transport, client = make()
    driver.data_received(client.frame(TextMessage(data="last")))
    driver.data_received(client.frame(CloseConnection(code=4005, reason="done")))
    [close] = client.events(transport.written)
    assert close.code == 4005
    assert transport.closed
    driver.connection_lost(None)
    transport.run_jobs()
    assert websocket.seen == ["opened", "last", ("closed", 4005, "done")]


def test_our_close_waits_for_the_peer_then_aborts() -> None:
    websocket, _, transport, client = make(close_timeout=3)
    websocket.close(1000, "bye")
    websocket.close(1000, "twice")  # a second close does nothing
    [close] = client.events(transport.written)
    assert (close.code, close.reason) == (1000, "bye")
    [timer] = transport.timers
    assert timer.delay == 3
    timer.callback()
    assert transport.aborted
    with pytest.raises(RuntimeError):
        websocket.send("after close")


def test_server_stopping_sends_1001() -> None:
    _, driver, transport, client = make()
    driver.server_stopping()
    [close] = client.events(transport.written)
    assert close.code == 1001


def test_send_buffer_overflow_aborts_with_1008() -> None:
    websocket, driver, transport, _ = make(max_send_buffer=1000)
    websocket.send(b"x" * 5000, binary=True)  # an empty buffer takes any one message
    transport.buffered = 900
    websocket.send(b"y" * 200, binary=True)  # would pass the limit: dropped, aborted
    assert transport.aborted
    driver.connection_lost(None)
    transport.run_jobs()
    code, reason = websocket.seen[-1][1:]
    assert code == 1008 and "send buffer" in reason


def test_reading_pauses_while_callbacks_lag() -> None:
    websocket, driver, transport, client = make(max_message_size=100)  # high water: 200
    for _ in range(3):
        driver.data_received(client.frame(BytesMessage(data=b"z" * 100)))
    assert not transport.reading
    transport.run_jobs()
    assert transport.reading
    assert websocket.seen.count("z" * 100) == 3


def test_heartbeat_timer_pings_then_fails_silent_peer() -> None:
    _, _, transport, client = make(heartbeat_freq=2.0)
    [first] = transport.timers
    assert first.delay == 2.0
    first.callback()
    sent = len(transport.written)
    [ping] = client.events(transport.written)
    assert isinstance(ping, Ping)
    transport.timers[-1].callback()  # no pong came
    [close] = client.events(transport.written[sent:])
    assert close.code == 1011
    assert transport.closed


def test_messages_after_our_close_are_dropped() -> None:
    websocket, driver, transport, client = make()
    websocket.close()
    driver.data_received(client.frame(TextMessage(data="crossing")))
    transport.run_jobs()
    assert websocket.seen == ["opened"]


def test_peer_address_from_the_transport() -> None:
    websocket, *_ = make()
    assert websocket.peer_address == ("127.0.0.1", 5000)


def test_connection_lost_without_take_over_still_reports_closed() -> None:
    """The server calls connection_lost alone when it did not take the connection over."""
    websocket = Recording()
    driver = WebSocketConnection(websocket)
    driver.connection_lost(None)
    assert websocket.seen == [("closed", 1006, "")]
    assert websocket.terminated


def test_jobs_run_inline_once_the_pool_refuses_them() -> None:
    websocket, driver, transport, _ = make()
    transport.run_jobs()

    def refuse(job: Any) -> None:
        raise RuntimeError("pool stopped")

    transport.submit = refuse  # type: ignore[method-assign]
    driver.connection_lost(None)
    assert websocket.seen == ["opened", ("closed", 1006, "")]
