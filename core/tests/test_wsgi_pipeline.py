"""The compiled request pipeline and the WSGI middleware pipeline, through WSGI."""

from __future__ import annotations

import threading

import pytest

import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return "hi"

    @cherrypy.expose
    def default(self, *args):
        return "default"

    @cherrypy.expose
    def setting(self):
        return str(cherrypy.request.config.get("my.setting"))


def test_second_request_to_a_path_compiles_nothing(wsgi):
    from cherrypy.kernel import pipeline

    cherrypy.tree.mount(Root())
    wsgi.get("/")
    before = pipeline.stats()
    for _ in range(3):
        assert wsgi.get("/").text == "hi"
    after = pipeline.stats()
    assert after["compiles"] == before["compiles"]
    assert after["misses"] == before["misses"]
    assert after["hits"] == before["hits"] + 3


def test_paths_with_the_same_config_share_a_pipeline(wsgi):
    from cherrypy.kernel import pipeline

    cherrypy.tree.mount(Root())
    wsgi.get("/a")
    before = pipeline.stats()
    wsgi.get("/b")
    wsgi.get("/c/d")
    assert pipeline.stats()["compiles"] == before["compiles"]


def test_config_changes_invalidate_compiled_pipelines(wsgi):
    from cherrypy.kernel import pipeline

    app = cherrypy.tree.mount(Root())
    assert wsgi.get("/setting").text == "None"
    compiles = pipeline.stats()["compiles"]
    cherrypy.config.update({"my.setting": "global"})
    assert wsgi.get("/setting").text == "global"
    assert pipeline.stats()["compiles"] == compiles + 1
    app.merge({"/setting": {"my.setting": "app"}})
    assert wsgi.get("/setting").text == "app"
    assert pipeline.stats()["compiles"] == compiles + 2


def test_tool_changes_invalidate_compiled_pipelines(wsgi):
    cherrypy.tree.mount(Root(), "", {"/": {"tools.stamp.on": True}})

    def stamp_a():
        cherrypy.response.headers["X-Stamp"] = "a"

    def stamp_b():
        cherrypy.response.headers["X-Stamp"] = "b"

    cherrypy.tools.stamp = cherrypy.Tool("before_finalize", stamp_a)
    assert wsgi.get("/").headers["x-stamp"] == "a"
    cherrypy.tools.stamp = cherrypy.Tool("before_finalize", stamp_b)
    assert wsgi.get("/").headers["x-stamp"] == "b"


def test_tool_reading_the_request_in_setup_runs_per_request(wsgi):
    seen = []

    def hook():
        seen.append(("hook", cherrypy.request.path_info))

    class PathTool(cherrypy.Tool):
        def _setup(self):
            path = cherrypy.request.path_info
            seen.append(("setup", path))
            if path != "/skip":
                cherrypy.request.hooks.attach("before_handler", hook)

    cherrypy.tools.pathtool = PathTool("before_handler", hook)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.pathtool.on": True}})
    for path in ("/", "/", "/a", "/skip"):
        wsgi.get(path)
    assert seen == [
        ("setup", "/"),
        ("hook", "/"),
        ("setup", "/"),
        ("hook", "/"),
        ("setup", "/a"),
        ("hook", "/a"),
        ("setup", "/skip"),
    ]


def test_tool_reading_headers_in_setup_runs_per_request(wsgi):
    class HeaderTool(cherrypy.Tool):
        def _setup(self):
            value = cherrypy.request.headers.get("X-In", "none")
            cherrypy.request.hooks.attach(
                "before_finalize", lambda: cherrypy.response.headers.__setitem__("X-Out", value)
            )

    cherrypy.tools.echo_header = HeaderTool("before_finalize", lambda: None)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.echo_header.on": True}})
    assert wsgi.get("/", headers={"X-In": "one"}).headers["x-out"] == "one"
    assert wsgi.get("/", headers={"X-In": "two"}).headers["x-out"] == "two"
    assert wsgi.get("/").headers["x-out"] == "none"


def test_pipelines_are_consistent_across_threads(wsgi):
    cherrypy.tree.mount(Root())
    results = []

    def worker():
        for _ in range(20):
            results.append(wsgi.get("/").text)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["hi"] * 80


# -- the wsgi namespace ----------------------------------------------------------------------


class TagMiddleware:
    def __init__(self, nextapp, tag="default"):
        self.nextapp = nextapp
        self.tag = tag

    def __call__(self, environ, start_response):
        def tagging_start_response(status, headers, exc_info=None):
            return start_response(status, [*headers, ("X-Tag", self.tag)], exc_info)

        return self.nextapp(environ, tagging_start_response)


def test_wsgi_pipeline_namespace(wsgi):
    cherrypy.tree.mount(
        Root(),
        "/mw",
        {"/": {"wsgi.pipeline": [("tagger", TagMiddleware)], "wsgi.tagger.tag": "hello"}},
    )
    cherrypy.tree.mount(Root(), "/plain")
    assert wsgi.get("/mw/").headers["x-tag"] == "hello"
    assert "x-tag" not in wsgi.get("/plain/").headers


def test_wsgi_pipeline_wraps_internal_redirects_and_errors(wsgi):
    class R:
        @cherrypy.expose
        def index(self):
            raise cherrypy.InternalRedirect("/target")

        @cherrypy.expose
        def target(self):
            return "target"

        @cherrypy.expose
        def boom(self):
            raise ValueError("x")

    cherrypy.tree.mount(R(), "", {"/": {"wsgi.pipeline": [("tagger", TagMiddleware)]}})
    res = wsgi.get("/")
    assert res.text == "target"
    assert res.all("X-Tag") == ["default"]
    res = wsgi.get("/boom")
    assert res.code == 500
    assert res.all("X-Tag") == ["default"]


def test_wsgi_namespace_configures_builtin_middleware(wsgi):
    class R:
        @cherrypy.expose
        def index(self):
            raise cherrypy.InternalRedirect("/")

    cherrypy.tree.mount(R(), "", {"/": {"wsgi.ExceptionTrapper.throws": (RuntimeError,)}})
    with pytest.raises(RuntimeError, match="visited the same URL twice"):
        wsgi.get("/")


def test_thread_data_is_per_thread():
    cherrypy.thread_data.value = "main"
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append(getattr(cherrypy.thread_data, "value", None))
    )
    thread.start()
    thread.join()
    assert seen == [None]
    assert cherrypy.thread_data.value == "main"
    del cherrypy.thread_data.value


def test_toolbox_added_after_the_first_request_is_used(wsgi):
    app = cherrypy.tree.mount(Root(), "", {"/": {"late.stamp.on": True}})
    assert "x-late" not in wsgi.get("/").headers
    box = cherrypy._cptools.Toolbox("late")
    box.stamp = cherrypy.Tool(
        "before_finalize", lambda: cherrypy.response.headers.__setitem__("X-Late", "yes")
    )
    app.toolboxes["late"] = box
    assert wsgi.get("/").headers["x-late"] == "yes"


def test_request_namespace_added_after_the_first_request_is_used(wsgi):
    seen = []
    cherrypy.tree.mount(Root(), "", {"/": {"latens.key": "v"}})
    wsgi.get("/")
    namespaces = cherrypy._cprequest.Request.namespaces
    namespaces["latens"] = lambda key, value: seen.append((key, value))
    try:
        wsgi.get("/")
    finally:
        del namespaces["latens"]
    assert seen == [("key", "v")]
