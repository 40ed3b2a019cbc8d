"""The lane (``CPWSGIApp.serve_lane``): a compiled route whose pipeline is plain is served in
one frame, and handed back to the general route path at the first thing it does not do
itself.  Whatever path a request takes, its answer and what its handler sees are the same."""

from __future__ import annotations

import pytest

import cherrypy
from cherrypy.kernel import wsgi as kernel_wsgi
from cherrypy.kernel.context import serving


def _route(path: str, script_name: str = ""):
    return cherrypy.tree.apps[script_name].wsgiapp.routes[path]


def _same(first, second) -> None:
    """Two answers equal but for the Date header."""
    assert first.status == second.status
    assert first.body == second.body
    strip = [(k, v) for k, v in first.header_list if k != "Date"]
    assert strip == [(k, v) for k, v in second.header_list if k != "Date"]


@pytest.fixture
def lanes(monkeypatch):
    """Counts what serves each request: the lane alone, the lane handing back, or not the
    lane at all."""
    counts = {"lane": 0, "resumed": 0}
    serve_lane = kernel_wsgi.CPWSGIApp.serve_lane
    serve_route = kernel_wsgi.CPWSGIApp.serve_route

    def counting_lane(self, route, environ, start_response):
        counts["lane"] += 1
        return serve_lane(self, route, environ, start_response)

    def counting_route(self, route, environ, start_response, resume=None):
        if resume is not None:
            counts["resumed"] += 1
        return serve_route(self, route, environ, start_response, resume)

    monkeypatch.setattr(kernel_wsgi.CPWSGIApp, "serve_lane", counting_lane)
    monkeypatch.setattr(kernel_wsgi.CPWSGIApp, "serve_route", counting_route)
    return counts


_SEEN_NAMES = (
    "method",
    "path_info",
    "script_name",
    "query_string",
    "params",
    "protocol",
    "server_protocol",
    "scheme",
    "request_line",
    "base",
    "is_index",
    "route",
    "args",
    "kwargs",
    "stage",
    "closed",
    "login",
    "multithread",
    "multiprocess",
    "prev",
    "process_request_body",
    "show_tracebacks",
    "show_mismatched_params",
    "throw_errors",
)


def _seen() -> str:
    """What a handler sees of the request, as text."""
    request = cherrypy.request
    values = {name: getattr(request, name) for name in _SEEN_NAMES}
    values["config"] = sorted((k, repr(v)) for k, v in (request.config or {}).items())
    values["toolmaps"] = sorted(request.toolmaps.get("tools", {}))
    values["handler"] = type(request.handler).__name__
    values["inner"] = type(getattr(request.handler, "oldhandler", None)).__name__
    values["headers"] = sorted(request.headers.items())
    values["app"] = request.app is cherrypy.tree.apps[request.script_name]
    values["response"] = (
        cherrypy.response.status,
        sorted((k, v) for k, v in cherrypy.response.headers.items() if k != "Date"),
        cherrypy.response.body,
    )
    return repr(values)


