"""A cached response carries the id of the request it answers, not of the one that filled
the cache (``X-Request-ID``, echoed once metrics, tracing or JSON logs are on)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

import cherrypy
from cherrypy.plugin import want_request_id_header


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "cached"


@pytest.fixture
def ids_echoed() -> Iterator[None]:
    want_request_id_header("test")
    yield
    want_request_id_header("test", wanted=False)


def test_a_cache_hit_carries_its_own_request_id(
    serve_root: Callable[..., str], ids_echoed: None
) -> None:
    base = serve_root(Root(), {"/": {"tools.caching.on": True}})
    first = requests.get(base + "/", timeout=10)
    second = requests.get(base + "/", timeout=10)
    third = requests.get(base + "/", headers={"X-Request-ID": "client-7"}, timeout=10)
    assert "Age" in second.headers  # served from the cache
    assert second.text == third.text == "cached"
    ids = [reply.headers["X-Request-ID"] for reply in (first, second, third)]
    assert ids[0] != ids[1]
    assert ids[2] == "client-7"
