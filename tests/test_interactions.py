"""Plugins working together over real HTTP: caching + gzip + static files, proxy + url()."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy.testing import reset, serve


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    reset()
    yield
    reset()


def _raw_get(url: str, headers: dict[str, str]) -> requests.Response:
    response = requests.get(url, headers=headers, stream=True, timeout=10)
    response._content = response.raw.read()  # undecoded bytes
    return response


def test_cached_gzipped_static_file_keeps_its_variants(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text("cherry " * 200)

    class Root:
        pass

    conf = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.dir": str(tmp_path),
            "tools.gzip.on": True,
            "tools.gzip.mime_types": ["text/*"],
            "tools.caching.on": True,
        }
    }
    cherrypy.tree.mount(Root(), "", conf)
    with serve() as base:
        url = base + "/static/page.txt"
        first = _raw_get(url, {"Accept-Encoding": "gzip"})
        second = _raw_get(url, {"Accept-Encoding": "gzip"})
        plain = _raw_get(url, {"Accept-Encoding": "identity"})
    assert first.status_code == second.status_code == plain.status_code == 200
    assert first.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.content) == b"cherry " * 200
    assert "Age" in second.headers  # served from the cache
    assert gzip.decompress(second.content) == b"cherry " * 200
    assert "Content-Encoding" not in plain.headers  # the identity variant is not the gzip one
    assert plain.content == b"cherry " * 200


def test_proxy_tool_changes_the_base_of_urls_and_redirects() -> None:
    class Root:
        @cherrypy.expose
        def where(self) -> str:
            return cherrypy.url("/there")

        @cherrypy.expose
        def go(self) -> None:
            raise cherrypy.HTTPRedirect("/there")

    cherrypy.tree.mount(Root(), "", {"/": {"tools.proxy.on": True}})
    headers = {"X-Forwarded-Host": "www.example.com", "X-Forwarded-Proto": "https"}
    with serve() as base:
        where = requests.get(base + "/where", headers=headers, timeout=10)
        go = requests.get(base + "/go", headers=headers, allow_redirects=False, timeout=10)
        direct = requests.get(base + "/where", timeout=10)
    assert where.text == "https://www.example.com/there"
    assert go.status_code == 303
    assert go.headers["Location"] == "https://www.example.com/there"
    assert direct.text == base + "/there"