class Pages:
    @cherrypy.expose
    def index(self):
        return "hello"

    @cherrypy.expose
    def seen(self, *args, **kwargs):
        return _seen()

    @cherrypy.expose
    def handler_seen(self):
        return type(cherrypy.request.handler).__name__

    @cherrypy.expose
    def hooks_read(self):
        return repr(sorted(point for point, hooks in cherrypy.request.hooks.items() if hooks))

    @cherrypy.expose
    def bytes_out(self):
        cherrypy.response.headers["Content-Type"] = "application/octet-stream"
        return b"\x00\x01"

    @cherrypy.expose
    def listed(self):
        return ["a", "b"]

    @cherrypy.expose
    def generated(self):
        yield "x"
        yield "y"

    @cherrypy.expose
    def empty(self):
        return ""

    @cherrypy.expose
    def nothing(self):
        cherrypy.response.status = 204

    @cherrypy.expose
    def custom_status(self):
        cherrypy.response.status = "299 Own Reason"
        return "own"

    @cherrypy.expose
    def bad_status(self):
        cherrypy.response.status = "abc"
        return "never"

    @cherrypy.expose
    def cookie(self):
        cherrypy.response.cookie["flavour"] = "oat"
        return "baked"

    @cherrypy.expose
    def forbidden(self):
        raise cherrypy.HTTPError(403, "no")

    @cherrypy.expose
    def broken(self):
        raise ValueError("boom")

    @cherrypy.expose
    def type_error(self):
        raise TypeError("the handler's own")

    @cherrypy.expose
    def one_arg(self, a):
        return f"a={a}"

    @cherrypy.expose
    def moved(self):
        raise cherrypy.HTTPRedirect("/index")

    @cherrypy.expose
    def inside(self):
        raise cherrypy.InternalRedirect("/index")

    @cherrypy.expose
    def attaches(self):
        cherrypy.request.hooks.attach(
            "before_finalize", lambda: cherrypy.response.headers.update({"X-Late": "yes"})
        )
        return "attached"

    @cherrypy.expose
    def form(self, **kwargs):
        return repr(sorted(kwargs.items()))

    @cherrypy.expose
    def stream(self):
        def parts():
            yield "a"
            yield "b"

        return parts()

    stream._cp_config = {"response.stream": True}

    @cherrypy.expose
    def plain(self):
        cherrypy.response.headers["Content-Type"] = "text/plain"
        return "plain"


def test_a_plain_route_is_served_by_the_lane_alone(wsgi, lanes):
    cherrypy.tree.mount(Pages())
    first = wsgi.get("/")
    assert lanes == {"lane": 0, "resumed": 0}
    assert _route("/").lane
    second = wsgi.get("/")
    assert lanes == {"lane": 1, "resumed": 0}
    _same(first, second)
    assert second.body == b"hello"
    assert second.header_list[-1] == ("Content-Length", "5")


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/seen", {}),
        ("/seen/x/y", {"query": "a=1&b=2"}),
        ("/seen", {"method": "HEAD"}),
        ("/seen", {"protocol": "HTTP/1.0"}),
        ("/seen", {"headers": {"Cookie": "a=b", "X-Own": "1"}}),
        ("/seen", {"headers": {"Host": "other.example:81"}}),
        ("/seen", {"extra": {"REMOTE_USER": "ann", "wsgi.multithread": True}}),
        ("/seen", {"method": "POST", "body": b"p=1", "headers": {"Content-Type": "x/y"}}),
    ],
)
def test_the_handler_sees_the_same_request(wsgi, lanes, path, kwargs):
    cherrypy.tree.mount(Pages(), config={"/": {"my.key": "mine"}})
    first = wsgi.request(path, **kwargs)
    second = wsgi.request(path, **kwargs)
    assert lanes["lane"] == 1
    _same(first, second)
    if kwargs.get("method") != "HEAD":
        assert b"'my.key'" in second.body
        assert b"'handler': 'ResponseEncoder'" in second.body
        assert b"'inner': 'LateParamPageHandler'" in second.body


@pytest.mark.parametrize(
    ("path", "kwargs", "status"),
    [
        ("/bytes_out", {}, "200"),
        ("/listed", {}, "200"),
        ("/generated", {}, "200"),
        ("/empty", {}, "200"),
        ("/nothing", {}, "204"),
        ("/custom_status", {}, "299"),
        ("/bad_status", {}, "500"),
        ("/cookie", {}, "200"),
        ("/forbidden", {}, "403"),
        ("/nowhere", {}, "404"),
        ("/broken", {}, "500"),
        ("/type_error", {}, "500"),
        ("/one_arg", {}, "404"),
        ("/one_arg", {"query": "a=1&b=2"}, "404"),
        ("/one_arg", {"query": "a=%FF"}, "404"),
        ("/moved", {}, "303"),
        ("/inside", {}, "200"),
        ("/attaches", {}, "200"),
        ("/hooks_read", {}, "200"),
        ("/plain", {"headers": {"Accept-Charset": "iso-8859-1"}}, "200"),
        ("/plain", {"headers": {"Accept-Charset": "klingon, iso-8859-1;q=0"}}, "406"),
        ("/plain", {"headers": {"Cookie": "=;;="}}, "200"),
        ("/form", {"method": "POST", "body": b"a=1&b=2"}, "200"),
    ],
)
def test_what_the_lane_hands_back_answers_the_same(wsgi, lanes, path, kwargs, status):
    # (no tracebacks on the error pages: the two paths' frames differ)
    cherrypy.tree.mount(Pages(), config={"/": {"request.show_tracebacks": False}})
    answers = [wsgi.request(path, validate=False, **kwargs) for _ in range(3)]
    assert lanes["lane"] == 2  # the first request compiles the route
    assert answers[0].status.startswith(status)
    _same(answers[0], answers[1])
    _same(answers[0], answers[2])
    assert serving.request is None  # the thread's context is released every time


