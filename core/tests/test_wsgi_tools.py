"""Hook points and tools through WSGI: order, priorities, failsafe hooks, per-request
attachment, tools in config and as decorators, custom tools and toolboxes, and the four
built-in tools (encode, trailing_slash, log_tracebacks, log_headers)."""

from __future__ import annotations

import pytest

import cherrypy

HandlerTool = cherrypy._cptools.HandlerTool
HandlerWrapperTool = cherrypy._cptools.HandlerWrapperTool
ErrorTool = cherrypy._cptools.ErrorTool
Toolbox = cherrypy._cptools.Toolbox

LOG: list[str] = []


def recorder(name):
    def hook(**kwargs):
        LOG.append(name + (repr(sorted(kwargs.items())) if kwargs else ""))

    return hook


ALL_POINTS = {
    "hooks.on_start_resource": recorder("on_start_resource"),
    "hooks.before_request_body": recorder("before_request_body"),
    "hooks.before_handler": recorder("before_handler"),
    "hooks.before_finalize": recorder("before_finalize"),
    "hooks.on_end_resource": recorder("on_end_resource"),
    "hooks.on_end_request": recorder("on_end_request"),
    "hooks.before_error_response": recorder("before_error_response"),
    "hooks.after_error_response": recorder("after_error_response"),
}


def failing():
    LOG.append("failing")
    raise ValueError("hook failed")


def failsafe():
    LOG.append("failsafe")


failsafe.failsafe = True


def not_failsafe():
    LOG.append("not failsafe")


class Root:
    _cp_config = dict(ALL_POINTS)

    @cherrypy.expose
    def index(self):
        LOG.append("handler")
        return "ok"

    @cherrypy.expose
    def error(self):
        LOG.append("handler")
        raise ValueError("handler failed")

    @cherrypy.expose
    def http_error(self):
        LOG.append("handler")
        raise cherrypy.HTTPError(404)

    @cherrypy.expose
    def attach(self):
        hooks = cherrypy.request.hooks
        hooks.attach("before_finalize", recorder("attached 70"), priority=70)
        hooks.attach("before_finalize", recorder("attached 10"), priority=10)
        hooks.attach("on_end_request", recorder("attached end"), extra="kw")
        LOG.append("handler")
        return "ok"

    @cherrypy.expose
    def fail(self):
        LOG.append("handler")
        return "ok"


def run(client, path, **kwargs):
    LOG.clear()
    res = client.get(path, **kwargs)
    return res, list(LOG)


@pytest.fixture
def app(wsgi):
    cherrypy.tree.mount(
        Root(),
        "",
        {
            "/fail": {
                "hooks.before_finalize": failing,
                "hooks.before_finalize.2": failsafe,
                "hooks.before_finalize.3": not_failsafe,
            }
        },
    )
    return wsgi


def test_hook_points_run_in_order(app):
    res, log = run(app, "/")
    assert res.text == "ok"
    assert log == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "handler",
        "before_finalize",
        "on_end_resource",
        "on_end_request",
    ]


def test_error_hooks_run_on_errors(app):
    res, log = run(app, "/error")
    assert res.code == 500
    assert log == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "handler",
        "on_end_resource",
        "before_error_response",
        "after_error_response",
        "on_end_request",
    ]


def test_http_errors_run_before_finalize_not_error_hooks(app):
    res, log = run(app, "/http_error")
    assert res.code == 404
    assert log == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "handler",
        "before_finalize",
        "on_end_resource",
        "on_end_request",
    ]


def test_hooks_attached_during_the_request_are_sorted_by_priority(app):
    _, log = run(app, "/attach")
    assert log == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "handler",
        "attached 10",
        "before_finalize",
        "attached 70",
        "on_end_resource",
        "on_end_request",
        "attached end[('extra', 'kw')]",
    ]
    # Attachments last for one request only.
    _, log = run(app, "/")
    assert "attached 10" not in log


def test_failsafe_hooks_run_after_a_failure(app, error_log):
    res, log = run(app, "/fail")
    assert res.code == 500
    assert log == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "handler",
        "failing",
        "failsafe",
        "on_end_resource",
        "before_error_response",
        "after_error_response",
        "on_end_request",
    ]
    assert any("ValueError: hook failed" in m for m in error_log.messages)


def test_hook_priority_from_config_and_attribute(wsgi):
    def early():
        LOG.append("early")

    early.priority = 10

    class R:
        @cherrypy.expose
        def index(self):
            return "x"

    cherrypy.tree.mount(
        R(),
        "",
        {"/": {"hooks.before_handler": recorder("late"), "hooks.before_handler.1": early}},
    )
    _, log = run(wsgi, "/")
    assert log == ["early", "late"]


