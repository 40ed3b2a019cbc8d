"""Compiled routes (``cherrypy.kernel.compiled``): the second request for a path skips the
dispatcher and the middleware layers, and must answer exactly as the first did, whatever
changes between them."""

from __future__ import annotations

import dataclasses

import cherrypy
from cherrypy.kernel.compiled import MAX_ROUTES


def _routes(script_name: str = "") -> dict:
    return cherrypy.tree.apps[script_name].wsgiapp.routes


def _same(first, second) -> None:
    """Two answers equal but for the Date header."""
    assert first.status == second.status
    assert first.body == second.body
    strip = [(k, v) for k, v in first.header_list if k != "Date"]
    assert strip == [(k, v) for k, v in second.header_list if k != "Date"]


class Root:
    @cherrypy.expose
    def index(self):
        return "hello"

    @cherrypy.expose
    def plain(self):
        cherrypy.response.headers["Content-Type"] = "text/plain"
        return "plain text"

    @cherrypy.expose
    def params(self, *args, a="1"):
        return f"a={a} args={list(args)} handler={type(cherrypy.request.handler).__name__}"

    @cherrypy.expose
    def forbidden(self):
        raise cherrypy.HTTPError(403, "no")

    @cherrypy.expose
    def broken(self):
        raise ValueError("boom")

    @cherrypy.expose
    def moved(self):
        raise cherrypy.HTTPRedirect("/index")

    @cherrypy.expose
    def inside(self):
        raise cherrypy.InternalRedirect("/index")

    @cherrypy.expose
    def attaches(self):
        seen = cherrypy.request.app.seen = []
        cherrypy.request.hooks.attach("on_end_request", lambda: seen.append("end"))
        cherrypy.request.hooks.attach(
            "before_finalize", lambda: cherrypy.response.headers.update({"X-Late": "yes"})
        )
        return "attached"

    @cherrypy.expose
    def config(self):
        return str(cherrypy.request.config.get("my.key"))

    @cherrypy.expose
    def stream(self):
        def parts():
            yield "a"
            yield "b"

        return parts()

    stream._cp_config = {"response.stream": True}

    class sub:
        @cherrypy.expose
        def index(self):
            return "sub index"

    sub = sub()


def test_second_request_uses_the_route_and_answers_the_same(wsgi):
    cherrypy.tree.mount(Root())
    first = wsgi.get("/")
    assert "/" in _routes()
    second = wsgi.get("/")
    _same(first, second)
    assert second.body == b"hello"
    assert second.headers["content-type"] == "text/html;charset=utf-8"


def test_text_plain_gets_its_charset_on_both_paths(wsgi):
    cherrypy.tree.mount(Root())
    first, second = wsgi.get("/plain"), wsgi.get("/plain")
    _same(first, second)
    assert second.headers["content-type"] == "text/plain;charset=utf-8"


def test_accept_charset_still_negotiates(wsgi):
    cherrypy.tree.mount(Root())
    for _ in range(2):
        result = wsgi.get("/", headers={"Accept-Charset": "iso-8859-1"})
        assert result.headers["content-type"] == "text/html;charset=iso-8859-1"
    # Nothing acceptable: ISO-8859-1, which every client accepts, as in CherryPy.
    result = wsgi.get("/", headers={"Accept-Charset": "klingon"})
    assert result.headers["content-type"] == "text/html;charset=iso-8859-1"
    result = wsgi.get("/", headers={"Accept-Charset": "klingon, iso-8859-1;q=0"})
    assert result.status.startswith("406")


def test_query_string_virtual_path_and_handler(wsgi):
    cherrypy.tree.mount(Root())
    for _ in range(2):
        assert wsgi.get("/params", query="a=2").body == (b"a=2 args=[] handler=ResponseEncoder")
        assert wsgi.get("/params/x/y").body == b"a=1 args=['x', 'y'] handler=ResponseEncoder"
    assert "/params/x/y" in _routes()


