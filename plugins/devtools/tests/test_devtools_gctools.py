"""cherrypy.lib.gctools: GCRoot, ReferrerTree and RequestCounter."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

import cherrypy
from cherrypy.kernel.request import Request
from cherrypy.lib import gctools


@pytest.fixture(autouse=True)
def forget_counter() -> Iterator[None]:
    """Leave no gctools listener on the engine after a test."""
    yield
    gctools._lazy.forget()


def test_stats_page_reports_no_leaks(serve_root: Callable[..., str]) -> None:
    base = serve_root(gctools.GCRoot())
    assert requests.get(base + "/").text == "Hello, world!"
    reply = requests.get(base + "/stats")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.text.startswith("Statistics:")
    assert "Expected" not in reply.text
    assert "Not all requests closed properly" not in reply.text


def test_stats_page_shows_a_leaked_request(serve_root: Callable[..., str]) -> None:
    leaked: list[Request] = []

    class Leaky(gctools.GCRoot):
        @cherrypy.expose
        def leak(self) -> str:
            leaked.append(cherrypy.serving.request)
            return "leaked"

    base = serve_root(Leaky())
    assert requests.get(base + "/leak").text == "leaked"
    text = requests.get(base + "/stats").text
    assert "Expected 1 <class 'cherrypy.kernel.request.Request'> references, got 2." in text
    assert "Referrers for" in text
    assert "    [<cherrypy.kernel.req" in text  # the list holding the leaked request
    leaked.clear()


def test_referrer_tree() -> None:
    class Thing:
        pass

    target = Thing()
    holder = {"key": target}
    tree = gctools.ReferrerTree(maxdepth=1)
    branches = tree.ascend(target)
    assert any(parent is holder for parent, _ in branches)
    lines = tree.format(branches)
    assert any(line.startswith("    {'key': <") and line.endswith(">}") for line in lines)
    assert tree.peek("x" * 100) == "x" * 20 + "..." + "x" * 20


def test_request_counter_counts_requests_in_flight(serve_root: Callable[..., str]) -> None:
    counter = gctools.RequestCounter(cherrypy.engine)
    counter.subscribe()
    seen: list[int] = []

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            seen.append(counter.count)
            return "ok"

    def settled() -> None:
        # The server closes the request (after_request) just after the client has the
        # response: wait for that before the next request and before looking at the count.
        deadline = time.monotonic() + 5
        while counter.count and time.monotonic() < deadline:
            time.sleep(0.01)

    try:
        base = serve_root(Root())
        requests.get(base + "/")
        settled()
        requests.get(base + "/")
        settled()
    finally:
        counter.unsubscribe()
    assert seen == [1, 1]
    assert counter.count == 0


def test_module_counter_is_created_and_subscribed_lazily(
    serve_root: Callable[..., str],
) -> None:
    counter = gctools.request_counter
    assert gctools.request_counter is counter
    assert counter.before_request in cherrypy.engine.listeners["before_request"]
    seen: list[int] = []

    class Root(gctools.GCRoot):
        @cherrypy.expose
        def count(self) -> str:
            seen.append(counter.count)
            return "ok"

    requests.get(serve_root(Root()) + "/count")
    assert seen == [1]
    assert isinstance(gctools.request_counter, gctools.RequestCounter)
    assert gctools.get_instances(gctools.RequestCounter)