def test_a_bad_host_on_the_lane_is_refused_as_on_the_general_path(wsgi, lanes):
    cherrypy.tree.mount(Pages(), config={"/": {"request.show_tracebacks": False}})
    general = wsgi.get("/plain", headers={"Host": "bad host"}, validate=False)
    wsgi.get("/plain")  # compiles the route (a refused request does not)
    lane = wsgi.get("/plain", headers={"Host": "bad host"}, validate=False)
    assert lanes == {"lane": 1, "resumed": 1}
    assert general.status.startswith("400")
    _same(general, lane)


def test_hooks_attached_by_the_handler_run_after_the_lane_hands_back(wsgi, lanes):
    cherrypy.tree.mount(Pages())
    for _ in range(2):
        answer = wsgi.get("/attaches")
        assert ("X-Late", "yes") in answer.header_list
    assert lanes == {"lane": 1, "resumed": 1}


def test_reading_the_hooks_makes_the_paths_hooks(wsgi, lanes):
    cherrypy.tree.mount(Pages())
    first, second = wsgi.get("/hooks_read"), wsgi.get("/hooks_read")
    assert first.body == second.body == b"['before_error_response', 'before_handler']"


def test_an_error_on_the_lane_is_logged_with_the_paths_tools(wsgi, lanes, error_log):
    cherrypy.tree.mount(Pages())
    wsgi.get("/broken")
    wsgi.get("/broken")
    assert lanes == {"lane": 1, "resumed": 1}
    tracebacks = [m for m in error_log.messages if "ValueError: boom" in m]
    assert len(tracebacks) == 2  # tools.log_tracebacks ran both times


def test_the_lane_writes_the_access_log_line(wsgi, lanes, access_log):
    cherrypy.tree.mount(Pages())
    wsgi.get("/", headers={"User-Agent": "ua/1"})
    wsgi.get("/", headers={"User-Agent": "ua/1"})
    assert lanes["lane"] == 1
    lines = access_log.messages
    assert len(lines) == 2
    assert lines[0].split(" ", 4)[4] == lines[1].split(" ", 4)[4]  # but for the time
    assert '"GET / HTTP/1.1" 200 5' in lines[1]


def test_engine_listeners_keep_requests_off_the_lane(wsgi, lanes):
    cherrypy.tree.mount(Pages())
    heard = []

    def before() -> None:
        heard.append("before")

    def after() -> None:
        heard.append("after")

    wsgi.get("/")
    cherrypy.engine.subscribe("before_request", before)
    cherrypy.engine.subscribe("after_request", after)
    try:
        wsgi.get("/")
        assert lanes["lane"] == 1
        assert heard == ["before", "after"]
    finally:
        cherrypy.engine.unsubscribe("before_request", before)
        cherrypy.engine.unsubscribe("after_request", after)


class Subscribes:
    def __init__(self) -> None:
        self.heard: list[str] = []
        self.calls = 0

    @cherrypy.expose
    def index(self):
        self.calls += 1
        if self.calls == 2:
            cherrypy.engine.subscribe("after_request", self.after)
        return "subscribed"

    def after(self) -> None:
        self.heard.append("after")


def test_a_listener_subscribed_by_the_handler_hears_its_request_end(wsgi, lanes):
    pages = Subscribes()
    cherrypy.tree.mount(pages)
    try:
        wsgi.get("/")  # the general path: compiles the route
        assert pages.heard == []
        wsgi.get("/")  # the lane: the handler subscribes
        assert lanes["lane"] == 1
        assert pages.heard == ["after"]
    finally:
        cherrypy.engine.unsubscribe("after_request", pages.after)


