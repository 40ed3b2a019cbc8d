"""Behaviour kept by the per-request fast paths: the dispatcher's walk cache when handlers are
bound methods, and iterating the WSGI response of the kernel."""

from __future__ import annotations

import cherrypy
from cherrypy.kernel import dispatch
from cherrypy.kernel.wsgi import AppResponse


class Root:
    @cherrypy.expose
    def index(self):
        return str(cherrypy.request.config.get("my.key"))

    @cherrypy.expose
    def other(self):
        return "other"


def test_walk_cache_sees_config_set_on_a_handler_after_it_was_cached(wsgi):
    root = Root()
    cherrypy.tree.mount(root)
    try:
        assert wsgi.get("/").text == "None"
        assert wsgi.get("/").text == "None"  # served from the walk cache
        Root.index._cp_config = {"my.key": "set later"}
        assert wsgi.get("/").text == "set later"
        del Root.index._cp_config
        assert wsgi.get("/").text == "None"
    finally:
        Root.index.__dict__.pop("_cp_config", None)


def test_walk_cache_sees_a_handler_replaced_on_the_instance(wsgi):
    root = Root()
    cherrypy.tree.mount(root)
    assert wsgi.get("/").text == "None"
    assert wsgi.get("/").text == "None"
    root.index = root.other
    assert wsgi.get("/").text == "other"


def test_plain_owners_keeps_reads_equivalent():
    root = Root()
    method = root.index
    reads = [(root, "index", method), (method, "_cp_config", None), (method, "__func__", 1)]
    plain = dispatch._plain_owners(reads)
    assert plain[0] == (root, "index", method)
    # An attribute the method does not define is read from its function instead.
    assert plain[1] == (Root.index, "_cp_config", None)
    # One the method type defines itself stays on the method.
    assert plain[2][0] is method
    for (owner, attr, _), (orig_owner, _, _) in zip(plain, reads, strict=True):
        assert getattr(owner, attr, None) == getattr(orig_owner, attr, None)


class Pages:
    @cherrypy.expose
    def index(self):
        return "hello"

    @cherrypy.expose
    def stream(self):
        def parts():
            yield b"a"
            yield b"b"

        return parts()

    stream._cp_config = {"response.stream": True}


def test_iterating_the_response_yields_the_body(wsgi):
    cherrypy.tree.mount(Pages())
    assert wsgi.get("/").body == b"hello"
    assert wsgi.get("/stream").body == b"ab"


def test_a_response_class_overriding_next_is_still_used(wsgi):
    class Upper(AppResponse):
        def __next__(self):
            return super().__next__().upper()

    app = cherrypy.tree.mount(Pages())
    app.wsgiapp.namespace_handler("response_class", Upper)
    assert wsgi.get("/").body == b"HELLO"
    assert wsgi.get("/stream").body == b"AB"
