"""Fixtures for cherrypy-server tests: servers on loopback ports and raw-socket clients."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cherrypy_server import HTTPServer

IO_TIMEOUT = 5.0


class RawResponse:
    """One parsed HTTP response, with the exact bytes it arrived as."""

    def __init__(
        self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes, raw: bytes
    ):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw = raw

    def header(self, name: str) -> str | None:
        """The value of the first header called ``name`` (case-insensitive)."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.raw[:200]!r}>"


class RawClient:
    """A socket client that shows every byte: no library between the test and the server."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(IO_TIMEOUT)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buffer += data
        return True

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            if not self._fill():
                raise EOFError(f"connection closed; got {self.buffer!r}")
        head, _, self.buffer = self.buffer.partition(marker)
        return head + marker

    def _read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise EOFError(f"connection closed; got {self.buffer!r}")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_response(self, head_only: bool = False) -> RawResponse:
        """Read one response; ``head_only`` for responses to HEAD (no body follows)."""
        head = self._read_until(b"\r\n\r\n")
        lines = head[:-4].decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        assert version.startswith("HTTP/1.")
        headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
        response = RawResponse(int(status), reason, headers, b"", head)  # type: ignore[arg-type]
        code = int(status)
        if head_only or code < 200 or code in (204, 304):
            return response
        length = response.header("Content-Length")
        raw = head
        if response.header("Transfer-Encoding") == "chunked":
            body = b""
            while True:
                size_line = self._read_until(b"\r\n")
                raw += size_line
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    raw += self._read_until(b"\r\n")
                    break
                chunk = self._read_exact(size + 2)
                raw += chunk
                body += chunk[:-2]
        elif length is not None:
            body = self._read_exact(int(length))
            raw += body
        else:
            body = self.read_to_eof()
            raw += body
        response.body = body
        response.raw = raw
        return response

    def read_to_eof(self, timeout: float = IO_TIMEOUT) -> bytes:
        """Everything until the server closes the connection."""
        self.sock.settimeout(timeout)
        try:
            while self._fill():
                pass
        except ConnectionResetError:
            pass
        data, self.buffer = self.buffer, b""
        self.sock.settimeout(IO_TIMEOUT)
        return data

    def is_closed(self, timeout: float = 2.0) -> bool:
        """True if the server closes the connection within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buffer += data
        except TimeoutError:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        finally:
            self.sock.settimeout(IO_TIMEOUT)

    def close(self) -> None:
        self.sock.close()


class ServerFactory:
    """Starts servers in background threads and stops them all at teardown."""

    def __init__(self) -> None:
        self.servers: list[HTTPServer] = []

    def __call__(
        self, app: Callable[..., Any], bind: Any = ("127.0.0.1", 0), **kwargs: Any
    ) -> HTTPServer:
        kwargs.setdefault("numthreads", 4)
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("shutdown_timeout", 2)
        numthreads = kwargs.pop("numthreads")
        server = HTTPServer(bind, app, numthreads, **kwargs)
        server.start_in_thread()
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def start_server() -> Iterator[ServerFactory]:
    """``start_server(app, **kwargs)`` -> a running :class:`HTTPServer` on 127.0.0.1."""
    factory = ServerFactory()
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def connect() -> Iterator[Callable[..., RawClient]]:
    """``connect(server, tls_context=None)`` -> a :class:`RawClient` (closed at teardown)."""
    clients: list[RawClient] = []

    def open_client(server: HTTPServer, tls_context: ssl.SSLContext | None = None) -> RawClient:
        address = server.bound_addr
        if isinstance(address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(IO_TIMEOUT)
            sock.connect(address)
        else:
            sock = socket.create_connection(("127.0.0.1", address[1]), timeout=IO_TIMEOUT)
        if tls_context is not None:
            sock = tls_context.wrap_socket(sock, server_hostname="localhost")
        client = RawClient(sock)
        clients.append(client)
        return client

    try:
        yield open_client
    finally:
        for client in clients:
            client.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def until() -> Callable[..., bool]:
    """``until(predicate, timeout=5)``: poll until true; returns the final value."""
    return wait_until


def _generate_with_cryptography(cert_path, key_path) -> bool:
    try:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True


def _generate_with_openssl(cert_path, key_path) -> bool:
    openssl = shutil.which("openssl")
    if openssl is None:
        return False
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key_path),
            "-out",
            str(cert_path),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return True


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate and key for localhost, made for this test run."""
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    if not (
        _generate_with_cryptography(cert_path, key_path)
        or _generate_with_openssl(cert_path, key_path)
    ):
        pytest.skip("neither the cryptography package nor the openssl command is available")
    return str(cert_path), str(key_path)