def test_a_failing_start_response_gets_the_trapped_500(wsgi, lanes):
    cherrypy.tree.mount(Pages())
    wsgi.get("/")
    calls = []

    def start_response(status, headers, exc_info=None):
        calls.append(status)
        if len(calls) == 1:
            raise RuntimeError("the server refused")
        return lambda data: None

    environ = wsgi.environ("/")
    body = b"".join(cherrypy.tree(environ, start_response))
    assert lanes["lane"] == 1
    assert calls[0].startswith("200")
    assert calls[1].startswith("500")
    assert body
    assert serving.request is None


def test_paths_with_tools_on_the_way_are_not_lanes(wsgi):
    cherrypy.tree.mount(
        Pages(),
        config={
            "/plain": {"tools.response_headers.on": True, "tools.response_headers.headers": []},
            "/index": {"tools.encode.on": False},
        },
    )
    for path in ("/plain", "/index", "/seen", "/stream"):
        wsgi.get(path)
        wsgi.get(path)
    assert not _route("/plain").lane
    assert not _route("/index").lane
    assert not _route("/stream").lane  # response.stream: a response attribute to set
    assert _route("/seen").lane


class OwnPages:
    @cherrypy.expose
    def index(self):
        from cherrypy.kernel.request import Request

        pages = cherrypy.request.error_page
        return repr((pages is Request.__dict__["error_page"], sorted(pages)))


def test_a_class_wide_error_page_dict_is_copied_into_each_request(wsgi, lanes, monkeypatch):
    # Request.__init__ copies a class-level dict of error pages into the request; the lane
    # makes its requests without __init__ only while the class keeps its defaults.
    from cherrypy.kernel.request import Request

    monkeypatch.setattr(Request, "error_page", {404: "/missing.html"})
    cherrypy.tree.mount(OwnPages())
    first, second = wsgi.get("/"), wsgi.get("/")
    assert lanes["lane"] == 1
    assert first.body == second.body == b"(False, [404])"


def test_a_path_without_a_handler_is_a_404_on_the_lane_too(wsgi, lanes, error_log):
    # Without a traceback to show and with the default page, the lane writes the 404 itself.
    cherrypy.tree.mount(Pages(), config={"/": {"request.show_tracebacks": False}})
    first, second = wsgi.get("/nowhere/deeper"), wsgi.get("/nowhere/deeper")
    assert lanes == {"lane": 1, "resumed": 0}
    assert first.status.startswith("404")
    _same(first, second)
    assert b"The path '/nowhere/deeper' was not found." in second.body
    head = wsgi.request("/nowhere/deeper", method="HEAD")
    assert head.status.startswith("404") and head.body == b""
    assert not error_log.messages  # a 404 is no error to log


@pytest.mark.parametrize(
    "config",
    [
        {"request.show_tracebacks": True},  # the page shows where the 404 was raised
        {"request.show_tracebacks": False, "error_page.404": "/no/such/template.html"},
        {"request.show_tracebacks": False, "error_page.default": lambda **kw: "own page"},
    ],
)
def test_a_404_with_a_traceback_or_an_own_page_is_handed_back(wsgi, lanes, config):
    cherrypy.tree.mount(Pages(), config={"/": config})
    first, second = wsgi.get("/nowhere"), wsgi.get("/nowhere")
    # (an error_page.* setting keeps the path off the lane altogether)
    assert lanes["resumed"] == lanes["lane"] <= 1
    assert first.status.startswith("404") and second.status.startswith("404")
    if config["request.show_tracebacks"]:
        assert b"Traceback" in second.body
    else:
        _same(first, second)