def test_errors_redirects_and_internal_redirects_on_a_route(wsgi):
    cherrypy.tree.mount(Root())
    for path, status in (
        ("/forbidden", "403"),
        ("/broken", "500"),
        ("/moved", "303"),
        ("/inside", "200"),
        ("/nowhere", "404"),
    ):
        first, second = wsgi.get(path), wsgi.get(path)
        assert first.status.startswith(status), (path, first.status)
        assert second.status == first.status
        if status in ("200", "303"):  # error pages show tracebacks, with line numbers
            _same(first, second)
        assert path in _routes()
    assert b"ValueError: boom" in wsgi.get("/broken").body
    assert wsgi.get("/inside").body == b"hello"


def test_head_has_no_body(wsgi):
    cherrypy.tree.mount(Root())
    for _ in range(2):
        result = wsgi.request("/", method="HEAD")
        assert result.status.startswith("200")
        assert result.body == b""


def test_hooks_attached_by_the_handler_run(wsgi):
    cherrypy.tree.mount(Root())
    app = cherrypy.tree.apps[""]
    for _ in range(2):
        result = wsgi.get("/attaches")
        assert result.headers["x-late"] == "yes"
        assert app.seen == ["end"]


def test_streamed_body(wsgi):
    cherrypy.tree.mount(Root())
    for _ in range(2):
        assert wsgi.get("/stream").body == b"ab"


def test_trailing_slash_redirect_is_kept(wsgi):
    cherrypy.tree.mount(Root())
    for _ in range(2):
        result = wsgi.get("/sub")
        assert result.status.startswith("301")
        assert result.headers["location"].endswith("/sub/")
    assert wsgi.get("/sub/").body == b"sub index"
    assert wsgi.get("/sub/").body == b"sub index"


def test_a_changed_object_tree_is_seen(wsgi):
    root = Root()
    cherrypy.tree.mount(root)
    assert wsgi.get("/").body == b"hello"
    assert wsgi.get("/").body == b"hello"
    root.index = root.plain
    assert wsgi.get("/").body == b"plain text"


def test_config_changes_are_seen(wsgi):
    cherrypy.tree.mount(Root(), "", {"/config": {"my.key": "one"}})
    assert wsgi.get("/config").body == b"one"
    assert wsgi.get("/config").body == b"one"
    cherrypy.tree.apps[""].merge({"/config": {"my.key": "two"}})
    assert wsgi.get("/config").body == b"two"
    cherrypy.config.update({"tools.response_headers.on": True})
    cherrypy.config.update({"tools.response_headers.headers": [("X-Site", "1")]})
    assert wsgi.get("/config").headers["x-site"] == "1"


def test_tools_on_a_path_run_on_the_route(wsgi):
    cherrypy.tree.mount(
        Root(),
        "",
        {
            "/": {
                "tools.response_headers.on": True,
                "tools.response_headers.headers": [("X-Tool", "on")],
                "tools.encode.encoding": "iso-8859-1",
            }
        },
    )
    for _ in range(2):
        result = wsgi.get("/")
        assert result.headers["x-tool"] == "on"
        assert result.headers["content-type"] == "text/html;charset=iso-8859-1"


def test_an_app_mounted_below_the_root(wsgi):
    cherrypy.tree.mount(Root(), "/app")
    for _ in range(2):
        result = wsgi.get("/params/z", extra={"SCRIPT_NAME": "/app"})
        assert result.body == b"a=1 args=['z'] handler=ResponseEncoder"
        result = wsgi.get("/app/params/z")
        assert result.body == b"a=1 args=['z'] handler=ResponseEncoder"
    assert "/params/z" in _routes("/app")


