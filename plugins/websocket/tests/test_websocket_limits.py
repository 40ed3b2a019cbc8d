"""Protocol errors and limits: 1009, 1007, 1002, slow clients, keep-alive."""

from __future__ import annotations

import threading

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from cherrypy_websocket import EchoWebSocket, WebSocket


def test_oversized_message_closes_1009(serve_ws, kit, recorder) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder), max_message_size=1000))
    with connect(served.url(), open_timeout=10, compression=None) as ws:
        ws.send("x" * 1000)  # exactly at the limit: fine
        assert ws.recv(timeout=10) == "x" * 1000
        ws.send("y" * 1001)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 1009
    assert recorder.wait("closed")[0][1] == 1009
    assert len(recorder.named("message")) == 1


def test_oversized_fragmented_message_closes_1009(serve_ws, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket, max_message_size=1000))
    ws = connect(served.url(), open_timeout=10, compression=None)
    with ws, pytest.raises(ConnectionClosed):  # the server may close before the 2nd frame
        ws.send([b"a" * 600, b"b" * 600])
        ws.recv(timeout=10)
    assert ws.close_code == 1009


def test_deflate_bomb_closes_1009(serve_ws, kit) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket, max_message_size=64 * 1024))
    with connect(served.url(), open_timeout=10, max_size=None) as ws:
        assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
        ws.send(b"\0" * (20 * 1024 * 1024))  # a few KiB on the wire
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 1009


def test_frame_size_limit_closes_1009(serve_ws, kit) -> None:
    served = serve_ws(
        kit.Root(), kit.ws_config(EchoWebSocket, max_frame_size=100, max_message_size=None)
    )
    with connect(served.url(), open_timeout=10, compression=None) as ws:
        ws.send([b"a" * 100, b"b" * 100, b"c" * 100])  # three frames at the limit: fine
        assert ws.recv(timeout=10) == b"a" * 100 + b"b" * 100 + b"c" * 100
        ws.send(b"z" * 101)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 1009


def test_invalid_utf8_closes_1007(serve_ws, kit, raw_socket, recorder) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    raw = raw_socket(served.port)
    assert b" 101 " in raw.head
    raw.send(kit.masked_frame(0x1, b"ok"))
    assert raw.read_frame() == (0x1, b"ok")
    raw.send(kit.masked_frame(0x1, b"bad \xff\xfe utf-8"))
    assert raw.read_close() == 1007
    assert raw.is_closed()
    assert recorder.wait("closed")[0][1] == 1007


def test_invalid_utf8_across_fragments_closes_1007(serve_ws, kit, raw_socket) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket))
    raw = raw_socket(served.port)
    raw.send(kit.masked_frame(0x1, b"caf\xc3", fin=False))  # a split, valid sequence...
    raw.send(kit.masked_frame(0x0, b"\xa9 \xc3\x28"))  # ...then an invalid one
    assert raw.read_close() == 1007


def test_unmasked_client_frame_closes_1002(serve_ws, kit, raw_socket, recorder) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder)))
    raw = raw_socket(served.port)
    raw.send(kit.masked_frame(0x1, b"not masked", mask=False))
    assert raw.read_close() == 1002
    assert raw.is_closed()
    assert recorder.wait("closed")[0][1] == 1002
    assert recorder.named("message") == []


def test_reserved_opcode_closes_1002(serve_ws, kit, raw_socket) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(EchoWebSocket))
    raw = raw_socket(served.port)
    raw.send(kit.masked_frame(0x3, b"what"))
    assert raw.read_close() == 1002


def test_slow_client_does_not_block_the_sender(serve_ws, kit, raw_socket, recorder) -> None:
    """A client that never reads: sends return, the buffer limit drops it (closed(1008)),
    and another client is served meanwhile."""
    served = serve_ws(
        kit.Root(),
        kit.ws_config(kit.recording(recorder), max_send_buffer=256 * 1024, compression=False),
    )
    raw = raw_socket(served.port)  # handshakes, then never reads
    recorder.wait("opened")
    slow = recorder.sockets[0]
    chunk = b"s" * 65536
    outcome: dict[str, int] = {}

    def flood() -> None:
        for sent in range(10_000):  # at most 640 MiB: far past any socket buffer
            try:
                slow.send(chunk, binary=True)
            except RuntimeError:
                outcome["sent"] = sent
                return

    sender = threading.Thread(target=flood, daemon=True)
    sender.start()
    sender.join(60)
    assert not sender.is_alive()
    assert "sent" in outcome, "the slow client was never dropped"
    closed = [event for event in recorder.wait("closed") if event[1] == 1008]
    assert closed and "send buffer" in closed[0][2]
    with connect(served.url(), open_timeout=10) as ws:
        ws.send("still serving")
        assert ws.recv(timeout=10) == "still serving"
    raw.close()


def test_heartbeat_pings_and_answering_peer_stays(serve_ws, kit, recorder) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder), heartbeat_freq=0.05))
    with connect(served.url(), open_timeout=10, ping_interval=None) as ws:
        recorder.wait("opened")
        # The client answers the server's pings by itself; wait for several answers.
        assert recorder.wait("pong", 5)[0] == ("pong", b"cherrypy-keepalive")
        ws.send("alive")
        assert ws.recv(timeout=10) == "alive"


def test_heartbeat_closes_a_silent_peer(serve_ws, kit, raw_socket, recorder) -> None:
    served = serve_ws(kit.Root(), kit.ws_config(kit.recording(recorder), heartbeat_freq=0.1))
    raw = raw_socket(served.port)
    opcode, payload = raw.read_frame()
    assert (opcode, payload) == (0x9, b"cherrypy-keepalive")  # a ping; never answered
    assert raw.read_close() == 1011
    assert recorder.wait("closed")[0][1] == 1011


def test_inbound_flood_is_paused_not_buffered(serve_ws, kit, recorder) -> None:
    """A slow callback and a fast sender: every message still arrives, in order."""
    gate = threading.Event()

    class Slow(WebSocket):
        def received_message(self, message):
            gate.wait(10)
            recorder.add("message", len(message.data))

    served = serve_ws(kit.Root(), kit.ws_config(Slow, max_message_size=16 * 1024))
    with connect(served.url(), open_timeout=10, compression=None) as ws:
        for _ in range(64):  # 1 MiB, far above the 32 KiB high-water mark
            ws.send(b"f" * 16 * 1024)
        gate.set()
        assert len(recorder.wait("message", 64)) == 64
