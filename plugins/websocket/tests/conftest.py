"""Fixtures for cherrypy-websocket tests: a clean kernel, live servers, certificates."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.pytest_fixtures import (  # noqa: F401
    clean_kernel,
    docs_example,
    error_log,
    serve_root,
)
from cherrypy_server import HTTPServer
from cherrypy_websocket import Message, PongControlMessage, WebSocket

IO_TIMEOUT = 10.0


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``predicate`` until it is true or ``timeout`` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    return predicate()


class Recorder:
    """Events seen by test handlers, with a condition to wait on."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.sockets: list[Any] = []
        self.cond = threading.Condition()

    def add(self, *event: Any) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def named(self, name: str) -> list[tuple[Any, ...]]:
        with self.cond:
            return [event for event in self.events if event[0] == name]

    def wait(self, name: str, count: int = 1, timeout: float = IO_TIMEOUT) -> list[tuple[Any, ...]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.named(name)) >= count, timeout)
        found = self.named(name)
        assert len(found) >= count, f"waited for {count} {name!r}, saw {self.events!r}"
        return found


@pytest.fixture
def recorder() -> Recorder:
    """A fresh :class:`Recorder`."""
    return Recorder()


class Served:
    """A running server for ``cherrypy.tree``: ``url("/ws")`` gives the ws:// URL."""

    def __init__(self, server: HTTPServer, scheme: str) -> None:
        self.server = server
        self.scheme = scheme
        self.port = server.bound_addr[1]  # type: ignore[index]

    def url(self, path: str = "/ws") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def http(self, path: str = "/") -> str:
        return f"{'https' if self.scheme == 'wss' else 'http'}://127.0.0.1:{self.port}{path}"


@pytest.fixture
def serve_ws() -> Iterator[Callable[..., Served]]:
    """``serve_ws(root, config, numthreads=4, ssl_context=None, **server_kwargs)``: mount
    ``root`` at ``/`` and serve the tree on cherrypy-server; stopped at teardown."""
    servers: list[HTTPServer] = []

    def start(
        root: Any,
        config: dict[str, Any] | None = None,
        numthreads: int = 4,
        ssl_context: ssl.SSLContext | None = None,
        **kwargs: Any,
    ) -> Served:
        cherrypy.tree.mount(root, "/", config or {})
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("shutdown_timeout", 3)
        server = HTTPServer(
            ("127.0.0.1", 0), cherrypy.tree, numthreads, ssl_context=ssl_context, **kwargs
        )
        server.start_in_thread()
        servers.append(server)
        return Served(server, "wss" if ssl_context is not None else "ws")

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


class RawSocket:
    """A plain socket that made a WebSocket handshake by hand, to send crafted frames."""

    def __init__(self, port: int, path: str = "/ws", extra: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.buffer = b""
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\n{extra}\r\n"
            ).encode("latin-1")
        )
        self.head = self.read_until(b"\r\n\r\n")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            if not self._fill():
                raise EOFError(self.buffer)
        head, _, self.buffer = self.buffer.partition(marker)
        return head + marker

    def read_frame(self) -> tuple[int, bytes]:
        """One unmasked server frame: ``(opcode, payload)``."""
        while len(self.buffer) < 2:
            if not self._fill():
                raise EOFError(self.buffer)
        length = self.buffer[1] & 0x7F
        offset = 2
        if length == 126:
            offset, length = 4, int.from_bytes(self.buffer[2:4], "big")
        elif length == 127:
            offset, length = 10, int.from_bytes(self.buffer[2:10], "big")
        while len(self.buffer) < offset + length:
            if not self._fill():
                raise EOFError(self.buffer)
        opcode = self.buffer[0] & 0x0F
        payload = self.buffer[offset : offset + length]
        self.buffer = self.buffer[offset + length :]
        return opcode, payload

    def read_close(self) -> int:
        """Read frames until a close frame; return its code."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == 0x8:
                return int.from_bytes(payload[:2], "big")

    def is_closed(self, timeout: float = IO_TIMEOUT) -> bool:
        self.sock.settimeout(timeout)
        try:
            while self._fill():
                pass
            return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def masked_frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True) -> bytes:
    """A client frame (masked unless ``mask`` is false), payload under 126 bytes or not."""
    first = (0x80 if fin else 0) | opcode
    key = b"\x01\x02\x03\x04"
    length = len(payload)
    if length < 126:
        head = bytes([first, (0x80 if mask else 0) | length])
    elif length < 65536:
        head = bytes([first, (0x80 if mask else 0) | 126]) + length.to_bytes(2, "big")
    else:
        head = bytes([first, (0x80 if mask else 0) | 127]) + length.to_bytes(8, "big")
    if not mask:
        return head + payload
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + body


@pytest.fixture
def raw_socket() -> Iterator[Callable[..., RawSocket]]:
    """``raw_socket(port, path="/ws", extra="")``: a hand-made handshake (closed at teardown)."""
    opened: list[RawSocket] = []

    def open_raw(port: int, path: str = "/ws", extra: str = "") -> RawSocket:
        raw = RawSocket(port, path, extra)
        opened.append(raw)
        return raw

    try:
        yield open_raw
    finally:
        for raw in opened:
            raw.close()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate and key for localhost/127.0.0.1 (the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not available")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return str(cert), str(key)


def recording(recorder: Any, echo: bool = True) -> type[WebSocket]:
    """A handler class that records every callback in ``recorder`` and echoes messages."""

    class Recording(WebSocket):
        def opened(self) -> None:
            recorder.sockets.append(self)
            recorder.add("opened", threading.current_thread().name)

        def received_message(self, message: Message) -> None:
            recorder.add("message", message.is_text, message.data, str(message))
            if echo:
                self.send(message.data, message.is_binary)

        def ponged(self, pong: PongControlMessage) -> None:
            recorder.add("pong", pong.data)

        def closed(self, code: int, reason: str | None = None) -> None:
            recorder.add("closed", code, reason)

    return Recording


class Root:
    """``/`` answers "index"; ``/ws`` is an empty page handler, as in ws4py's examples."""

    @cherrypy.expose
    def index(self) -> str:
        return "index"

    @cherrypy.expose
    def ws(self) -> str:
        return "this body is dropped"


def ws_config(handler_cls: Any, **options: Any) -> dict[str, Any]:
    """The config of ``/ws`` as a WebSocket endpoint with ``tools.websocket.*`` options."""
    section = {"tools.websocket.on": True, "tools.websocket.handler_cls": handler_cls}
    section.update({f"tools.websocket.{key}": value for key, value in options.items()})
    return {"/ws": section}


@pytest.fixture
def kit() -> SimpleNamespace:
    """Test helpers: ``Root``, ``recording(recorder)``, ``ws_config(cls, **options)``,
    ``masked_frame(opcode, payload)``, ``wait_for(predicate)``."""
    return SimpleNamespace(
        Root=Root,
        recording=recording,
        ws_config=ws_config,
        masked_frame=masked_frame,
        wait_for=wait_for,
    )