def test_unknown_hook_point_is_refused():
    from cherrypy._cprequest import HookMap

    hooks = HookMap(["before_handler"])
    with pytest.raises(KeyError):
        hooks.attach("no_such_point", lambda: None)


# -- tools --------------------------------------------------------------------------------


def tool_callable(x=None, y=None):
    LOG.append(f"tool x={x} y={y}")


def priority_tool_callable():
    LOG.append("priority tool")


def answering_tool(answer=False):
    LOG.append("handler tool")
    if answer:
        cherrypy.response.body = b"answered by the tool"
        return True
    return False


def wrapper(next_handler, *args, **kwargs):
    return "wrapped(" + next_handler(*args, **kwargs) + ")"


def error_tool(msg="custom"):
    cherrypy.response.status = 503
    cherrypy.response.body = f"error tool: {msg}".encode()


@pytest.fixture
def tooled(wsgi):
    cherrypy.tools.mytool = cherrypy.Tool("before_handler", tool_callable)
    cherrypy.tools.prio = cherrypy.Tool("before_handler", priority_tool_callable, priority=10)
    cherrypy.tools.answering = HandlerTool(answering_tool)
    cherrypy.tools.wrap = HandlerWrapperTool(wrapper)
    cherrypy.tools.errtool = ErrorTool(error_tool)
    box = Toolbox("mybox")
    box.boxtool = cherrypy.Tool("on_start_resource", recorder("box tool"))
    return wsgi, box


def mount_tooled(box):
    """Mount an app using the tools of the ``tooled`` fixture (decorators need them to exist)."""

    class Tooled:
        @cherrypy.expose
        @cherrypy.tools.mytool(x=1, y="two")
        def decorated(self):
            LOG.append("handler")
            return "ok"

        @cherrypy.expose
        def configured(self):
            LOG.append("handler")
            return "ok"

        @cherrypy.expose
        @cherrypy.tools.answering(answer=True)
        def answered(self):
            LOG.append("handler")
            return "not reached"

        @cherrypy.expose
        @cherrypy.tools.answering()
        def not_answered(self):
            LOG.append("handler")
            return "reached"

        @cherrypy.expose
        @cherrypy.tools.wrap()
        def wrapped(self, a="A"):
            return "inner " + a

        @cherrypy.expose
        @cherrypy.tools.errtool(msg="m1")
        def error_tooled(self):
            raise ValueError("y")

        @cherrypy.expose
        def boxed(self):
            LOG.append("handler")
            return "ok"

    app = cherrypy.tree.mount(
        Tooled(),
        "",
        {
            "/configured": {"tools.mytool.on": True, "tools.mytool.x": 5, "tools.prio.on": True},
            "/boxed": {"mybox.boxtool.on": True, "mybox.boxtool.word": "hi"},
        },
    )
    app.toolboxes["mybox"] = box
    return app


def test_tool_as_decorator_and_in_config(tooled):
    client, box = tooled
    mount_tooled(box)
    res, log = run(client, "/decorated")
    assert res.text == "ok"
    assert log == ["tool x=1 y=two", "handler"]
    res, log = run(client, "/configured")
    assert log == ["priority tool", "tool x=5 y=None", "handler"]


def test_handler_tool(tooled):
    client, box = tooled
    mount_tooled(box)
    res, log = run(client, "/answered")
    assert res.text == "answered by the tool"
    assert log == ["handler tool"]
    res, log = run(client, "/not_answered")
    assert res.text == "reached"
    assert log == ["handler tool", "handler"]


def test_handler_tool_as_a_page_handler(tooled):
    client, _ = tooled

    class R:
        page = cherrypy.tools.answering.handler(answer=True)
        nothing = cherrypy.tools.answering.handler()

    cherrypy.tree.mount(R())
    assert client.get("/page").text == "answered by the tool"
    assert client.get("/nothing").code == 404


def test_handler_wrapper_tool(tooled):
    client, box = tooled
    mount_tooled(box)
    assert client.get("/wrapped").text == "wrapped(inner A)"
    assert client.get("/wrapped", query="a=Q").text == "wrapped(inner Q)"


def test_error_tool(tooled):
    client, box = tooled
    mount_tooled(box)
    res = client.get("/error_tooled")
    assert res.status == "503 Service Unavailable"
    assert res.text == "error tool: m1"


