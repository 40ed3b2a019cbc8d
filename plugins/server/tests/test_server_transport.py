"""TLS, UNIX sockets and ``os.sendfile``."""

from __future__ import annotations

import os
import socket
import ssl
import time

import pytest

from cherrypy_server.tls import make_ssl_context

HOST = b"Host: test\r\n"


def environ_app(environ, start_response):
    """Answer with a few environ values."""
    text = "|".join(
        str(environ.get(key))
        for key in ("wsgi.url_scheme", "HTTPS", "SSL_PROTOCOL", "SERVER_PORT", "REMOTE_ADDR")
    )
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [text.encode()]


def test_tls_serves_https_with_keep_alive(start_server, connect, certificate):
    cert, key = certificate
    server = start_server(environ_app, ssl_context=make_ssl_context(cert, key))
    client_context = ssl.create_default_context(cafile=cert)
    client = connect(server, tls_context=client_context)
    for _ in range(2):
        client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        response = client.read_response()
        scheme, https, protocol, port, remote = response.body.decode().split("|")
        assert (scheme, https, remote) == ("https", "on", "127.0.0.1")
        assert protocol.startswith("TLS") and port == str(server.bound_addr[1])


def test_tls_large_response_and_body(start_server, connect, certificate):
    cert, key = certificate

    def app(environ, start_response):
        data = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [data * 4]

    server = start_server(app, ssl_context=make_ssl_context(cert, key))
    client = connect(server, tls_context=ssl.create_default_context(cafile=cert))
    body = os.urandom(100_000)
    client.send(b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert client.read_response().body == body * 4


def test_stalled_tls_handshake_does_not_block_others(start_server, connect, certificate):
    cert, key = certificate
    server = start_server(environ_app, ssl_context=make_ssl_context(cert, key))
    stalled = socket.create_connection(("127.0.0.1", server.bound_addr[1]), timeout=5)
    try:
        stalled.sendall(b"\x16\x03\x01\x00")  # the first bytes of a ClientHello, then nothing
        started = time.monotonic()
        client = connect(server, tls_context=ssl.create_default_context(cafile=cert))
        client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        assert client.read_response().status == 200
        assert time.monotonic() - started < 1.0
    finally:
        stalled.close()


def test_plain_http_on_tls_port_is_dropped(start_server, certificate):
    cert, key = certificate
    server = start_server(environ_app, ssl_context=make_ssl_context(cert, key))
    with socket.create_connection(("127.0.0.1", server.bound_addr[1]), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
        try:
            data = sock.recv(1024)
        except ConnectionResetError:
            data = b""
        assert not data.startswith(b"HTTP/1.1 200")


def test_unix_socket(start_server, connect, tmp_path):
    path = str(tmp_path / "server.sock")
    server = start_server(environ_app, bind=path)
    assert server.bound_addr == path
    client = connect(server)
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    scheme, _https, _protocol, port, remote = client.read_response().body.decode().split("|")
    assert (scheme, port, remote) == ("http", "", "")
    server.stop()
    assert not os.path.exists(path)


def test_unix_socket_replaces_a_stale_socket_file(start_server, connect, tmp_path):
    path = str(tmp_path / "stale.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    client = connect(start_server(environ_app, bind=path))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().status == 200


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(300_000))
    return path


def file_app_for(path):
    def app(environ, start_response):
        handle = open(path, "rb")  # noqa: SIM115 - closed by the server through the wrapper
        if environ["QUERY_STRING"] == "offset":
            handle.seek(1000)
        headers = [("Content-Type", "application/octet-stream")]
        if environ["QUERY_STRING"] == "length":
            headers.append(("Content-Length", "5000"))
        start_response("200 OK", headers)
        return environ["wsgi.file_wrapper"](handle, 8192)

    return app


def test_file_wrapper_uses_sendfile_on_plain_sockets(start_server, connect, data_file, monkeypatch):
    calls = []
    real_sendfile = os.sendfile

    def counting_sendfile(*args):
        calls.append(args)
        return real_sendfile(*args)

    monkeypatch.setattr(os, "sendfile", counting_sendfile)
    client = connect(start_server(file_app_for(data_file)))
    content = data_file.read_bytes()
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    response = client.read_response()
    assert response.header("Content-Length") == str(len(content))
    assert response.body == content
    assert calls
    client.send(b"GET /?offset HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == content[1000:]
    client.send(b"GET /?length HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == content[:5000]
    client.send(b"HEAD / HTTP/1.1\r\n" + HOST + b"\r\n")
    head = client.read_response(head_only=True)
    assert head.header("Content-Length") == str(len(content))
    client.send(b"GET /?length HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == content[:5000]


def test_file_wrapper_iterates_over_tls(start_server, connect, data_file, certificate, monkeypatch):
    cert, key = certificate
    monkeypatch.setattr(os, "sendfile", None)
    server = start_server(file_app_for(data_file), ssl_context=make_ssl_context(cert, key))
    client = connect(server, tls_context=ssl.create_default_context(cafile=cert))
    client.send(b"GET / HTTP/1.1\r\n" + HOST + b"\r\n")
    assert client.read_response().body == data_file.read_bytes()
