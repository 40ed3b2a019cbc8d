"""Compressed request bodies under tools.gzip.inflate: inflated with a bound, refused when
unsupported; left alone without it."""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable

import pytest
import requests

import cherrypy


class Echo:
    @cherrypy.expose
    def index(self) -> bytes:
        return cherrypy.request.body.read()

    @cherrypy.expose
    def form(self, **params: str) -> str:
        return repr(sorted(params.items()))

    @cherrypy.expose
    def header(self) -> str:
        return repr(cherrypy.request.headers.get("Content-Encoding"))


def gzip_conf(**options: object) -> dict[str, dict[str, object]]:
    conf: dict[str, object] = {"tools.gzip.on": True, "tools.gzip.inflate": True}
    conf.update({f"tools.gzip.{key}": value for key, value in options.items()})
    return {"/": conf}


def post(
    base: str, path: str, data: bytes, coding: str | None, **headers: str
) -> requests.Response:
    sent = {"Content-Type": "application/octet-stream", "Accept-Encoding": "identity"}
    if coding is not None:
        sent["Content-Encoding"] = coding
    sent.update(headers)
    return requests.post(base + path, data=data, headers=sent, timeout=30)


PAYLOAD = b"The quick brown fox jumps over the lazy dog. " * 100


@pytest.mark.parametrize(
    ("coding", "compressed"),
    [
        ("gzip", gzip.compress(PAYLOAD)),
        ("x-gzip", gzip.compress(PAYLOAD)),
        ("GZip", gzip.compress(PAYLOAD)),
        ("deflate", zlib.compress(PAYLOAD)),
        ("deflate", zlib.compress(PAYLOAD)[2:-4]),  # raw deflate, as some clients send it
        ("gzip", gzip.compress(PAYLOAD[:1000]) + gzip.compress(PAYLOAD[1000:])),  # 2 members
        ("identity", PAYLOAD),
        ("identity, gzip", gzip.compress(PAYLOAD)),
    ],
)
def test_compressed_bodies_are_inflated(
    serve_root: Callable[..., str], coding: str, compressed: bytes
) -> None:
    base = serve_root(Echo(), gzip_conf())
    response = post(base, "/", compressed, coding)
    assert response.status_code == 200
    assert response.content == PAYLOAD


def test_content_encoding_is_removed_once_inflated(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), gzip_conf())
    assert post(base, "/header", gzip.compress(b"abc"), "gzip").text == "None"


def test_inflated_form_bodies_are_parsed(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), gzip_conf())
    body = gzip.compress(b"name=caf%C3%A9&n=1")
    response = post(
        base, "/form", body, "gzip", **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    assert response.text == repr([("n", "1"), ("name", "café")])


def test_empty_compressed_body_stays_empty(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), gzip_conf())
    response = post(base, "/", b"", "gzip")
    assert response.status_code == 200
    assert response.content == b""


def test_zip_bomb_is_refused_without_inflating_it(serve_root: Callable[..., str]) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MiB -> ~200 KiB
    assert len(bomb) < 300 * 1024
    base = serve_root(Echo(), gzip_conf(max_inflated_size=1024 * 1024, max_inflate_ratio=None))
    started = time.perf_counter()
    response = post(base, "/", bomb, "gzip")
    assert response.status_code == 413
    assert b"1048576" in response.content
    assert time.perf_counter() - started < 5  # stopped early, not after inflating 200 MiB


def test_default_bound_is_16_mib(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), gzip_conf(max_inflate_ratio=None))
    at_limit = gzip.compress(b"a" * (16 * 1024 * 1024))
    assert post(base, "/", at_limit, "gzip").status_code == 200
    over = gzip.compress(b"a" * (16 * 1024 * 1024 + 1))
    assert post(base, "/", over, "gzip").status_code == 413


def test_request_body_maxbytes_applies_to_the_inflated_size(serve_root: Callable[..., str]) -> None:
    conf = gzip_conf()
    conf["/"]["request.body.maxbytes"] = 1000
    base = serve_root(Echo(), conf)
    assert post(base, "/", gzip.compress(b"a" * 1000), "gzip").status_code == 200
    assert post(base, "/", gzip.compress(b"a" * 1001), "gzip").status_code == 413


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", b"this is not gzip at all"),
        ("gzip", gzip.compress(PAYLOAD)[:-12]),  # truncated
        ("gzip", gzip.compress(PAYLOAD) + b"garbage after the member"),
        ("deflate", b"\x78\x9c not zlib"),
    ],
)
def test_malformed_compressed_bodies_give_400(
    serve_root: Callable[..., str], coding: str, body: bytes
) -> None:
    base = serve_root(Echo(), gzip_conf())
    response = post(base, "/", body, coding)
    assert response.status_code == 400
    assert b"not valid" in response.content


@pytest.mark.parametrize("coding", ["br", "compress", "zstd", "gzip, gzip", "gzip, br"])
def test_unsupported_codings_give_415(serve_root: Callable[..., str], coding: str) -> None:
    base = serve_root(Echo(), gzip_conf())
    response = post(base, "/", b"whatever", coding)
    assert response.status_code == 415
    assert response.headers["Accept-Encoding"] == "gzip, deflate"


def test_inflate_false_passes_compressed_bodies_through(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), gzip_conf(inflate=False))
    compressed = gzip.compress(PAYLOAD)
    response = post(base, "/", compressed, "gzip")
    assert response.status_code == 200
    assert response.content == compressed
    assert post(base, "/header", compressed, "gzip").text == "'gzip'"
    assert post(base, "/", PAYLOAD, None).content == PAYLOAD


def test_paths_without_the_tool_pass_bodies_through(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo())
    compressed = gzip.compress(PAYLOAD)
    response = post(base, "/", compressed, "gzip")
    assert response.status_code == 200
    assert response.content == compressed  # CherryPy's behaviour: the handler decides


def test_get_without_body_ignores_content_encoding(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), gzip_conf())
    response = requests.get(base + "/header", headers={"Content-Encoding": "br"}, timeout=10)
    assert response.status_code == 200


def test_chunked_compressed_body(
    wsgi_call: Callable[..., tuple[str, dict[str, str], bytes]],
) -> None:
    cherrypy.tree.mount(Echo(), "", gzip_conf(max_inflated_size=len(PAYLOAD)))
    headers = {"Transfer-Encoding": "chunked", "Content-Encoding": "gzip"}
    status, _, body = wsgi_call("POST", "/", gzip.compress(PAYLOAD), headers)
    assert status.startswith("200")
    assert body == PAYLOAD
    status, _, _ = wsgi_call("POST", "/", gzip.compress(PAYLOAD + b"!"), headers)
    assert status.startswith("413")
