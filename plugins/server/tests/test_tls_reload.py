"""Renewing the TLS certificate of a running ``cherrypy.server``, over real sockets.

Certificates are replaced the way certbot and most deployment tools do it: the new content is
written to a temporary file, which then takes the old one's name with ``os.replace``.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

import cherrypy
from cherrypy_server import adapter as adapter_module
from cherrypy_server.adapter import Server
from cherrypy_server.tls import make_ssl_context
from cherrypy_server.tlsreload import CertificateReloader

from .conftest import _generate_with_cryptography, _generate_with_openssl


def _make_pair(directory: Path, name: str) -> tuple[bytes, bytes]:
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    if not (
        _generate_with_cryptography(cert_path, key_path)
        or _generate_with_openssl(cert_path, key_path)
    ):
        reason = "neither the cryptography package nor the openssl command is available"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: .ci/run installs openssl, this test must run)")
        pytest.skip(reason)
    return cert_path.read_bytes(), key_path.read_bytes()


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> dict[str, tuple[bytes, bytes]]:
    """Two unrelated self-signed certificates for localhost, A and B: (cert PEM, key PEM)."""
    directory = tmp_path_factory.mktemp("tls-pairs")
    return {name: _make_pair(directory, name) for name in ("A", "B")}


def der(pem: bytes) -> bytes:
    """The DER form of the first certificate in ``pem``, as ``getpeercert(True)`` gives."""
    return ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))


def install(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically: write a temporary file beside it, then rename."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class Site:
    """A ``cherrypy.server``-like adapter serving TLS from files in a temporary folder."""

    def __init__(self, directory: Path, pairs: dict[str, tuple[bytes, bytes]]) -> None:
        self.cert = directory / "server.crt"
        self.key = directory / "server.key"
        self.pairs = pairs
        self.server = Server()
        self.server.socket_port = 0
        self.server.thread_pool = 4
        self.server.shutdown_timeout = 1
        self.server.ssl_certificate = str(self.cert)
        self.server.ssl_private_key = str(self.key)
        self.messages: list[tuple[str, int]] = []
        self.client_context = ssl.create_default_context()
        for cert_pem, _ in pairs.values():
            self.client_context.load_verify_locations(cadata=cert_pem.decode("ascii"))

    def use(self, name: str) -> None:
        """Install pair ``name``: the key first, then the certificate (no order is assumed)."""
        cert_pem, key_pem = self.pairs[name]
        install(self.key, key_pem)
        install(self.cert, cert_pem)

    def log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        self.messages.append((msg, level))

    def warnings(self) -> list[str]:
        return [msg for msg, level in self.messages if level >= 30 and "TLS" in msg]

    def peer_certificate(self) -> bytes:
        """Shake hands with the server once and return its certificate (DER)."""
        port = self.server.bound_addr[1]
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        with raw, self.client_context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)  # type: ignore[return-value]

    def wait_for(self, name: str, timeout: float) -> float:
        """Seconds until new connections get certificate ``name``; fails after ``timeout``."""
        wanted = der(self.pairs[name][0])
        began = time.monotonic()
        while self.peer_certificate() != wanted:
            assert time.monotonic() - began < timeout, f"still not serving {name}"
            time.sleep(0.02)
        return time.monotonic() - began


@pytest.fixture
def site(tmp_path, pairs, monkeypatch):
    """A started adapter serving pair A, with ``cherrypy.engine`` as its bus; stopped after."""
    monkeypatch.setattr(adapter_module, "_plugin_factory", lambda: None)
    made = Site(tmp_path, pairs)
    made.use("A")
    cherrypy.engine.subscribe("log", made.log)
    started: list[Server] = []

    def start(**settings: object) -> Site:
        for key, value in settings.items():
            setattr(made.server, key, value)
        made.server.start()
        started.append(made.server)
        return made

    try:
        yield start
    finally:
        for server in started:
            server.stop()
        cherrypy.engine.unsubscribe("log", made.log)


def test_replaced_files_are_served_within_two_seconds(site):
    running = site()  # the default interval, 1 s
    assert running.server.ssl_reload_interval == 1.0
    assert running.peer_certificate() == der(running.pairs["A"][0])
    running.use("B")
    assert running.wait_for("B", timeout=2.0) < 2.0
    assert ("TLS certificate reloaded from " + str(running.cert), 20) in running.messages
    assert running.warnings() == []


def test_no_handshake_fails_while_certificates_change(site):
    running = site(ssl_reload_interval=0.05)
    stop = threading.Event()
    seen: dict[bytes, int] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            try:
                got = running.peer_certificate()
            except Exception as exc:  # every failure counts
                with lock:
                    failures.append(exc)
                continue
            with lock:
                seen[got] = seen.get(got, 0) + 1

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    try:
        for name in ("B", "A", "B", "A", "B"):
            running.use(name)
            running.wait_for(name, timeout=2.0)
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in clients:
            thread.join(10)
    assert failures == []
    assert set(seen) == {der(running.pairs["A"][0]), der(running.pairs["B"][0])}
    assert sum(seen.values()) > 20


def test_bad_pair_keeps_the_old_certificate_then_a_good_one_is_taken(site):
    running = site(ssl_reload_interval=0.1)
    cert_a = der(running.pairs["A"][0])
    cert_b_pem, key_b_pem = running.pairs["B"]

    # The certificate of B with the key of A: they do not match.
    install(running.cert, cert_b_pem)
    deadline = time.monotonic() + 3
    while not running.warnings() and time.monotonic() < deadline:
        assert running.peer_certificate() == cert_a
        time.sleep(0.05)
    time.sleep(0.5)  # several more checks: the same failure is not logged again
    (warning,) = running.warnings()
    assert str(running.key) in warning and "does not match" in warning, warning
    assert "still serving the previous certificate" in warning
    assert running.peer_certificate() == cert_a

    # A truncated certificate is another failure, reported once as well.
    install(running.cert, cert_b_pem[: len(cert_b_pem) // 2])
    deadline = time.monotonic() + 3
    while len(running.warnings()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert len(running.warnings()) == 2
    assert str(running.cert) in running.warnings()[1], running.warnings()[1]
    assert running.peer_certificate() == cert_a

    # The good pair arrives: it is picked up, and the failures are over.
    install(running.key, key_b_pem)
    install(running.cert, cert_b_pem)
    running.wait_for("B", timeout=2.0)
    assert len(running.warnings()) == 2
    assert ("TLS certificate reloaded from " + str(running.cert), 20) in running.messages


def test_engine_graceful_reloads_at_once_with_watching_off(site):
    running = site(ssl_reload_interval=0)
    reloader = running.server._tls_reloader
    assert reloader is not None and not reloader.running
    running.use("B")
    time.sleep(0.3)
    assert running.peer_certificate() == der(running.pairs["A"][0])
    cherrypy.engine.graceful()
    assert running.peer_certificate() == der(running.pairs["B"][0])

    # A failed reload on request is reported at once, and the server keeps its context.
    install(running.key, running.pairs["A"][1])
    cherrypy.engine.graceful()
    assert len(running.warnings()) == 1
    assert running.peer_certificate() == der(running.pairs["B"][0])


def test_stop_ends_watching_and_leaves_the_graceful_channel(site):
    running = site(ssl_reload_interval=0.05)
    reloader = running.server._tls_reloader
    assert reloader.running
    assert reloader.reload in cherrypy.engine.listeners["graceful"]
    running.server.stop()
    assert not reloader.running
    assert reloader.reload not in cherrypy.engine.listeners["graceful"]
    running.server.start()  # the same reloader goes on with the restarted server
    assert running.server._tls_reloader is reloader and reloader.running


def test_a_ready_ssl_context_is_never_reloaded(site, tmp_path):
    context = make_ssl_context(str(tmp_path / "server.crt"), str(tmp_path / "server.key"))
    running = site(ssl_context=context, ssl_reload_interval=0.05)
    assert running.server._tls_reloader is None
    assert running.server.httpserver.ssl_context is context
    running.use("B")
    cherrypy.engine.graceful()
    time.sleep(0.2)
    assert running.server.httpserver.ssl_context is context
    assert running.peer_certificate() == der(running.pairs["A"][0])


def test_missing_file_is_named(tmp_path, pairs):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    install(cert, pairs["A"][0])
    install(key, pairs["A"][1])

    class Target:
        ssl_context = None
        logged: list[tuple[str, int]] = []

        def error_log(self, msg: str, level: int = 20, traceback: bool = False) -> None:
            self.logged.append((msg, level))

    target = Target()
    reloader = CertificateReloader(target, str(cert), str(key), interval=None)
    assert reloader.reload() and target.ssl_context is not None
    key.unlink()
    kept = target.ssl_context
    assert not reloader.reload()
    assert target.ssl_context is kept
    msg, level = target.logged[-1]
    assert level == 30 and str(key) in msg and "No such file" in msg