def test_custom_toolbox_in_app_toolboxes(tooled):
    client, box = tooled
    mount_tooled(box)
    _, log = run(client, "/boxed")
    assert log == ["box tool[('word', 'hi')]", "handler"]


def test_toolbox_register_decorator(wsgi):
    @cherrypy.tools.register("before_finalize", name="stamp")
    def stamp(value="v"):
        cherrypy.response.headers["X-Stamp"] = value

    class R:
        @cherrypy.expose
        @cherrypy.tools.stamp(value="set")
        def index(self):
            return "x"

    cherrypy.tree.mount(R())
    assert wsgi.get("/").headers["x-stamp"] == "set"


def test_tool_rejects_positional_arguments():
    tool = cherrypy.Tool("before_handler", tool_callable)
    with pytest.raises(TypeError):
        tool(1)


def test_tool_exposes_its_arguments():
    tool = cherrypy.Tool("before_handler", tool_callable)
    assert tool.x is None
    assert tool.y is None


def test_tool_in_global_config(wsgi):
    cherrypy.tools.mytool = cherrypy.Tool("before_handler", tool_callable)
    cherrypy.config.update({"tools.mytool.on": True, "tools.mytool.y": "global"})

    class R:
        @cherrypy.expose
        def index(self):
            return "x"

        @cherrypy.expose
        @cherrypy.config(**{"tools.mytool.on": False})
        def off(self):
            return "x"

    cherrypy.tree.mount(R())
    assert run(wsgi, "/")[1] == ["tool x=None y=global"]
    assert run(wsgi, "/off")[1] == []


# -- built-in tools ---------------------------------------------------------------------------


class Texts:
    @cherrypy.expose
    def index(self):
        return "caf\u00e9 \u20ac"

    @cherrypy.expose
    @cherrypy.config(**{"tools.encode.encoding": "ascii"})
    def ascii(self):
        return "caf\u00e9"

    @cherrypy.expose
    @cherrypy.config(**{"tools.encode.on": False})
    def raw(self):
        return b"bytes"

    @cherrypy.expose
    def json(self):
        cherrypy.response.headers["Content-Type"] = "application/json"
        return b'{"a": 1}'

    @cherrypy.expose
    @cherrypy.config(**{"tools.encode.text_only": False})
    def json_text(self):
        cherrypy.response.headers["Content-Type"] = "application/json"
        return '{"a": "\u00e9"}'

    @cherrypy.expose
    def streamed(self):
        cherrypy.response.stream = True
        yield "caf\u00e9"
        yield b"!"

    @cherrypy.expose
    @cherrypy.config(**{"tools.encode.add_charset": False})
    def no_charset(self):
        return "caf\u00e9".encode()

    @cherrypy.expose
    @cherrypy.config(**{"tools.encode.add_charset": False})
    def no_charset_text(self):
        return "caf\u00e9"


@pytest.fixture
def texts(wsgi):
    cherrypy.tree.mount(Texts())
    return wsgi


@pytest.mark.parametrize(
    ("accept", "charset"),
    [
        (None, "utf-8"),
        ("*", "utf-8"),
        ("iso-8859-15, utf-8;q=0.5", "iso-8859-15"),
        ("utf-16", "utf-16"),
        ("ISO-8859-15;q=0.2, utf-8;q=0.9", "utf-8"),
    ],
)
def test_encode_negotiates_the_charset(texts, accept, charset):
    headers = {"Accept-Charset": accept} if accept else None
    res = texts.get("/", headers=headers)
    assert res.status == "200 OK"
    assert res.headers["content-type"] == f"text/html;charset={charset}"
    assert res.body == "caf\u00e9 \u20ac".encode(charset)


@pytest.mark.parametrize(
    ("accept", "message"),
    [
        (
            "iso-8859-1",
            "Your client sent this Accept-Charset header: iso-8859-1. We tried these charsets: iso-8859-1.",
        ),
        (
            "ascii",
            "Your client sent this Accept-Charset header: ascii. We tried these charsets: ascii, iso-8859-1.",
        ),
        (
            "utf-8;q=0",
            "Your client sent this Accept-Charset header: utf-8;q=0. We tried these charsets: iso-8859-1.",
        ),
        (
            "unknown-cs",
            "Your client sent this Accept-Charset header: unknown-cs. We tried these charsets: iso-8859-1, unknown-cs.",
        ),
    ],
)
def test_encode_answers_406_when_no_charset_fits(texts, accept, message):
    res = texts.get("/", headers={"Accept-Charset": accept})
    assert res.status == "406 Not Acceptable"
    assert res.message == message


