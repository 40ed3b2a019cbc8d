"""MethodDispatcher over real HTTP: verbs, HEAD, Allow, 405, per-method config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

import cherrypy
from cherrypy_dispatchers import MethodDispatcher, allowed_methods, clear_method_cache

METHOD_CONF = {"/": {"request.dispatch": cherrypy.dispatch.MethodDispatcher()}}


class Item:
    exposed = True

    def GET(self, *vpath: str, **params: str) -> str:
        return f"get {'/'.join(vpath)} {sorted(params.items())}"

    def POST(self, name: str = "x") -> str:
        return f"post {name}"

    @cherrypy.config(**{"response.headers.X-Method": "put"})
    def PUT(self, value: str) -> str:
        return f"put {value}"

    LOCK = 10  # an upper-case constant is not a method

    def helper(self) -> str:
        return "never reached by URL"


class Root:
    exposed = True

    def __init__(self) -> None:
        self.item = Item()

    def GET(self) -> str:
        return "root"


def test_each_verb_reaches_its_method(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), METHOD_CONF)
    assert requests.get(base + "/").text == "root"
    assert requests.get(base + "/item/a/b?q=1").text == "get a/b [('q', '1')]"
    assert requests.post(base + "/item", data={"name": "n"}).text == "post n"
    assert requests.post(base + "/item?name=q").text == "post q"
    assert requests.put(base + "/item", data={"value": "v"}).text == "put v"


def test_allow_header_lists_the_methods(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), METHOD_CONF)
    assert requests.get(base + "/item").headers["Allow"] == "GET, HEAD, POST, PUT"
    assert requests.get(base + "/").headers["Allow"] == "GET, HEAD"


def test_missing_method_is_405_with_allow(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), METHOD_CONF)
    for verb in ("DELETE", "OPTIONS", "PATCH", "LOCK"):
        reply = requests.request(verb, base + "/item")
        assert reply.status_code == 405, verb
        assert reply.headers["Allow"] == "GET, HEAD, POST, PUT"
        assert "405 Method Not Allowed" in reply.text


def test_lower_case_method_names_are_not_handlers(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), METHOD_CONF)
    # /item/helper is GET on /item with a virtual path segment, never Item.helper.
    assert requests.get(base + "/item/helper").text == "get helper []"


def test_head_falls_back_to_get(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), METHOD_CONF)
    reply = requests.head(base + "/item/x")
    assert reply.status_code == 200
    assert reply.content == b""
    assert reply.headers["Content-Length"] == str(len("get x []"))


def test_explicit_head_method_wins(serve_root: Callable[..., str]) -> None:
    class Resource:
        exposed = True
        calls: list[str] = []

        def GET(self) -> str:
            self.calls.append("GET")
            return "body"

        def HEAD(self) -> None:
            self.calls.append("HEAD")
            cherrypy.response.headers["X-Head"] = "1"

    resource = Resource()
    base = serve_root(resource, METHOD_CONF)
    reply = requests.head(base + "/")
    assert reply.headers["X-Head"] == "1"
    assert resource.calls == ["HEAD"]
    assert reply.headers["Allow"] == "GET, HEAD"


def test_method_config_is_merged_only_for_that_method(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), METHOD_CONF)
    for _ in range(3):  # the merged config is cached: repeat to exercise the cache
        assert requests.put(base + "/item", data={"value": "v"}).headers["X-Method"] == "put"
        assert "X-Method" not in requests.get(base + "/item").headers


def test_method_tool_decorator_runs_the_tool(serve_root: Callable[..., str]) -> None:
    seen: list[str] = []

    def mark(label: str) -> None:
        seen.append(label)
        cherrypy.response.headers["X-Marked"] = label

    cherrypy.tools.dispatch_mark = cherrypy.Tool("before_handler", mark)
    try:

        class Resource:
            exposed = True

            @cherrypy.tools.dispatch_mark(label="on-get")
            def GET(self) -> str:
                return "ok"

            def POST(self) -> str:
                return "posted"

        base = serve_root(Resource(), METHOD_CONF)
        assert requests.get(base + "/").headers["X-Marked"] == "on-get"
        assert "X-Marked" not in requests.post(base + "/").headers
        assert seen == ["on-get"]
    finally:
        del cherrypy.tools.dispatch_mark


def test_method_config_overrides_path_config(serve_root: Callable[..., str]) -> None:
    conf = {
        "/": {
            "request.dispatch": MethodDispatcher(),
            "response.headers.X-Method": "from-path",
        }
    }
    base = serve_root(Root(), conf)
    assert requests.get(base + "/item").headers["X-Method"] == "from-path"
    assert requests.put(base + "/item", data={"value": "v"}).headers["X-Method"] == "put"


def test_unknown_path_is_404(serve_root: Callable[..., str]) -> None:
    class Plain:
        pass

    root = Root()
    root.plain = Plain()  # type: ignore[attr-defined]
    base = serve_root(root, METHOD_CONF)
    # Falls back to Root.GET, which takes no virtual path: 404, with Root's Allow header.
    reply = requests.get(base + "/nothere")
    assert reply.status_code == 404
    assert reply.headers["Allow"] == "GET, HEAD"


def test_no_exposed_resource_is_404(serve_root: Callable[..., str]) -> None:
    class Hidden:
        def GET(self) -> str:
            return "hidden"

    base = serve_root(Hidden(), METHOD_CONF)
    reply = requests.get(base + "/")
    assert reply.status_code == 404
    assert "Allow" not in reply.headers


def test_mismatched_arguments_give_404(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), METHOD_CONF)
    assert requests.put(base + "/item").status_code == 404  # PUT needs ``value``


def test_only_the_configured_path_uses_it(serve_root: Callable[..., str]) -> None:
    class Api:
        exposed = True

        def GET(self) -> str:
            return "api get"

    class Site:
        @cherrypy.expose
        def index(self) -> str:
            return "site index"

        api = Api()

    base = serve_root(Site(), {"/api": {"request.dispatch": MethodDispatcher()}})
    assert requests.get(base + "/").text == "site index"
    assert requests.get(base + "/api").text == "api get"
    assert requests.delete(base + "/api").status_code == 405


def test_config_file_spelling(serve_root: Callable[..., str], tmp_path: Any) -> None:
    path = tmp_path / "app.conf"
    path.write_text("[/]\nrequest.dispatch = cherrypy.dispatch.MethodDispatcher()\n")
    base = serve_root(Root(), str(path))
    assert requests.get(base + "/item").text == "get  []"
    assert requests.delete(base + "/item").status_code == 405


def test_allowed_methods_helper() -> None:
    assert allowed_methods(Item()) == ("GET", "HEAD", "POST", "PUT")
    assert allowed_methods(object()) == ()


def test_instance_and_late_class_methods(serve_root: Callable[..., str]) -> None:
    class Resource:
        exposed = True

        def GET(self) -> str:
            return "get"

    resource = Resource()
    base = serve_root(resource, METHOD_CONF)
    assert requests.get(base + "/").headers["Allow"] == "GET, HEAD"
    # A method set on the instance is seen at once.
    resource.POST = lambda: "posted"  # type: ignore[attr-defined]
    reply = requests.post(base + "/")
    assert (reply.text, reply.headers["Allow"]) == ("posted", "GET, HEAD, POST")
    del resource.POST  # type: ignore[attr-defined]
    # One added to the class after its first request needs the cache cleared.
    Resource.DELETE = lambda self: "deleted"  # type: ignore[attr-defined]
    assert requests.delete(base + "/").status_code == 405
    clear_method_cache()
    reply = requests.delete(base + "/")
    assert (reply.text, reply.headers["Allow"]) == ("deleted", "DELETE, GET, HEAD")


def test_compat_names() -> None:
    import cherrypy._cpdispatch as cpdispatch

    assert cherrypy.dispatch.MethodDispatcher is MethodDispatcher
    assert cpdispatch.MethodDispatcher is MethodDispatcher
    assert issubclass(MethodDispatcher, cherrypy.dispatch.Dispatcher)
