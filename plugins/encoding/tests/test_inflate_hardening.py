"""Inflating request bodies is opt-in and bounded by size and ratio, on inflated bytes (issue 20).

Without ``tools.gzip.inflate`` a compressed body reaches the handler as it was sent (as in
CherryPy).  With it, a small "zip bomb" gets 413 whichever parser reads it, and the inflated
size counts against ``max_inflated_size``, ``request.body.maxbytes`` and
``server.max_request_body_size``.
"""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import requests

import cherrypy

MIB = 1024 * 1024
BOUNDARY = "zb"


class Echo:
    @cherrypy.expose
    def index(self) -> bytes:
        return cherrypy.request.body.read()

    @cherrypy.expose
    def form(self, **params: Any) -> str:
        return str(len(params))

    @cherrypy.expose
    @cherrypy.tools.json_in()
    def json(self) -> str:
        return type(cherrypy.request.json).__name__

    @cherrypy.expose
    def header(self) -> str:
        return repr(cherrypy.request.headers.get("Content-Encoding"))


def conf(**options: Any) -> dict[str, dict[str, Any]]:
    settings: dict[str, Any] = {"tools.gzip.on": True}
    settings.update({f"tools.gzip.{key}": value for key, value in options.items()})
    return {"/": settings}


def post(
    base: str,
    path: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    coding: str = "gzip",
) -> requests.Response:
    headers = {"Content-Type": content_type, "Content-Encoding": coding}
    headers["Accept-Encoding"] = "identity"
    return requests.post(base + path, data=data, headers=headers, timeout=60)


_WORDS = b"the a body request parser limit gzip ratio text json form part bytes of to and".split()
_RANDOM = random.Random(20)
TEXT = b" ".join(_RANDOM.choice(_WORDS) for _ in range(40_000))  # compresses about 4 times


def test_request_bodies_are_not_inflated_by_default(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), conf())
    compressed = gzip.compress(TEXT)
    response = post(base, "/", compressed)
    assert response.status_code == 200
    assert response.content == compressed
    assert post(base, "/header", compressed).text == "'gzip'"
    assert post(base, "/", compressed[:10] + b"br junk").status_code == 200  # not even looked at


def test_inflate_is_opt_in_per_path(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), {**conf(), "/header": {"tools.gzip.inflate": True}})
    assert post(base, "/header", gzip.compress(b"x")).text == "None"
    assert post(base, "/", gzip.compress(b"x")).content == gzip.compress(b"x")


def test_ordinary_bodies_inflate_within_the_ratio(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), conf(inflate=True))
    assert post(base, "/", gzip.compress(TEXT)).content == TEXT
    assert post(base, "/", zlib.compress(TEXT), coding="deflate").content == TEXT
    small_but_compressible = gzip.compress(b"\0" * 60_000)  # ratio ~600, under the 64 KiB allowance
    assert post(base, "/", small_but_compressible).content == b"\0" * 60_000


@pytest.mark.parametrize(
    ("path", "content_type", "unit"),
    [
        ("/", "application/octet-stream", b"\0"),
        ("/form", "application/x-www-form-urlencoded", b"&"),
        ("/form", "application/x-www-form-urlencoded", b"a=&"),
        ("/form", f"multipart/form-data; boundary={BOUNDARY}", b"\n"),
        ("/json", "application/json", b"["),
    ],
    ids=["raw", "amps", "fields", "preamble", "json"],
)
def test_a_bomb_gets_413_whichever_parser_reads_it(
    serve_root: Callable[..., str], path: str, content_type: str, unit: bytes
) -> None:
    base = serve_root(Echo(), conf(inflate=True))
    bomb = gzip.compress(unit * (64 * MIB // len(unit)), 9)
    assert len(bomb) < 200 * 1024
    response = post(base, path, bomb, content_type)
    assert response.status_code == 413
    assert "100 times" in response.text


def test_without_the_ratio_the_size_bounds_still_hold(serve_root: Callable[..., str]) -> None:
    base = serve_root(Echo(), conf(inflate=True, max_inflate_ratio=None, max_inflated_size=MIB))
    assert post(base, "/", gzip.compress(b"\0" * MIB)).status_code == 200
    response = post(base, "/", gzip.compress(b"\0" * (MIB + 1)))
    assert response.status_code == 413
    assert str(MIB) in response.text
    # A bomb of separators within the bound is parsed, and answered correctly.
    amps = gzip.compress(b"&" * (MIB - 3) + b"a=1")
    response = post(base, "/form", amps, "application/x-www-form-urlencoded")
    assert (response.status_code, response.text) == (200, "1")


def test_request_body_maxbytes_counts_inflated_bytes(serve_root: Callable[..., str]) -> None:
    settings = conf(inflate=True)
    settings["/"]["request.body.maxbytes"] = 5000
    base = serve_root(Echo(), settings)
    assert post(base, "/", gzip.compress(b"a" * 5000)).status_code == 200
    assert post(base, "/", gzip.compress(b"a" * 5001)).status_code == 413


def test_the_server_body_limit_counts_inflated_bytes(
    serve_root: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cherrypy.server, "max_request_body_size", 10_000)
    base = serve_root(Echo(), conf(inflate=True))
    assert post(base, "/", gzip.compress(b"a" * 10_000)).status_code == 200
    response = post(base, "/", gzip.compress(b"a" * 10_001))
    assert response.status_code == 413
    assert "10000" in response.text


def test_unsupported_codings_are_refused_only_when_inflating(
    serve_root: Callable[..., str],
) -> None:
    base = serve_root(Echo(), conf(inflate=True))
    response = requests.post(base + "/", data=b"x", headers={"Content-Encoding": "br"}, timeout=10)
    assert response.status_code == 415
    assert response.headers["Accept-Encoding"] == "gzip, deflate"


def test_config_declares_the_new_options() -> None:
    import inspect

    from cherrypy_encoding.inflate import DEFAULT_MAX_INFLATE_RATIO, inflate_request_body

    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(inflate_request_body).parameters.items()
    }
    assert defaults == {
        "inflate": False,
        "max_inflated_size": 16 * MIB,
        "max_inflate_ratio": DEFAULT_MAX_INFLATE_RATIO,
    }
    assert DEFAULT_MAX_INFLATE_RATIO == 100