def test_no_route_for_a_custom_dispatcher_or_middleware(wsgi):
    class Dispatcher(cherrypy.dispatch.Dispatcher):
        pass

    cherrypy.tree.mount(Root(), "", {"/": {"request.dispatch": Dispatcher()}})
    wsgi.get("/")
    wsgi.get("/")
    assert _routes() == {}
    # Known to have none, so later requests do not try again (until the config changes).
    assert "/" in cherrypy.tree.apps[""].wsgiapp.unroutable
    assert wsgi.get("/").body == b"hello"
    cherrypy.tree.apps.clear()

    def middleware(nextapp):
        def app(environ, start_response):
            environ["HTTP_X_SEEN"] = "1"
            return nextapp(environ, start_response)

        return app

    class Seen:
        @cherrypy.expose
        def index(self):
            return cherrypy.request.headers.get("X-Seen", "none")

    cherrypy.tree.mount(Seen(), "", {"/": {"wsgi.pipeline": [("seen", middleware)]}})
    assert wsgi.get("/").body == b"1"
    assert wsgi.get("/").body == b"1"


def test_a_bad_request_first_does_not_keep_a_path_from_its_route(wsgi):
    cherrypy.tree.mount(Root())
    assert wsgi.get("/", headers={"Host": "bad host"}, validate=False).status.startswith("400")
    assert "/" not in _routes()
    assert "/" not in cherrypy.tree.apps[""].wsgiapp.unroutable
    wsgi.get("/")
    assert "/" in _routes()


def test_the_route_table_is_bounded(wsgi):
    cherrypy.tree.mount(Root())
    for number in range(MAX_ROUTES + 10):
        wsgi.get(f"/params/{number}", validate=False)
    assert 0 < len(_routes()) <= MAX_ROUTES


class Flags:
    @cherrypy.expose
    def index(self, value="int"):
        cherrypy.response.headers["X-Flag"] = {"int": 1, "bool": True, "float": 1.0}[value]
        return "flag"


def test_repeated_header_sets_keep_each_value_as_written(wsgi):
    cherrypy.tree.mount(Flags())
    for _ in range(2):
        for value, expected in (("int", "1"), ("bool", "True"), ("float", "1.0")):
            result = wsgi.get("/", query=f"value={value}")
            assert result.headers["x-flag"] == expected


def test_mounting_again_forgets_the_tree_routes(wsgi):
    cherrypy.tree.mount(Root())
    assert wsgi.get("/").body == b"hello"
    assert wsgi.get("/").body == b"hello"
    assert "/" in cherrypy.tree.apps.routes
    cherrypy.tree.mount(Flags())
    assert cherrypy.tree.apps.routes == {}
    assert wsgi.get("/").body == b"flag"
    cherrypy.tree.mount(Root(), "/other")
    assert wsgi.get("/").body == b"flag"
    assert wsgi.get("/other/").body == b"hello"


def test_a_wsgiapp_replaced_after_the_route_is_used(wsgi):
    cherrypy.tree.mount(Root())
    app = cherrypy.tree.apps[""]
    assert wsgi.get("/").body == b"hello"
    assert wsgi.get("/").body == b"hello"
    inner = app.wsgiapp

    def wrapped(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"wrapped " + b"".join(inner(environ, lambda *args: None))]

    app.wsgiapp = wrapped
    try:
        assert wsgi.get("/", validate=False).body == b"wrapped hello"
    finally:
        app.wsgiapp = inner


class Seen:
    """Reports what a handler sees of the request (headers, hosts, base) as text."""

    @cherrypy.expose
    def index(self):
        request = cherrypy.request
        headers = sorted(request.headers.items())
        return repr(
            (
                headers,
                request.header_list,
                request.base,
                (request.local.ip, request.local.port, request.local.name),
                (request.remote.ip, request.remote.port, request.remote.name),
            )
        )

    @cherrypy.expose
    def replaced(self):
        # headers assigned before header_list is first read: the assigned map is kept
        cherrypy.request.headers = cherrypy.lib.httputil.HeaderMap({"X-Own": "1"})
        return repr((dict(cherrypy.request.headers), cherrypy.request.header_list))

    @cherrypy.expose
    def plain(self):
        return "plain"


