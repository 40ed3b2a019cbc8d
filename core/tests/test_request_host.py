"""The Host header's syntax is validated (RFC 9112 §3.2, RFC 3986's host and port): 400 otherwise,
so a hostile value never reaches ``request.base``, redirects or cache keys."""

from __future__ import annotations

import pytest

import cherrypy
from cherrypy.kernel.request import valid_host


class Root:
    @cherrypy.expose
    def index(self):
        return cherrypy.request.base

    @cherrypy.expose
    def away(self):
        raise cherrypy.HTTPRedirect("/index")


@pytest.mark.parametrize(
    "host",
    ["example.com", "example.com:8080", "127.0.0.1:80", "[::1]", "[::1]:8080", "xn--bcher-kva.ch",
     "a-b.c_d~e", "%41bc", "", "[v1.fe:80]"],
)  # fmt: skip
def test_valid_hosts(host: str) -> None:
    assert valid_host(host)


@pytest.mark.parametrize(
    "host",
    ["evil.com/x?", "evil.com/x", "a b", "user@evil.com", "evil.com#x", "evil.com:80x",
     "[::1", "[::1]x", "[zz::1]", "[fe80::1%eth0]", "a:b:c", "evil.com\\x", "<script>"],
)  # fmt: skip
def test_invalid_hosts(host: str) -> None:
    assert not valid_host(host)


def test_a_malformed_host_is_a_400_and_never_reflected(wsgi) -> None:
    cherrypy.tree.mount(Root())
    res = wsgi.get("/away", headers={"Host": "evil.com/x?"})
    assert res.status.startswith("400")
    assert "evil.com" not in res.headers.get("location", "")
    assert b"evil.com/x" not in res.body
    good = wsgi.get("/", headers={"Host": "www.example.com:8080"})
    assert (good.status, good.body) == ("200 OK", b"http://www.example.com:8080")
    moved = wsgi.get("/away", headers={"Host": "www.example.com"})
    assert moved.headers["location"] == "http://www.example.com/index"


def test_over_http_a_malformed_host_is_refused(cpsite) -> None:
    import socket
    from urllib.parse import urlsplit

    from cherrypy.testing import serve

    cherrypy.tree.mount(Root())
    with serve() as base:
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.sendall(b"GET /away HTTP/1.1\r\nHost: evil.com/x?\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"evil.com" not in head