def test_a_404_page_from_a_class_wide_error_page_is_handed_back(wsgi, lanes, monkeypatch):
    from cherrypy.kernel.request import Request

    monkeypatch.setitem(Request.__dict__["error_page"].shared, 404, lambda **kw: "class page")
    cherrypy.tree.mount(Pages(), config={"/": {"request.show_tracebacks": False}})
    first, second = wsgi.get("/nowhere"), wsgi.get("/nowhere")
    assert lanes == {"lane": 1, "resumed": 1}
    assert first.body == second.body
    assert first.body.rstrip() == b"class page"  # (padded for old browsers, as CherryPy does)


def test_the_handler_a_lane_request_reports(wsgi, lanes):
    from cherrypy.kernel.compiled import CompiledRoute

    cherrypy.tree.mount(Pages())
    assert wsgi.get("/handler_seen").body == wsgi.get("/handler_seen").body == b"ResponseEncoder"
    assert lanes["lane"] == 1
    wsgi.get("/nowhere")
    route = _route("/nowhere")
    assert route.lane
    request = cherrypy.kernel.request.Request(None, None)
    request.path_info = "/nowhere"
    made = CompiledRoute.lane_handler(route, request)
    assert type(made.oldhandler).__name__ == "NotFound"


class BytesPages:
    @cherrypy.expose
    def octets(self):
        cherrypy.response.headers["Content-Type"] = "application/octet-stream"
        return b"\x00\x01\x02"

    @cherrypy.expose
    def text(self):
        cherrypy.response.headers["Content-Type"] = "text/plain"
        return "caf\u00e9".encode()

    @cherrypy.expose
    def html(self):
        return b"<p>default type</p>"

    @cherrypy.expose
    def own_length(self):
        cherrypy.response.headers["Content-Type"] = "application/octet-stream"
        cherrypy.response.headers["Content-Length"] = "3"
        return b"abc"

    @cherrypy.expose
    def nothing(self):
        cherrypy.response.headers["Content-Type"] = "application/octet-stream"
        return b""


@pytest.mark.parametrize(
    ("path", "kwargs", "resumed", "content_type"),
    [
        ("/octets", {}, 0, "application/octet-stream"),
        ("/text", {}, 0, "text/plain;charset=utf-8"),
        ("/html", {}, 0, "text/html;charset=utf-8"),
        ("/octets", {"method": "HEAD"}, 0, "application/octet-stream"),
        ("/octets", {"method": "POST", "body": b"x" * 100}, 0, "application/octet-stream"),
        # handed back: a length of the handler's own, an empty body, an Accept-Charset
        ("/own_length", {}, 1, "application/octet-stream"),
        ("/nothing", {}, 1, "application/octet-stream"),
        ("/text", {"headers": {"Accept-Charset": "iso-8859-1"}}, 1, None),
    ],
)
def test_a_bytes_result_is_sent_by_the_lane_as_tools_encode_would(
    wsgi, lanes, path, kwargs, resumed, content_type
):
    cherrypy.tree.mount(BytesPages())
    first = wsgi.request(path, validate=False, **kwargs)  # the general path (compiles)
    second = wsgi.request(path, validate=False, **kwargs)  # the lane
    assert lanes == {"lane": 1, "resumed": resumed}
    _same(first, second)
    if content_type is not None:
        assert second.headers["content-type"] == content_type
    if kwargs.get("method") != "HEAD":
        assert int(second.headers["content-length"]) == len(second.body)


def test_handled_errors_leave_no_reference_cycles(wsgi):
    # A handled exception's traceback keeps the frames it passed through; if one of them
    # still referred to the exception, the request, response and frames would wait for the
    # cycle collector instead of being freed when the request ends.
    import gc

    cherrypy.tree.mount(Pages(), config={"/": {"request.show_tracebacks": False}})
    paths = ["/nowhere", "/forbidden", "/moved", "/broken", "/one_arg", "/", "/bytes_out"]
    for path in paths:  # compiled, and the caches filled
        wsgi.get(path)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            for path in paths:
                wsgi.get(path)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def _before_finalize_header():
    cherrypy.response.headers["X-Finalized"] = "yes"


def _late_end_request():
    cherrypy.request.hooks.attach(
        "on_end_request", lambda: _ENDED.append(cherrypy.request.path_info)
    )


def _refuse():
    raise cherrypy.HTTPError(401, "hooked refusal")


def _explode():
    raise ValueError("hook failed")