def test_encode_with_a_fixed_encoding(texts):
    res = texts.get("/ascii")
    assert res.status == "406 Not Acceptable"
    assert (
        res.message
        == "Your client did not send an Accept-Charset header. We tried these charsets: ascii."
    )
    assert texts.get("/ascii", headers={"Accept-Charset": "utf-8"}).code == 406


def test_encode_leaves_bytes_and_non_text_alone(texts):
    res = texts.get("/raw")
    assert res.headers["content-type"] == "text/html"
    assert res.body == b"bytes"
    res = texts.get("/json")
    assert res.headers["content-type"] == "application/json"
    res = texts.get("/json_text")
    assert res.headers["content-type"] == "application/json;charset=utf-8"
    assert res.body == '{"a": "\u00e9"}'.encode()


def test_encode_streams_and_can_skip_the_charset(texts):
    res = texts.get("/streamed")
    assert res.body == "caf\u00e9!".encode()
    assert res.headers["content-type"] == "text/html;charset=utf-8"
    res = texts.get("/no_charset")
    assert res.headers["content-type"] == "text/html"
    assert res.body == "caf\u00e9".encode()
    # Without a charset to encode to, a str body is a handler bug.
    res = texts.get("/no_charset_text")
    assert res.code == 500
    assert "Page handlers MUST return bytes" in res.traceback


class Slashes:
    @cherrypy.expose
    def index(self):
        return "root"

    @cherrypy.expose
    def page(self):
        return "page"

    class sub:
        @cherrypy.expose
        def index(self):
            return "sub"

    sub = sub()


def test_trailing_slash_added_to_index_urls(wsgi):
    cherrypy.tree.mount(Slashes())
    res = wsgi.get("/sub")
    assert res.status == "301 Moved Permanently"
    assert res.headers["location"] == "http://localhost:8080/sub/"
    res = wsgi.get("/sub", query="a=b")
    assert res.headers["location"] == "http://localhost:8080/sub/?a=b"
    assert wsgi.get("/sub/").text == "sub"
    assert wsgi.get("/page/").text == "page"


def test_trailing_slash_options(wsgi):
    cherrypy.tree.mount(Slashes(), "/extra", {"/": {"tools.trailing_slash.extra": True}})
    cherrypy.tree.mount(Slashes(), "/status", {"/": {"tools.trailing_slash.status": 302}})
    cherrypy.tree.mount(Slashes(), "/off", {"/": {"tools.trailing_slash.on": False}})
    res = wsgi.get("/extra/page/")
    assert res.status == "301 Moved Permanently"
    assert res.headers["location"] == "http://localhost:8080/extra/page"
    res = wsgi.get("/status/sub")
    assert res.status == "302 Found"
    assert res.headers["location"] == "http://localhost:8080/status/sub/"
    assert wsgi.get("/off/sub").text == "sub"


def test_log_tracebacks_and_headers(wsgi, error_log):
    cherrypy.config.update({"tools.log_headers.on": True})

    class R:
        @cherrypy.expose
        def index(self):
            raise ValueError("logged failure")

    cherrypy.tree.mount(R())
    wsgi.get("/", headers={"X-Marker": "m1"})
    messages = error_log.messages
    assert any("ValueError: logged failure" in m for m in messages)
    headers = [m for m in messages if "Request Headers:" in m]
    assert len(headers) == 1
    # Names as the WSGI environ spells them, like CherryPy's own WSGI adapter.
    assert "\n  X-MARKER: m1" in headers[0]
    assert "\n  HOST: localhost:8080" in headers[0]


def test_log_tracebacks_off(wsgi, error_log):
    class R:
        @cherrypy.expose
        def index(self):
            raise ValueError("silent failure")

    cherrypy.tree.mount(R(), "", {"/": {"tools.log_tracebacks.on": False}})
    assert wsgi.get("/").code == 500
    assert not any("silent failure" in m for m in error_log.messages)


def test_tool_decorator_on_a_subclass_keeps_inherited_config(wsgi):
    cherrypy.tools.mytool = cherrypy.Tool("before_handler", tool_callable)

    class Base:
        _cp_config = {"my.inherited": "yes"}

        @cherrypy.expose
        def index(self):
            LOG.append(cherrypy.request.config.get("my.inherited"))
            return "x"

    @cherrypy.tools.mytool(x="sub")
    class Sub(Base):
        pass

    assert Base._cp_config == {"my.inherited": "yes"}
    cherrypy.tree.mount(Sub())
    assert run(wsgi, "/")[1] == ["tool x=sub y=None", "yes"]
