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


def test_the_request_and_response_proxies_follow_the_thread(cpsite):
    from cherrypy.kernel.context import RequestProxy, ResponseProxy
    from cherrypy.kernel.request import Request
    from cherrypy.kernel.response import Response

    assert isinstance(cherrypy.request, RequestProxy)
    assert isinstance(cherrypy.response, ResponseProxy)
    assert isinstance(cherrypy.request, ThreadLocalProxy)
    assert cherrypy.request.__attrname__ == "request"
    assert cherrypy.response.__attrname__ == "response"
    saved = serving.__dict__.copy()
    try:
        serving.clear()
        # no request served: the idle defaults, made on first use
        assert isinstance(cherrypy.request.app, type(None))
        assert isinstance(serving.request, Request)
        mine, yours = Response(), Response()
        serving.response = mine
        cherrypy.response.status = 201
        assert mine.status == 201
        seen = {}

        def other() -> None:
            serving.response = yours
            seen["status"] = cherrypy.response.status

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert seen["status"] is None  # that thread's own response
        assert cherrypy.response.status == 201
        with pytest.raises(AttributeError):
            cherrypy.response.no_such_attribute  # noqa: B018
    finally:
        serving.__dict__.clear()
        serving.__dict__.update(saved)
