"""tools.gzip over real HTTP: negotiation, media types, thresholds, streaming, every option."""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit

import pytest
import requests

import cherrypy

TEXT = "CherryPy compresses this sentence because it repeats. " * 20  # 1100 bytes


def raw_get(base: str, path: str, headers: dict[str, str]) -> requests.Response:
    """GET without transparent decoding (``requests`` would gunzip the body for us)."""
    response = requests.get(base + path, headers=headers, stream=True, timeout=10)
    response.raw.decode_content = False
    response._content = response.raw.read()  # type: ignore[attr-defined]
    return response


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return TEXT

    @cherrypy.expose
    def typed(self, ct: str = "text/plain") -> bytes:
        cherrypy.response.headers["Content-Type"] = ct
        return TEXT.encode()

    @cherrypy.expose
    def sized(self, n: str) -> str:
        return "x" * int(n)

    @cherrypy.expose
    def empty(self) -> str:
        return ""

    @cherrypy.expose
    def encoded(self) -> bytes:
        cherrypy.response.headers["Content-Encoding"] = "br"
        cherrypy.response.headers["Content-Type"] = "text/plain"
        return b"pretend this is brotli" * 20

    @cherrypy.expose
    def varied(self) -> str:
        cherrypy.response.headers["Vary"] = "Cookie"
        return TEXT

    @cherrypy.expose
    def cached(self) -> str:
        cherrypy.request.cached = True
        return TEXT

    @cherrypy.expose
    def fail(self) -> str:
        raise cherrypy.HTTPError(404, "missing " * 50)


def gzip_conf(**options: object) -> dict[str, dict[str, object]]:
    conf: dict[str, object] = {"tools.gzip.on": True}
    conf.update({f"tools.gzip.{key}": value for key, value in options.items()})
    return {"/": conf}


def test_compresses_when_gzip_is_accepted(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/", {"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert int(response.headers["Content-Length"]) == len(response.content) < len(TEXT)
    assert gzip.decompress(response.content).decode() == TEXT
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"


def test_requests_decodes_transparently(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = requests.get(base + "/", timeout=10)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.text == TEXT


def test_path_without_the_tool_is_not_compressed(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), {"/typed": {"tools.gzip.on": True}})
    response = raw_get(base, "/", {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
    assert "Vary" not in response.headers
    assert response.content.decode() == TEXT


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("GZIP", "gzip"),
        ("deflate, gzip;q=1.0, br", "gzip"),
        ("*", "gzip"),
        ("*;q=0.5", "gzip"),
        ("gzip;q=0.5", "gzip"),
        ("gzip, identity", "gzip"),
        ("identity;q=0.5, gzip", "gzip"),
        ("gzip;q=0.4, identity;q=0.5", "identity"),
        ("gzip;q=0", "identity"),
        ("gzip;q=0, *", "identity"),
        ("identity", "identity"),
        ("br", "identity"),
        ("br, deflate", "identity"),
        ("", "identity"),
        ("identity;q=0", 406),
        ("*;q=0", 406),
        ("gzip;q=0, identity;q=0", 406),
        ("br, identity;q=0", 406),
        ("identity;q=0, gzip", "gzip"),
        ("*;q=0, gzip", "gzip"),
        ("gzip;q=abc", 400),
    ],
)
def test_accept_encoding_negotiation(
    serve_root: Callable[..., str], accept_encoding: str, expected: object
) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/", {"Accept-Encoding": accept_encoding})
    if expected == "gzip":
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.content).decode() == TEXT
    elif expected == "identity":
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
        assert response.content.decode() == TEXT
    else:
        assert response.status_code == expected
        assert "Content-Encoding" not in response.headers


