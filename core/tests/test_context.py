"""``cherrypy.request`` / ``cherrypy.response``: thread-local proxies to the objects of the
request the current thread serves."""

from __future__ import annotations

import threading

import pytest

import cherrypy
from cherrypy.kernel.context import ThreadLocalProxy, serving


class Target:
    value = 1

    def __init__(self) -> None:
        self.items = {"a": 1}

    def __getitem__(self, key):
        return self.items[key]


@pytest.fixture
def target():
    saved = serving.__dict__.copy()
    serving.target = Target()
    try:
        yield serving.target
    finally:
        serving.__dict__.clear()
        serving.__dict__.update(saved)


def test_names_the_proxy_lacks_are_the_targets(target):
    proxy = ThreadLocalProxy("target")
    assert proxy.value == 1 and proxy.items == {"a": 1}
    proxy.value = 2
    assert target.value == 2
    assert proxy["a"] == 1
    with pytest.raises(AttributeError):
        proxy.missing  # noqa: B018
    assert not hasattr(proxy, "missing")


def test_the_proxy_answers_its_own_names(target):
    proxy = ThreadLocalProxy("target")
    assert proxy.__class__ is ThreadLocalProxy
    assert proxy.__attrname__ == "target"
    assert proxy._target() is target
    assert repr(proxy) == repr(target)


def test_a_subclass_answers_its_own_methods(target):
    class Counting(ThreadLocalProxy):
        __slots__ = ()

        def own(self):
            return "own"

    proxy = Counting("target")
    assert proxy.own() == "own"
    assert proxy.value == 1


def test_each_thread_sees_its_own_request(wsgi):
    class Root:
        @cherrypy.expose
        def index(self):
            return cherrypy.request.path_info + " " + cherrypy.request.headers["Host"]

    cherrypy.tree.mount(Root())
    results = []

    def call():
        results.append(wsgi.get("/").body)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [b"/ localhost:8080"] * 4
    assert cherrypy.request.app is None  # the idle default outside a request