def test_a_route_request_sees_the_same_headers_hosts_and_base(wsgi):
    cherrypy.tree.mount(Seen())
    sent = {
        "User-Agent": "spaced ",
        "X-Encoded": "=?utf-8?q?caf=C3=A9?=",
        "Accept": "*/*",
    }
    extra = {"REMOTE_ADDR": "10.1.2.3", "REMOTE_PORT": "4321", "REMOTE_HOST": "client.example"}
    first = wsgi.get("/", headers=sent, extra=extra)
    assert "/" in _routes()
    second = wsgi.get("/", headers=sent, extra=extra)
    _same(first, second)
    text = second.body.decode()
    assert "('X-Encoded', 'café')" in text
    assert "('User-Agent', 'spaced')" in text
    assert "('10.1.2.3', 4321, 'client.example')" in text
    assert "'http://localhost:8080'" in text


def test_a_route_request_with_a_new_or_bad_host_is_checked_at_once(wsgi):
    cherrypy.tree.mount(Seen())
    wsgi.get("/plain")
    wsgi.get("/plain")
    assert "/plain" in _routes()
    result = wsgi.get("/plain", headers={"Host": "bad host"}, validate=False)
    assert result.status.startswith("400")
    assert b"Invalid Host header" in result.body
    result = wsgi.get("/plain", headers={"Host": "other.example"})
    assert result.status.startswith("200")
    result = wsgi.get("/plain", extra={"CONTENT_LENGTH": "x1"}, validate=False)
    assert result.status.startswith("400")
    assert b"Malformed Content-Length" in result.body
    # HTTP/1.1 without a Host header
    result = wsgi.get("/plain", extra={"HTTP_HOST": None}, validate=False)
    assert result.status.startswith("400")


def test_an_empty_content_length_is_no_header_on_a_route(wsgi):
    cherrypy.tree.mount(Seen())
    bodies = [wsgi.get("/", extra={"CONTENT_LENGTH": ""}, validate=False).body for _ in range(2)]
    assert bodies[0] == bodies[1]
    assert b"Content-Length" not in bodies[1]


def test_headers_assigned_by_the_handler_are_kept(wsgi):
    cherrypy.tree.mount(Seen())
    for _ in range(2):
        body = wsgi.get("/replaced", headers={"Accept": "*/*"}).body.decode()
        assert body.startswith("({'X-Own': '1'}, [")
        assert "('ACCEPT', '*/*')" in body  # the name as the environ key gives it


class Untouched:
    @cherrypy.expose
    def index(self):
        own = vars(cherrypy.request)
        return repr(
            sorted(name for name in ("headers", "header_list", "local", "remote") if name in own)
        )


def test_a_route_request_makes_headers_and_hosts_only_when_read(wsgi):
    cherrypy.tree.mount(Untouched())
    assert wsgi.get("/").body == b"['header_list', 'headers', 'local', 'remote']"
    # the compiled route's request: nothing read them yet
    assert wsgi.get("/").body == b"[]"


class Unhashable:
    @cherrypy.expose
    def index(self):
        cherrypy.response.headers["X-List"] = ["a", "b"]
        return "listed"


def test_an_unhashable_header_value_is_encoded_as_text(wsgi):
    cherrypy.tree.mount(Unhashable())
    for _ in range(2):
        result = wsgi.get("/")
        assert result.status.startswith("200")
        assert result.headers["x-list"] == "['a', 'b']"


@dataclasses.dataclass
class EqualPage:
    """Equal to any other EqualPage: only its marker (not compared) tells them apart."""

    marker: str = dataclasses.field(compare=False)

    @cherrypy.expose
    def index(self):
        return self.marker


def test_an_equal_but_new_object_in_the_tree_is_seen(wsgi):
    root = Root()
    root.page = EqualPage("first")
    cherrypy.tree.mount(root)
    assert wsgi.get("/page/").body == b"first"
    assert wsgi.get("/page/").body == b"first"
    assert "/page/" in _routes()
    root.page = EqualPage("second")
    assert root.page == EqualPage("first")  # equal, yet another object
    assert wsgi.get("/page/").body == b"second"
