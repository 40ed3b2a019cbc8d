"""Fixtures for cherrypy-static tests: a site on disk, apps over real HTTP, raw requests."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cherrypy
from cherrypy.testing import reset, serve

SERVERS = ["wsgiref"] + (["cherrypy"] if importlib.util.find_spec("cherrypy_server") else [])
"""The HTTP servers every test of the security rules runs under."""

ALPHABET = b"abcdefghijklmnopqrstuvwxyz"
BIG_SIZE = 700 * 1024 + 7  # several chunks of bodies.CHUNK_SIZE, and an odd tail


@dataclass
class Reply:
    """One HTTP response as received."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of response header ``name``, or None."""
        return self.headers.get(name)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", "replace")


class Client:
    """Sends requests exactly as written: no normalisation of ``..``, no re-encoding."""

    def __init__(self, base: str) -> None:
        self.base = base
        host, _, port = base.removeprefix("http://").partition(":")
        self.host = host
        self.port = int(port)

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        """Send one request on a fresh connection and read the whole response."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if body:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, **headers: str) -> Reply:
        """GET ``path``; keyword arguments are headers (``If_None_Match`` -> If-None-Match)."""
        return self.request("GET", path, {k.replace("_", "-"): v for k, v in headers.items()})

    def head(self, path: str, **headers: str) -> Reply:
        """HEAD ``path``."""
        return self.request("HEAD", path, {k.replace("_", "-"): v for k, v in headers.items()})

    def raw(self, request_line: str, *header_lines: str) -> bytes:
        """Send a request line byte for byte (HTTP/1.0, odd paths); return the whole reply."""
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            lines = [request_line, f"Host: {self.host}:{self.port}", *header_lines, "", ""]
            sock.sendall("\r\n".join(lines).encode("latin-1"))
            chunks = []
            while data := sock.recv(65536):
                chunks.append(data)
            return b"".join(chunks)


@pytest.fixture(autouse=True)
def clean_cherrypy() -> Iterator[None]:
    """A fresh tree and config around every test.

    ``reset()`` applies the ``test_suite`` environment, whose ``checker.on`` and
    ``log.screen`` settings land on ``cherrypy.checker`` and ``cherrypy.log`` and survive
    ``cherrypy.config.reset()``; they are put back so that later test files see the
    defaults.
    """
    saved = cherrypy.checker.on, cherrypy.log.screen
    reset()
    yield
    reset()
    cherrypy.config.reset()
    cherrypy.checker.on, cherrypy.log.screen = saved


@dataclass
class Site:
    """A directory tree to serve, next to files that must never be served."""

    root: Path
    """The folder holding ``static/``, ``static-private/`` and ``secret.txt``."""
    static: Path
    """The directory the tests serve."""
    big: bytes
    """The content of ``static/big.bin``."""


def _build_site(root: Path) -> Site:
    static = root / "static"
    (static / "css").mkdir(parents=True)
    (static / "sub").mkdir()
    (static / "idx").mkdir()
    (static / "css" / "style.css").write_bytes(b"body { color: red; }\n")
    (static / "alpha.txt").write_bytes(ALPHABET)
    (static / "noext").write_bytes(b"no extension")
    (static / "page.html").write_bytes(b"<p>page</p>")
    (static / "app.js").write_bytes(b"console.log(1);\n")
    (static / "data.custom").write_bytes(b"custom")
    (static / "empty.txt").write_bytes(b"")
    (static / "a b.txt").write_bytes(b"with a space")
    (static / "100%.txt").write_bytes(b"percent")
    (static / "na\u00efve.txt").write_bytes(b"unicode name")
    (static / "sub" / "deep.txt").write_bytes(b"deep")
    (static / "idx" / "index.html").write_bytes(b"<p>index</p>")
    big = bytes(range(256)) * (BIG_SIZE // 256) + b"tail!!!"
    assert len(big) == BIG_SIZE
    (static / "big.bin").write_bytes(big)
    private = root / "static-private"
    private.mkdir()
    (private / "secret.txt").write_bytes(b"sibling secret")
    (root / "secret.txt").write_bytes(b"parent secret")
    os.symlink(static / "alpha.txt", static / "link_in.txt")
    os.symlink(static / "sub", static / "linkdir_in")
    os.symlink(private / "secret.txt", static / "link_out.txt")
    os.symlink(private, static / "linkdir_out")
    os.symlink("../secret.txt", static / "link_up.txt")
    return Site(root=root, static=static, big=big)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """The tree described by :class:`Site`, in a temporary folder."""
    return _build_site(tmp_path / "site")


class Page:
    """A page handler, for the dynamic parts of test apps."""

    @cherrypy.expose
    def index(self) -> str:
        return "dynamic index"


@pytest.fixture
def mount(site: Site) -> Callable[..., Any]:
    """``mount(config, root=None)``: mount ``root`` (default :class:`Page`) at ``/``."""

    def mount_app(config: dict[str, Any], root: Any = None) -> Any:
        return cherrypy.tree.mount(root if root is not None else Page(), "/", config)

    return mount_app


@contextlib.contextmanager
def serve_tree(server: str) -> Iterator[str]:
    """Serve ``cherrypy.tree`` with ``server`` ("wsgiref" or "cherrypy"); yield the base URL."""
    if server == "cherrypy":
        from cherrypy_server import HTTPServer

        httpd = HTTPServer(("127.0.0.1", 0), cherrypy.tree, 4, timeout=5, shutdown_timeout=2)
        httpd.start_in_thread()
        try:
            yield f"http://127.0.0.1:{httpd.bound_addr[1]}"
        finally:
            httpd.stop()
    else:
        with serve(server=server) as base:
            yield base


@pytest.fixture(params=SERVERS)
def client(request: pytest.FixtureRequest) -> Iterator[Client]:
    """A :class:`Client` for ``cherrypy.tree`` served by each available HTTP server."""
    with serve_tree(request.param) as base:
        yield Client(base)


@pytest.fixture
def web() -> Iterator[Client]:
    """A :class:`Client` for ``cherrypy.tree`` on the default server (cherrypy-server when
    installed, else wsgiref)."""
    with serve_tree(SERVERS[-1]) as base:
        yield Client(base)


@pytest.fixture
def mount_static(site: Site) -> Callable[..., Any]:
    """``mount_static(app_root=None, **options)``: serve ``site.static`` at ``/static`` (page handlers at
    ``/``) with extra ``tools.staticdir`` options; returns the application."""

    def mount_app(app_root: Any = None, **options: Any) -> Any:
        section = {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.static)}
        section.update({f"tools.staticdir.{key}": value for key, value in options.items()})
        root = app_root if app_root is not None else Page()
        return cherrypy.tree.mount(root, "/", {"/": {}, "/static": section})

    return mount_app