def test_no_accept_encoding_header_means_identity(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"200 OK" in head.split(b"\r\n")[0]
    assert b"content-encoding" not in head.lower()
    assert b"Vary: Accept-Encoding" in head
    assert body.decode() == TEXT


def test_406_names_the_codings_and_varies(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/", {"Accept-Encoding": "identity;q=0"})
    assert response.status_code == 406
    assert b"identity, gzip" in response.content
    assert response.headers["Vary"] == "Accept-Encoding"


def test_406_when_identity_refused_and_type_not_compressible(
    serve_root: Callable[..., str],
) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/typed?ct=image/png", {"Accept-Encoding": "gzip, identity;q=0"})
    assert response.status_code == 406


@pytest.mark.parametrize(
    ("mime_types", "content_type", "compressed"),
    [
        (["text/html", "text/plain"], "text/plain", True),
        (["text/html", "text/plain"], "text/css", False),
        (["text/html", "text/plain"], "application/json", False),
        (["text/*"], "text/css", True),
        (["text/*"], "application/javascript", False),
        (["application/*+json"], "application/ld+json", True),
        (["application/*+json"], "application/vnd.api+json;charset=utf-8", True),
        (["application/*+json"], "application/json", False),
        (["application/*+json"], "application/ld+xml", False),
        (["application/*+json"], "text/x+json", False),
        (["*/*"], "image/svg+xml", True),
        (["application/json"], "Application/JSON", True),
        ("application/json", "application/json", True),
        ([], "text/html", False),
    ],
)
def test_mime_types(
    serve_root: Callable[..., str], mime_types: object, content_type: str, compressed: bool
) -> None:
    base = serve_root(Root(), gzip_conf(mime_types=mime_types))
    response = raw_get(base, f"/typed?ct={quote(content_type)}", {"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert (response.headers.get("Content-Encoding") == "gzip") is compressed
    body = gzip.decompress(response.content) if compressed else response.content
    assert body.decode() == TEXT


def test_compress_level(serve_root: Callable[..., str]) -> None:
    sizes = {}
    for level in (1, 9):
        cherrypy.tree.apps.clear()
        base = serve_root(Root(), gzip_conf(compress_level=level))
        response = raw_get(base, "/", {"Accept-Encoding": "gzip"})
        assert gzip.decompress(response.content).decode() == TEXT
        # RFC 1952 XFL byte: 4 for the fastest algorithm, 2 for maximum compression.
        assert response.content[8] == (4 if level == 1 else 2)
        sizes[level] = len(response.content)
    assert sizes[9] <= sizes[1]


def test_small_bodies_are_compressed_by_default_as_in_cherrypy(
    serve_root: Callable[..., str],
) -> None:
    base = serve_root(Root(), gzip_conf())
    tiny = raw_get(base, "/sized?n=12", {"Accept-Encoding": "gzip"})
    assert tiny.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(tiny.content) == b"x" * 12


def test_small_bodies_are_left_alone_with_min_size(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf(min_size=200))
    small = raw_get(base, "/sized?n=199", {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
    assert small.headers["Vary"] == "Accept-Encoding"
    assert small.content == b"x" * 199
    big = raw_get(base, "/sized?n=200", {"Accept-Encoding": "gzip"})
    assert big.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(big.content) == b"x" * 200


@pytest.mark.parametrize(
    ("min_size", "n", "compressed"), [(0, 1, True), (50, 49, False), (50, 50, True)]
)
def test_min_size_option(
    serve_root: Callable[..., str], min_size: int, n: int, compressed: bool
) -> None:
    base = serve_root(Root(), gzip_conf(min_size=min_size))
    response = raw_get(base, f"/sized?n={n}", {"Accept-Encoding": "gzip"})
    assert (response.headers.get("Content-Encoding") == "gzip") is compressed


def test_small_body_is_compressed_when_identity_is_refused(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/sized?n=5", {"Accept-Encoding": "gzip, identity;q=0"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == b"xxxxx"


def test_no_double_compression(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/encoded", {"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "br"
    assert response.content == b"pretend this is brotli" * 20


def test_cached_responses_are_not_compressed_again(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/cached", {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.content.decode() == TEXT


def test_empty_body_is_left_alone(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/empty", {"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.content == b""


def test_vary_is_merged_with_existing_values(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/varied", {"Accept-Encoding": "gzip"})
    assert response.headers["Vary"] == "Cookie, Accept-Encoding"


def test_error_pages_are_compressed_too(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    response = raw_get(base, "/fail", {"Accept-Encoding": "gzip"})
    assert response.status_code == 404
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"missing missing" in gzip.decompress(response.content)


def test_head_gets_the_headers_of_the_compressed_get(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), gzip_conf())
    get = raw_get(base, "/", {"Accept-Encoding": "gzip"})
    head = requests.head(base + "/", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert head.status_code == 200
    assert head.headers["Content-Encoding"] == "gzip"
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.content == b""


def test_decorator_options(serve_root: Callable[..., str]) -> None:
    class Decorated:
        @cherrypy.expose
        @cherrypy.tools.gzip(mime_types=["application/json"], compress_level=9, min_size=0)
        def data(self) -> bytes:
            cherrypy.response.headers["Content-Type"] = "application/json"
            return b'{"a": 1}'

    base = serve_root(Decorated())
    response = raw_get(base, "/data", {"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == b'{"a": 1}'


def test_debug_option_logs_decisions(serve_root: Callable[..., str], error_log: list[str]) -> None:
    base = serve_root(Root(), gzip_conf(debug=True))
    raw_get(base, "/", {"Accept-Encoding": "gzip"})
    raw_get(base, "/typed?ct=image/png", {"Accept-Encoding": "gzip"})
    assert any("Gzipping" in message for message in error_log)
    assert any("not in mime_types" in message for message in error_log)


class Streamer:
    def __init__(self) -> None:
        self.first_chunk_seen = threading.Event()
        self.finished = threading.Event()

    @cherrypy.expose
    def index(self) -> Iterator[bytes]:
        def generate() -> Iterator[bytes]:
            yield b"first chunk of the stream;"
            # The client must be able to read the first chunk before the second exists.
            if not self.first_chunk_seen.wait(10):
                yield b"TIMED OUT"
                return
            yield b"second chunk"
            self.finished.set()

        return generate()


def test_streaming_bodies_are_compressed_incrementally(serve_root: Callable[..., str]) -> None:
    streamer = Streamer()
    conf = {"/": {"tools.gzip.on": True, "response.stream": True}}
    base = serve_root(streamer, conf)
    response = requests.get(
        base + "/", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=20
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in response.headers
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    received = b""
    while b"first chunk of the stream;" not in received:
        piece = response.raw.read(1, decode_content=False)
        assert piece, "stream ended before the first chunk arrived"
        received += inflater.decompress(piece)
    streamer.first_chunk_seen.set()
    rest = response.raw.read(decode_content=False)
    received += inflater.decompress(rest) + inflater.flush()
    assert inflater.eof
    assert received == b"first chunk of the stream;second chunk"
    assert streamer.finished.wait(5)


def test_streaming_with_known_small_length_is_left_alone(serve_root: Callable[..., str]) -> None:
    class Small:
        @cherrypy.expose
        def index(self) -> Iterator[bytes]:
            cherrypy.response.headers["Content-Length"] = "5"
            return iter([b"hel", b"lo"])

    conf = {"tools.gzip.on": True, "tools.gzip.min_size": 200, "response.stream": True}
    base = serve_root(Small(), {"/": conf})
    response = raw_get(base, "/", {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.content == b"hello"


def test_a_stream_failing_before_its_first_chunk_is_a_plain_500(
    serve_root: Callable[..., str],
) -> None:
    # Nothing is sent before the handler's first chunk (not even the gzip header), so an
    # error raised before it still gets an uncompressed 500 page.  CherryPy 18 sends the gzip
    # header first and can only cut the connection.
    class Failing:
        @cherrypy.expose
        def index(self) -> Iterator[str]:
            raise IndexError("before the first chunk")
            yield "never"

    conf = {"/": {"tools.gzip.on": True, "response.stream": True}}
    base = serve_root(Failing(), conf)
    response = raw_get(base, "/", {"Accept-Encoding": "gzip"})
    assert response.status_code == 500
    assert "Content-Encoding" not in response.headers
    assert b"IndexError" in response.content