def _redirect_inside():
    raise cherrypy.InternalRedirect("/plain")


def _stream():
    cherrypy.response.stream = True


_ENDED: list[str] = []


class HookedPages:
    @cherrypy.expose
    def plain(self):
        return "plain page"

    @cherrypy.expose
    @cherrypy.tools.json_out()
    def data(self):
        return {"a": 1}

    @cherrypy.expose
    @cherrypy.tools.json_in()
    @cherrypy.tools.json_out()
    def echo(self):
        return cherrypy.request.json

    @cherrypy.expose
    def finalized(self):
        return "finalized"

    finalized._cp_config = {"hooks.before_finalize": _before_finalize_header}

    @cherrypy.expose
    def late(self):
        return "late"

    late._cp_config = {"hooks.before_handler": _late_end_request}

    @cherrypy.expose
    def refused(self):
        return "never"

    refused._cp_config = {"hooks.before_handler": _refuse}

    @cherrypy.expose
    def exploded(self):
        return "never"

    exploded._cp_config = {"hooks.before_handler": _explode}

    @cherrypy.expose
    def inside(self):
        return "never"

    inside._cp_config = {"hooks.before_handler": _redirect_inside}

    @cherrypy.expose
    def streamed(self):
        yield "a"
        yield "b"

    streamed._cp_config = {"hooks.before_handler": _stream}


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "resumed"),
    [
        ("/data", {}, "200", 0),
        ("/data", {"method": "HEAD"}, "200", 0),
        (
            "/echo",
            {
                "method": "POST",
                "body": b'{"x": [1, 2]}',
                "headers": {"Content-Type": "application/json"},
            },
            "200",
            0,
        ),
        (
            "/echo",
            {
                "method": "POST",
                "body": b"{not json",
                "headers": {"Content-Type": "application/json"},
            },
            "400",
            1,
        ),
        ("/finalized", {}, "200", 0),
        ("/refused", {}, "401", 1),
        ("/exploded", {}, "500", 1),
        ("/inside", {}, "200", 1),
        ("/streamed", {}, "200", 1),
        ("/late", {}, "200", 0),
    ],
)
def test_a_path_with_tools_is_served_by_the_lane_as_by_the_general_path(
    wsgi, lanes, error_log, path, kwargs, status, resumed
):
    # (no tracebacks on the error pages: the two paths' frames differ)
    cherrypy.tree.mount(HookedPages(), config={"/": {"request.show_tracebacks": False}})
    del _ENDED[:]
    first = wsgi.request(path, validate=False, **kwargs)  # the general path (compiles)
    second = wsgi.request(path, validate=False, **kwargs)  # the lane
    assert _route(path).hooked
    assert lanes == {"lane": 1, "resumed": resumed}
    assert first.status.startswith(status)
    _same(first, second)
    if path == "/finalized":
        assert second.headers["x-finalized"] == "yes"
    if path == "/late":
        # The hook attached at run time ran both times, when the body was closed.
        assert _ENDED == ["/late", "/late"]
    if status == "500":
        assert len(error_log.messages) >= 2  # logged on both paths alike
    assert serving.request is None


def test_a_hooked_path_ends_its_request_when_the_body_is_closed(wsgi, lanes):
    # A session's on_end_request hook releases its lock: at close, after the body was sent.
    cherrypy.tree.mount(
        HookedPages(), config={"/": {"tools.sessions.on": True, "tools.sessions.locking": "early"}}
    )
    first = wsgi.get("/plain")
    cookie = first.headers["set-cookie"].split(";")[0]
    environ = wsgi.environ("/plain", headers={"Cookie": cookie})
    body = cherrypy.tree(environ, lambda status, headers, exc_info=None: None)
    assert not isinstance(body, list)  # (granian would not close a list)
    assert list(body) == [b"plain page"]
    assert serving.request is not None  # not ended yet
    body.close()
    assert serving.request is None
    body.close()  # (once)
    third = wsgi.get("/plain", headers={"Cookie": cookie})  # the lock is free again
    assert third.body == b"plain page"
    assert lanes == {"lane": 2, "resumed": 0}
