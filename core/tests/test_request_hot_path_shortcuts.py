"""Behaviour kept by the hello-world hot path's shortcuts: presorted hook points, hooks called
without ``Hook.__call__``, the tree's lone-root-app routing, cached header encodings, the
environ header translation and the access log's handler check."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel import logs as cplogging
from cherrypy.kernel.httputil import HeaderMap
from cherrypy.kernel.pipeline import Pipeline
from cherrypy.kernel.requesthooks import Hook, HookMap
from cherrypy.kernel.response import _output
from cherrypy.kernel.tree import Tree
from cherrypy.kernel.wsgi import AppResponse, _native_headers


def _pipeline_with(point: str, hooks: list[Hook]) -> Pipeline:
    pipe = Pipeline()
    pipe.hooks = {point: tuple(sorted(hooks))}
    return pipe


def _recording_hooks(calls: list[str], *priorities: int) -> list[Hook]:
    return [
        Hook(lambda name=f"p{p}-{i}": calls.append(name), priority=p)
        for i, p in enumerate(priorities)
    ]


def test_presorted_point_runs_in_priority_order_request_after_request():
    calls: list[str] = []
    pipe = _pipeline_with("before_handler", _recording_hooks(calls, 70, 10, 50, 50))
    for _ in range(2):
        calls.clear()
        pipe.new_hookmap().run("before_handler")
        assert calls == ["p10-1", "p50-2", "p50-3", "p70-0"]


def test_presorted_point_sorts_again_after_a_hook_is_appended_or_replaced():
    calls: list[str] = []
    pipe = _pipeline_with("before_finalize", _recording_hooks(calls, 30, 40, 60))
    hookmap = pipe.new_hookmap()
    hookmap.attach("before_finalize", lambda: calls.append("early"), priority=5)
    hookmap.run("before_finalize")
    assert calls == ["early", "p30-0", "p40-1", "p60-2"]

    calls.clear()
    hookmap = pipe.new_hookmap()
    hooks = hookmap["before_finalize"]
    hooks[2] = Hook(lambda: calls.append("replaced"), priority=1)  # same length, new hook
    hookmap.run("before_finalize")
    assert calls == ["replaced", "p30-0", "p40-1"]

    calls.clear()
    hookmap = pipe.new_hookmap()
    hookmap["before_finalize"].reverse()  # same hooks, wrong order: sorted again
    hookmap.run("before_finalize")
    assert calls == ["p30-0", "p40-1", "p60-2"]


def test_presorted_point_runs_from_a_snapshot():
    calls: list[str] = []
    pipe = _pipeline_with("before_handler", _recording_hooks(calls, 1, 2, 3))
    hookmap = pipe.new_hookmap()
    hookmap["before_handler"][0].callback = lambda: (
        calls.append("adder"),
        hookmap.attach("before_handler", lambda: calls.append("late")),
    )
    hookmap.run("before_handler")
    assert calls == ["adder", "p2-1", "p3-2"]  # attached while running: waits for the next run
    assert len(pipe.hooks["before_handler"]) == 3  # the pipeline's own hooks are untouched


def test_presorted_point_keeps_failsafe_semantics():
    calls: list[str] = []

    def boom() -> None:
        calls.append("boom")
        raise ValueError("boom")

    hooks = [
        Hook(boom, priority=10),
        Hook(lambda: calls.append("plain"), priority=20),
        Hook(lambda: calls.append("failsafe"), failsafe=True, priority=30),
    ]
    hookmap = _pipeline_with("on_end_resource", hooks).new_hookmap()
    cherrypy.log.error_log.disabled = True
    try:
        try:
            hookmap.run("on_end_resource")
        except ValueError:
            pass
        else:  # pragma: no cover - the hook's error must propagate
            raise AssertionError("the failing hook's error was swallowed")
    finally:
        cherrypy.log.error_log.disabled = False
    assert calls == ["boom", "failsafe"]


class _LoudHook(Hook):
    """A Hook subclass that says it was called (into ``seen``, its first keyword)."""

    __slots__ = ("seen",)

    def __init__(self, seen: list[object], callback: Any, **kwargs: Any) -> None:
        super().__init__(callback, **kwargs)
        self.seen = seen

    def __call__(self) -> object:
        self.seen.append("subclass")
        return super().__call__()


def test_run_hooks_passes_kwargs_and_honours_a_hook_subclass():
    seen: list[object] = []
    LoudHook = partial(_LoudHook, seen)

    HookMap.run_hooks(
        [
            Hook(lambda **kw: seen.append(kw), priority=1, a=1),
            Hook(lambda: seen.append("bare")),
            LoudHook(lambda b: seen.append(b), b=2),
        ]
    )
    assert seen == [{"a": 1}, "bare", "subclass", 2]


def test_run_point_calls_a_lone_hook_as_run_would(error_log):
    from cherrypy.kernel.requesthooks import run_point

    seen: list[object] = []
    LoudHook = partial(_LoudHook, seen)

    hooks = HookMap()
    hooks["before_handler"] = [Hook(lambda **kw: seen.append(kw), a=1)]
    run_point(hooks, "before_handler")
    hooks["before_handler"] = [LoudHook(lambda: seen.append("bare"))]
    run_point(hooks, "before_handler")
    run_point(hooks, "on_end_request")  # no hook there: nothing
    assert seen == [{"a": 1}, "subclass", "bare"]

    def broken() -> None:
        raise ValueError("boom")

    def forbidden() -> None:
        raise cherrypy.HTTPError(403)

    hooks["before_handler"] = [Hook(broken)]
    with pytest.raises(ValueError, match="boom"):
        run_point(hooks, "before_handler")
    assert len(error_log.messages) == 1  # a failing hook is logged, as HookMap.run logs it
    hooks["before_handler"] = [Hook(forbidden)]
    with pytest.raises(cherrypy.HTTPError):
        run_point(hooks, "before_handler")
    assert len(error_log.messages) == 1  # an HTTP error is no failure to log

    class OwnMap(HookMap):
        def run(self, point: str) -> None:
            seen.append(("own run", point))

    own = OwnMap()
    own["before_handler"] = [Hook(broken)]
    run_point(own, "before_handler")  # a subclass keeps its own run
    assert seen[-1] == ("own run", "before_handler")


class _Pages:
    @cherrypy.expose
    def index(self):
        return "root index"

    @cherrypy.expose
    def default(self, *args):
        return "root default " + "/".join(args)


class _Other:
    @cherrypy.expose
    def index(self):
        return f"other {cherrypy.request.script_name} {cherrypy.request.path_info}"


def test_lone_root_app_serves_every_path(wsgi):
    cherrypy.tree.mount(_Pages())
    assert wsgi.get("/").text == "root index"
    assert wsgi.get("/a/b").text == "root default a/b"
    assert wsgi.get("//a//b").text == "root default a/b"
    assert wsgi.get("/a", extra={"SCRIPT_NAME": "/x"}).text == "root default x/a"


def test_tree_routes_to_the_longest_mount_next_to_a_root_app(wsgi):
    cherrypy.tree.mount(_Pages())
    cherrypy.tree.mount(_Other(), "/other")
    assert wsgi.get("/other/").text == "other /other /"
    assert wsgi.get("/other").code == 301  # the app's own trailing-slash redirect
    assert wsgi.get("/otherwise").text == "root default otherwise"


def test_tree_without_root_app_answers_404_for_unmounted_paths(wsgi):
    cherrypy.tree.mount(_Other(), "/other")
    assert wsgi.get("/nowhere").code == 404
    assert wsgi.get("/other/").text == "other /other /"


def test_tree_subclass_choosing_the_script_name_is_asked(wsgi):
    asked: list[str | None] = []

    class PickyTree(Tree):
        def script_name(self, path=None):
            asked.append(path)
            return "/other"

    tree = PickyTree()
    tree.mount(_Pages())
    tree.mount(_Other(), "/other")
    result = wsgi.get("/other/", app=tree)
    assert asked == ["/other/"]
    assert result.text == "other /other /"


def test_output_caches_int_values_without_confusing_true_with_one():
    first = dict.__new__(HeaderMap)
    dict.update(first, {"Content-Length": 1, "X-Flag": 1})
    assert _output(first) == [(b"Content-Length", b"1"), (b"X-Flag", b"1")]
    assert _output(first) == [(b"Content-Length", b"1"), (b"X-Flag", b"1")]  # cached
    second = dict.__new__(HeaderMap)
    dict.update(second, {"X-Flag": True})
    assert _output(second) == list(second.encode_header_items([("X-Flag", True)]))
    assert _output(second) == [(b"X-Flag", b"True")]


def test_output_encodes_only_the_pairs_not_seen_before():
    headers = dict.__new__(HeaderMap)
    dict.update(
        headers,
        {"Content-Type": "text/plain", "Content-Length": 7654321, "X-Seen": "yes", "X-N": 5},
    )
    expected = [
        (b"Content-Type", b"text/plain"),
        (b"Content-Length", b"7654321"),
        (b"X-Seen", b"yes"),
        (b"X-N", b"5"),
    ]
    assert _output(headers) == expected
    assert _output(headers) == expected  # the str pairs cached, the int ones looked up apart
    dict.__setitem__(headers, "X-Seen", "no")  # a new value between cached ones
    assert _output(headers) == [*expected[:2], (b"X-Seen", b"no"), expected[3]]
    one_int = dict.__new__(HeaderMap)
    dict.update(one_int, {"Content-Type": "text/plain", "Content-Length": 7654321, "X-S": "y"})
    for _ in range(2):  # the one int pair found apart from the cached str pairs
        assert _output(one_int) == [expected[0], expected[1], (b"X-S", b"y")]
    flag = dict.__new__(HeaderMap)
    dict.update(flag, {"Content-Type": "text/plain", "Content-Length": True})
    assert _output(flag) == [expected[0], (b"Content-Length", b"True")]  # not the pair of 1


def test_translate_headers_drops_only_an_empty_content_length():
    environ = {
        "CONTENT_LENGTH": "",
        "CONTENT_TYPE": "text/plain",
        "HTTP_HOST": "example.org",
        "HTTP_CONTENT_LENGTH": "",
        "PATH_INFO": "/",
    }
    assert AppResponse.translate_headers(environ) == [
        ("Content-Type", "text/plain"),
        ("HOST", "example.org"),
        ("CONTENT-LENGTH", ""),
    ]
    environ["CONTENT_LENGTH"] = "12"
    assert AppResponse.translate_headers(environ)[0] == ("Content-Length", "12")


def test_native_headers_cache_and_errors():
    pairs = [(b"Server", b"CherryPy"), (b"X-Caf\xe9", b"\xe9t\xe9")]
    expected = [("Server", "CherryPy"), ("X-Caf\xe9", "\xe9t\xe9")]
    assert _native_headers(pairs) == expected
    assert _native_headers(pairs) == expected  # every pair from the cache now
    for bad, word in (((b"X-A", "text"), "value"), (("X-A", b"v"), "key")):
        try:
            _native_headers([(b"Server", b"CherryPy"), bad])
        except TypeError as exc:
            assert f"header_list {word}" in str(exc)
        else:  # pragma: no cover
            raise AssertionError(f"{bad!r} was accepted")
    many = [(b"X-N", str(i).encode()) for i in range(600)]
    assert _native_headers(many) == [("X-N", str(i)) for i in range(600)]


def test_reaches_a_handler_skips_null_handlers_of_any_kind():
    parent = logging.getLogger("test_hot_path_shortcuts")
    child = logging.getLogger("test_hot_path_shortcuts.child")
    saved = parent.propagate
    parent.propagate = False

    class QuietHandler(logging.NullHandler):
        pass

    handlers = [cplogging.NullHandler(), logging.NullHandler(), QuietHandler()]
    try:
        for handler in handlers:
            child.addHandler(handler)
        assert cplogging._reaches_a_handler(child) is False
        stream = logging.StreamHandler()
        parent.addHandler(stream)
        assert cplogging._reaches_a_handler(child) is True
        child.propagate = False
        assert cplogging._reaches_a_handler(child) is False
    finally:
        child.propagate = True
        parent.propagate = saved
        for handler in [*handlers]:
            child.removeHandler(handler)
        for handler in list(parent.handlers):
            parent.removeHandler(handler)


# -- attributes a request or response only stores when they differ ---------------------------


def _request() -> Any:
    from cherrypy.kernel.httputil import Host
    from cherrypy.kernel.request import Request

    return Request(Host("127.0.0.1", 80), Host("127.0.0.2", 5555))


class _Echo:
    @cherrypy.expose
    def index(self, **params):
        request = cherrypy.request
        return repr(
            (
                request.login,
                request.multithread,
                request.multiprocess,
                request.prev,
                request.query_string,
                request.protocol,
                request.error_response.__name__,
            )
        )

    @cherrypy.expose
    def mutate_config(self):
        before = cherrypy.request.config.get("my.key")
        cherrypy.request.config["my.key"] = "changed"
        return repr(before)

    @cherrypy.expose
    def set_cookie(self, how):
        if how == "assign":
            from http.cookies import SimpleCookie

            jar: SimpleCookie = SimpleCookie()
            jar["a"] = "1"
            cherrypy.response.cookie = jar
        elif how == "item":
            cherrypy.response.cookie["b"] = "2"
        elif how == "delete":
            cherrypy.response.cookie["c"] = "3"
            del cherrypy.response.cookie
        return "ok"

    @cherrypy.expose
    def read_cookie(self):
        cookie = cherrypy.request.cookie
        assert cherrypy.request.cookie is cookie
        return ",".join(f"{k}={m.value}" for k, m in sorted(cookie.items()))

    @cherrypy.expose
    def pages(self):
        pages = cherrypy.request.error_page
        pages["x"] = "added"
        return repr(sorted(pages, key=str))


def test_environ_values_equal_to_the_defaults_read_the_same(wsgi):
    cherrypy.tree.mount(_Echo())
    assert wsgi.get("/").text == repr(
        (None, False, False, None, "", (1, 1), "_default_error_response")
    )
    result = wsgi.get(
        "/",
        query="a=1",
        protocol="HTTP/1.0",
        extra={"REMOTE_USER": "bob", "wsgi.multithread": True, "wsgi.multiprocess": True},
    )
    assert result.text == repr(("bob", True, True, None, "a=1", (1, 0), "_default_error_response"))


def test_request_error_response_default_and_subclass_override():
    from cherrypy.kernel.httputil import Host
    from cherrypy.kernel.request import Request, _default_error_response

    assert Request.error_response is _default_error_response
    assert _request().error_response is _default_error_response

    class Custom(Request):
        error_response = staticmethod(lambda: None)

    # As before: a request starts with the kernel's default whatever its class says.
    assert Custom(Host("", 80), Host("", 1)).error_response is _default_error_response


def test_error_page_is_a_per_request_copy_of_the_class_dict():
    from cherrypy.kernel.httputil import Host
    from cherrypy.kernel.request import Request

    shared = Request.error_page
    assert shared == {}
    first, second = _request(), _request()
    first.error_page[404] = "nf.html"
    assert second.error_page == {} and Request.error_page == {}
    shared[500] = "oops.html"
    try:
        assert _request().error_page == {500: "oops.html"}
        _request().error_page.clear()
        assert Request.error_page == {500: "oops.html"}
    finally:
        shared.clear()

    class Own(Request):
        error_page = {418: "teapot.html"}

    own = Own(Host("", 80), Host("", 1))
    own.error_page[404] = "x"
    assert Own.error_page == {418: "teapot.html"}
    assert own.error_page == {418: "teapot.html", 404: "x"}

    saved = Request.__dict__["error_page"]
    Request.error_page = {401: "login.html"}
    try:
        replaced = _request()
        replaced.error_page[403] = "y"
        assert Request.error_page == {401: "login.html"}
    finally:
        Request.error_page = saved


def test_error_page_changes_stay_in_their_request(wsgi):
    cherrypy.tree.mount(_Echo())
    assert wsgi.get("/pages").text == repr(["x"])
    assert wsgi.get("/pages").text == repr(["x"])


def test_request_config_is_copied_before_a_change_on_first_and_cached_walks(wsgi):
    cherrypy.tree.mount(_Echo(), "", {"/": {"my.key": "original"}})
    for _ in range(3):
        assert wsgi.get("/mutate_config").text == repr("original")


def test_response_cookie_set_by_item_assignment_or_replacement(wsgi):
    cherrypy.tree.mount(_Echo())
    assert wsgi.get("/set_cookie", query="how=item").all("Set-Cookie") == ["b=2"]
    assert wsgi.get("/set_cookie", query="how=assign").all("Set-Cookie") == ["a=1"]
    assert wsgi.get("/set_cookie", query="how=delete").all("Set-Cookie") == []
    assert wsgi.get("/set_cookie", query="how=none").all("Set-Cookie") == []


def test_request_cookie_from_headers(wsgi):
    cherrypy.tree.mount(_Echo())
    assert wsgi.get("/read_cookie", headers={"Cookie": "x=1; y=2"}).text == "x=1,y=2"
    assert wsgi.get("/read_cookie").text == ""


def test_lazy_cookie_descriptor_assignment_deletion_and_none():
    from cherrypy.kernel.cookies import COOKIE_STATE

    request = _request()
    assert getattr(request, COOKIE_STATE) is False
    jar = request.cookie
    assert request.cookie is jar
    assert getattr(request, COOKIE_STATE) is True
    request.cookie = None
    assert request.cookie is None
    del request.cookie
    assert request.cookie is not None and request.cookie is not jar
    del request.cookie
    try:
        del request.cookie
    except AttributeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("deleting a missing cookie did not raise AttributeError")


def test_a_request_run_again_starts_with_a_fresh_cookie(wsgi):
    from cherrypy.kernel.context import serving
    from cherrypy.kernel.response import Response

    app = cherrypy.tree.mount(_Echo())
    request = _request()
    request.app = app
    serving.request, serving.response = request, Response()
    try:
        headers = [("Host", "localhost"), ("Cookie", "a=1")]
        response = request.run("GET", "/read_cookie", "", "HTTP/1.1", headers, None)
        assert b"".join(response.body) == b"a=1"
        serving.response = Response()
        response = request.run("GET", "/read_cookie", "", "HTTP/1.1", [("Host", "h")], None)
        assert b"".join(response.body) == b""
    finally:
        serving.clear()


def test_response_starts_with_the_default_headers_and_date():
    from cherrypy.kernel.response import Response

    first, second = Response(), Response()
    assert list(dict.keys(first.headers)) == ["Content-Type", "Server", "Date"]
    assert first.headers["Content-Type"] == "text/html"
    assert first.headers["Date"].endswith(" GMT")
    first.headers["X-Mine"] = "1"
    assert "X-Mine" not in second.headers


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_HOST": "a", "HTTP_X_ONE": " spaced ", "CONTENT_TYPE": "text/plain"},
        {"HTTP_HOST": "a", "CONTENT_LENGTH": "", "CONTENT_TYPE": "x/y"},  # empty: no header
        {"HTTP_HOST": "a", "CONTENT_LENGTH": "3", "HTTP_CONTENT_TYPE": "b", "CONTENT_TYPE": "c"},
        {"HTTP_HOST": "a", "HTTP_X_WORD": "=?utf-8?q?caf=C3=A9?="},  # an encoded word
        {"HTTP_HOST": "a", "HTTP_X_A": "x=", "HTTP_X_B": "?y"},  # "=?" only across values
        {"HTTP_HOST": "only"},
        {"SERVER_NAME": "no headers at all"},
    ],
)
def test_headers_from_environ_in_c_calls_match_the_loop(environ):
    from cherrypy.kernel.request import _headers_from_environ, _plan_of

    plan = _plan_of(environ)
    fast = _headers_from_environ(environ, plan)
    slow = _headers_from_environ(environ, tuple(plan))  # a plain tuple takes the loop
    assert fast == slow
    assert list(dict.items(fast[1])) == list(dict.items(slow[1]))
    assert type(fast[1]) is HeaderMap
