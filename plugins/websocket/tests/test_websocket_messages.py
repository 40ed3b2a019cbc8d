"""Messages, control frames and callbacks, through a real server and the websockets client."""

from __future__ import annotations

import threading

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

import cherrypy
from cherrypy_websocket import EchoWebSocket, WebSocket


def test_text_and_binary_echo(serve_ws, recorder, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("héllo")
        assert ws.recv(timeout=10) == "héllo"
        ws.send(b"\x00\xff\x10")
        assert ws.recv(timeout=10) == b"\x00\xff\x10"
    messages = recorder.wait("message", 2)
    assert messages[0] == ("message", True, "héllo".encode(), "héllo")
    assert messages[1][:3] == ("message", False, b"\x00\xff\x10")
    assert recorder.wait("closed")[0][1] == 1000


def test_fragmented_messages_both_ways(serve_ws, recorder, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with connect(served.url(), open_timeout=10) as ws:
        ws.send(["frag", "mented ", "text"])
        assert ws.recv(timeout=10) == "fragmented text"
        ws.send([b"\x01", b"\x02", b"\x03"])
        assert ws.recv(timeout=10) == b"\x01\x02\x03"
        recorder.wait("opened")
        recorder.sockets[0].send(["server ", "fragments"])
        assert ws.recv(timeout=10) == "server fragments"
    assert recorder.named("message")[0][2] == b"fragmented text"


def test_ping_is_answered_and_server_ping_is_ponged(serve_ws, recorder, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with connect(served.url(), open_timeout=10, ping_interval=None) as ws:
        assert ws.ping(b"client-ping").wait(10)
        recorder.wait("opened")
        recorder.sockets[0].ping(b"server-ping")
        assert recorder.wait("pong")[0] == ("pong", b"server-ping")


def test_client_close_code_and_reason_reach_closed(serve_ws, recorder, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("x")
        ws.recv(timeout=10)
        ws.close(4000, "bye now")
    assert recorder.wait("closed")[0] == ("closed", 4000, "bye now")
    assert ws.close_code == 4000


def test_server_close_with_code(serve_ws, recorder, kit) -> None:
    class Closer(WebSocket):
        def received_message(self, message):
            self.close(4001, "go away")

        def closed(self, code, reason=None):
            recorder.add("closed", code, reason)

    served = serve_ws(kit.Root(), kit.ws_config(Closer))
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("close me")
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 4001
    assert ws.close_reason == "go away"
    assert recorder.wait("closed")[0] == ("closed", 4001, "go away")


def test_lost_connection_reports_1006(serve_ws, recorder, raw_socket, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    raw = raw_socket(served.port)
    recorder.wait("opened")
    raw.close()
    assert recorder.wait("closed")[0] == ("closed", 1006, "")


def test_callbacks_are_ordered_and_not_concurrent(serve_ws, recorder, kit) -> None:
    active = []
    overlaps = []
    lock = threading.Lock()

    class Slowish(WebSocket):
        def received_message(self, message):
            with lock:
                active.append(1)
                if len(active) > 1:
                    overlaps.append(str(message))
            threading.Event().wait(0.002)
            recorder.add("message", str(message))
            with lock:
                active.pop()

        def closed(self, code, reason=None):
            recorder.add("closed", code)

    served = serve_ws(kit.Root(), kit.ws_config(Slowish), numthreads=4)
    with connect(served.url(), open_timeout=10) as ws:
        for number in range(100):
            ws.send(str(number))
    received = [event[1] for event in recorder.wait("message", 100)]
    assert received == [str(number) for number in range(100)]
    assert overlaps == []
    recorder.wait("closed")


def test_send_from_another_thread(serve_ws, recorder, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with connect(served.url(), open_timeout=10) as ws:
        recorder.wait("opened")
        handler = recorder.sockets[0]
        threads = [
            threading.Thread(target=handler.send, args=(f"from thread {n}",)) for n in range(5)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        got = {ws.recv(timeout=10) for _ in range(5)}
    assert got == {f"from thread {n}" for n in range(5)}


def test_send_after_close_raises(serve_ws, recorder, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with connect(served.url(), open_timeout=10):
        recorder.wait("opened")
    recorder.wait("closed")
    handler = recorder.sockets[0]
    assert handler.terminated
    with pytest.raises(RuntimeError, match="terminated"):
        handler.send("too late")


def test_broadcast_channel_reaches_every_socket(serve_ws, recorder, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    with (
        connect(served.url(), open_timeout=10) as one,
        connect(served.url(), open_timeout=10) as two,
    ):
        recorder.wait("opened", 2)
        cherrypy.engine.publish("websocket-broadcast", "to everyone")
        assert one.recv(timeout=10) == "to everyone"
        assert two.recv(timeout=10) == "to everyone"
        cherrypy.engine.publish("websocket-broadcast", b"\x01", True)
        assert one.recv(timeout=10) == b"\x01"
        assert two.recv(timeout=10) == b"\x01"


def test_page_handler_sees_ws_handler_and_its_body_is_dropped(serve_ws, recorder, kit) -> None:
    class Page:
        @cherrypy.expose
        def ws(self):
            recorder.add("page", type(cherrypy.request.ws_handler).__name__)
            return "dropped"

    served = serve_ws(Page(), kit.ws_config(EchoWebSocket))
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("echo")
        assert ws.recv(timeout=10) == "echo"
    assert recorder.wait("page")[0] == ("page", "EchoWebSocket")


def test_callback_error_is_logged_and_closes_1011(serve_ws, error_log, kit) -> None:
    class Broken(WebSocket):
        def received_message(self, message):
            raise ValueError("application bug")

    served = serve_ws(kit.Root(), kit.ws_config(Broken))
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("boom")
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 1011
    assert any("Broken" in message for message in error_log)
