"""Errors through WSGI: HTTPError, redirects, NotFound, internal redirects, error pages,
tracebacks, exception trapping and bad input (always a 4xx, never a traceback in production)."""

from __future__ import annotations

import pytest

import cherrypy

FORM = "application/x-www-form-urlencoded"


class Root:
    @cherrypy.expose
    def index(self):
        return "hello"

    @cherrypy.expose
    def redirect(self, to="/x", status=None):
        raise cherrypy.HTTPRedirect(to, status and int(status))

    @cherrypy.expose
    def redirect_many(self):
        raise cherrypy.HTTPRedirect(["/a", "/b?x=<i>\"'&"], 300)

    @cherrypy.expose
    def redirect_script(self):
        raise cherrypy.HTTPRedirect('/x?a="><script>alert(1)</script>')

    @cherrypy.expose
    def redirect_crlf(self, absolute=None):
        base = "http://example.com/" if absolute else "/x"
        raise cherrypy.HTTPRedirect(base + "\r\nSet-Cookie: evil=1\r\n\r\n<html>")

    @cherrypy.expose
    def error(self, code="500", msg=None):
        raise cherrypy.HTTPError(int(code), msg)

    @cherrypy.expose
    def error_reason(self):
        raise cherrypy.HTTPError("403 Go Away", "<b>no</b>")

    @cherrypy.expose
    def error_status_text(self):
        raise cherrypy.HTTPError("abc")

    @cherrypy.expose
    def notfound(self):
        raise cherrypy.NotFound()

    @cherrypy.expose
    def boom(self):
        raise ValueError("secret detail")

    @cherrypy.expose
    def handled(self):
        with cherrypy.HTTPError.handle(KeyError, 418, "teapot"):
            raise KeyError("x")

    @cherrypy.expose
    def handled_default_message(self):
        with cherrypy.HTTPError.handle((KeyError, ValueError), 400):
            raise ValueError("bad value")

    @cherrypy.expose
    def unhandled(self):
        with cherrypy.HTTPError.handle(KeyError, 400):
            raise ValueError("passes through")

    @cherrypy.expose
    def internal(self):
        raise cherrypy.InternalRedirect("/target?a=1")

    @cherrypy.expose
    def internal_relative(self, **kwargs):
        raise cherrypy.InternalRedirect("target", "a=rel")

    @cherrypy.expose
    def target(self, a=None):
        prev = cherrypy.request.prev
        return f"target a={a} prev={prev and prev.path_info} method={cherrypy.request.method}"

    @cherrypy.expose
    def loop(self):
        raise cherrypy.InternalRedirect("/loop")

    @cherrypy.expose
    def pingpong(self, side="a"):
        raise cherrypy.InternalRedirect("/pingpong", "side=" + ("b" if side == "a" else "a"))

    @cherrypy.expose
    def header_crlf(self):
        cherrypy.response.headers["X-Evil"] = "a\r\nSet-Cookie: evil=1"
        return "x"

    @cherrypy.expose
    def late_error(self):
        cherrypy.response.stream = True

        def body():
            yield b"first"
            raise ValueError("late")

        return body()


@pytest.fixture
def app(wsgi):
    cherrypy.tree.mount(Root())
    return wsgi


def test_http_error_statuses_and_messages(app):
    res = app.get("/error", query="code=404&msg=<x>")
    assert res.status == "404 Not Found"
    assert res.message == "&lt;x&gt;"
    assert res.headers["content-type"] == "text/html;charset=utf-8"
    assert "<title>404 Not Found</title>" in res.text
    res = app.get("/error_reason")
    assert res.status == "403 Go Away"
    assert res.message == "&lt;b&gt;no&lt;/b&gt;"
    res = app.get("/error", query="code=401")
    assert res.status == "401 Unauthorized"
    assert res.message == "No permission -- see authorization schemes"


def test_http_error_default_500_and_invalid_codes(app):
    res = app.get("/error")
    assert res.status == "500 Internal Server Error"
    assert res.message == (
        "The server encountered an unexpected condition which prevented it from fulfilling the request."
    )
    # Codes outside 400-599 are refused with a 500.
    assert app.get("/error", query="code=399").code == 500
    assert app.get("/error", query="code=600").code == 500
    res = app.get("/error_status_text")
    assert res.status == "500 Internal Server Error"
    assert res.message == "Illegal response status from server ('abc' is non-numeric)."


def test_http_error_unregistered_code_has_empty_reason(app):
    assert app.get("/error", query="code=499").status == "499 "


def test_http_error_handle(app):
    res = app.get("/handled")
    assert res.status == "418 I'm a Teapot"
    assert res.message == "teapot"
    res = app.get("/handled_default_message")
    assert res.status == "400 Bad Request"
    assert res.message == "bad value"
    assert app.get("/unhandled").code == 500


def test_error_pages_are_padded_for_old_browsers(app):
    cherrypy.config.update({"error_page.404": lambda **kw: "tiny"})
    res = app.get("/notfound")
    assert res.code == 404
    assert len(res.body) == 513
    assert res.body.rstrip(b" ") == b"tiny"
    assert res.headers["content-length"] == "513"


def test_not_found(app):
    res = app.get("/notfound")
    assert res.status == "404 Not Found"
    assert res.message == "The path '/notfound' was not found."
    assert "NotFound: (404, \"The path '/notfound' was not found.\")" in res.traceback


@pytest.mark.parametrize(
    ("status", "line", "lead"),
    [
        (300, "300 Multiple Choices", "This resource can be found at "),
        (301, "301 Moved Permanently", "This resource has permanently moved to "),
        (302, "302 Found", "This resource resides temporarily at "),
        (303, "303 See Other", "This resource can be found at "),
        (307, "307 Temporary Redirect", "This resource has moved temporarily to "),
        (308, "308 Permanent Redirect", "This resource has been moved to "),
    ],
)
def test_redirect_statuses(app, status, line, lead):
    res = app.get("/redirect", query=f"status={status}")
    assert res.status == line
    assert res.headers["location"] == "http://localhost:8080/x"
    assert res.headers["content-type"] == "text/html;charset=utf-8"
    assert res.text == f'{lead}<a href="http://localhost:8080/x">http://localhost:8080/x</a>.'
    assert res.headers["content-length"] == str(len(res.body))


def test_redirect_304_and_305(app):
    res = app.get("/redirect", query="status=304")
    assert res.status == "304 Not Modified"
    assert res.body == b""
    assert "location" not in res.headers
    res = app.get("/redirect", query="status=305")
    assert res.status == "305 Use Proxy"
    assert res.headers["location"] == "http://localhost:8080/x"
    assert res.body == b""


def test_redirect_default_status_depends_on_protocol(app):
    assert app.get("/redirect").status == "303 See Other"
    assert app.get("/redirect", protocol="HTTP/1.0").status == "302 Found"


def test_redirect_targets_are_resolved(app):
    assert app.get("/redirect", query="to=rel").headers["location"] == "http://localhost:8080/rel"
    assert app.get("/redirect", query="to=http://ex.com/").headers["location"] == "http://ex.com/"
    res = app.get("/redirect", query="to=/x", scheme="https", headers={"Host": "example.org"})
    assert res.headers["location"] == "https://example.org/x"


def test_redirect_body_is_escaped(app):
    res = app.get("/redirect_many")
    assert res.status == "300 Multiple Choices"
    assert res.headers["location"] == "http://localhost:8080/a"
    assert res.text == (
        'This resource can be found at <a href="http://localhost:8080/a">http://localhost:8080/a</a>.<br />\n'
        'This resource can be found at <a href="http://localhost:8080/b?x=&lt;i&gt;&quot;\'&amp;">'
        "http://localhost:8080/b?x=&lt;i&gt;\"'&amp;</a>."
    )
    res = app.get("/redirect_script")
    assert "<script>" not in res.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in res.text


@pytest.mark.parametrize("absolute", ["", "1"])
def test_redirect_cannot_inject_headers(app, absolute):
    res = app.get("/redirect_crlf", query=f"absolute={absolute}")
    assert res.code in (303, 500)
    assert all("\r" not in v and "\n" not in v for _, v in res.header_list)
    assert "set-cookie" not in res.headers
    if res.code == 303:
        assert "<html>" not in res.text


def test_response_header_with_crlf_is_never_sent(app):
    res = app.get("/header_crlf")
    assert "set-cookie" not in res.headers
    assert all("\r" not in v and "\n" not in v for _, v in res.header_list)


def test_redirect_status_must_be_3xx():
    with pytest.raises(ValueError):
        cherrypy.HTTPRedirect("/x", 200)


def test_internal_redirect(app):
    res = app.get("/internal")
    assert res.text == "target a=1 prev=/internal method=GET"
    res = app.post("/internal_relative", "ignored=1")
    assert res.text == "target a=rel prev=/internal_relative method=GET"


def test_internal_redirect_loop_is_refused(app, error_log):
    res = app.get("/loop")
    assert res.status == "500 Internal Server Error"
    assert res.headers["content-type"] == "text/plain"
    assert res.text.startswith("Unrecoverable error in the server.")
    assert "InternalRedirector visited the same URL twice: '/loop'" in res.text
    assert any("visited the same URL twice" in m for m in error_log.messages)
    # Different query strings are different URLs: a ping-pong is caught too.
    assert "visited the same URL twice" in app.get("/pingpong", query="side=a").text


def test_internal_redirect_loop_hides_traceback_in_production(app):
    cherrypy.config.update({"environment": "production"})
    res = app.get("/loop")
    assert res.status == "500 Internal Server Error"
    assert res.text == "Unrecoverable error in the server.\n"


def test_internal_redirect_recursive_allowed_by_config(wsgi):
    class Counter:
        hits = 0

        @cherrypy.expose
        def index(self, n="0"):
            n = int(n)
            if n < 3:
                raise cherrypy.InternalRedirect("/", f"n={n + 1}")
            return f"done {n}"

    cherrypy.tree.mount(Counter(), "", {"/": {"wsgi.InternalRedirector.recursive": True}})
    assert wsgi.get("/").text == "done 3"


def test_uncaught_exception_is_a_500_with_traceback(app, error_log):
    res = app.get("/boom")
    assert res.status == "500 Internal Server Error"
    assert "ValueError: secret detail" in res.traceback
    assert any("ValueError: secret detail" in m for m in error_log.messages)


def test_a_tool_whose_setup_fails_is_a_logged_500(wsgi, error_log):
    # The path's pipeline cannot be built, so tools.log_tracebacks is not installed either:
    # the error must still reach the error log, naming the path and the cause.
    def broken_setup() -> None:
        raise RuntimeError("storage_path '/nowhere' does not exist")

    tool = cherrypy.Tool("before_handler", lambda: None, "broken_setup_tool")
    tool._setup = broken_setup
    object.__setattr__(cherrypy.tools, "broken_setup_tool", tool)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.broken_setup_tool.on": True}})
    res = wsgi.get("/")
    assert res.status == "500 Internal Server Error"
    logged = "\n".join(error_log.messages)
    assert "Could not build the request pipeline for '/'" in logged
    assert "RuntimeError: storage_path '/nowhere' does not exist" in logged


def test_app_hides_tracebacks_of_errors_raised_before_its_pipeline(wsgi):
    # A failing dispatcher runs before the path's config applies; the app's
    # request.show_tracebacks must still be honoured for its 500.
    def failing_dispatcher(path_info: str) -> None:
        raise ValueError("dispatcher detail")

    conf = {"/": {"request.dispatch": failing_dispatcher, "request.show_tracebacks": False}}
    cherrypy.tree.mount(Root(), "", conf)
    res = wsgi.get("/")
    assert res.status == "500 Internal Server Error"
    assert "dispatcher detail" not in res.text


def test_show_tracebacks_off(app):
    cherrypy.config.update({"request.show_tracebacks": False})
    res = app.get("/boom")
    assert res.code == 500
    assert res.traceback == ""
    assert "secret detail" not in res.text


def test_production_hides_tracebacks_and_mismatch_details(app):
    cherrypy.config.update({"environment": "production"})
    res = app.get("/boom")
    assert res.code == 500
    assert "secret detail" not in res.text
    assert "Traceback" not in res.text
    res = app.get("/redirect", query="to=/x&extra=1")
    assert res.code == 404
    assert res.message == "Nothing matches the given URI"
    assert "Traceback" not in res.text


def test_exception_trapper_catches_errors_while_streaming(app, error_log):
    res = app.get("/late_error")
    assert res.status == "500 Internal Server Error"
    assert res.exc_info is not None
    assert res.body.startswith(b"first")
    assert any("ValueError: late" in m for m in error_log.messages)


def test_exception_trapper_catches_errors_before_start_response(wsgi, error_log):
    # Errors raised inside the CherryPy pipeline are trapped by its ExceptionTrapper.
    app = cherrypy.tree.mount(Root())

    def explode(environ, start_response):
        raise RuntimeError("middleware failed")

    app.wsgiapp.pipeline.append(("explode", lambda nextapp: explode))
    app.wsgiapp.head = None
    res = wsgi.get("/")
    assert res.status == "500 Internal Server Error"
    assert "RuntimeError: middleware failed" in res.text
    assert any("middleware failed" in m for m in error_log.messages)


# -- error pages ---------------------------------------------------------------------------


def test_error_page_template_file(wsgi, tmp_path):
    template = tmp_path / "err.html"
    template.write_text("ERR %(status)s|%(message)s|%(version)s|%(traceback)s", encoding="utf-8")

    class R:
        @cherrypy.expose
        def forbidden(self):
            raise cherrypy.HTTPError(403, "<no>")

    cherrypy.tree.mount(
        R(),
        "",
        {
            "/": {
                "error_page.404": str(template),
                "error_page.default": str(template),
                "request.show_tracebacks": False,
            }
        },
    )
    res = wsgi.get("/missing")
    assert res.status == "404 Not Found"
    assert (
        res.text.rstrip(" ")
        == f"ERR 404 Not Found|The path '/missing' was not found.|{cherrypy.__version__}|"
    )
    res = wsgi.get("/forbidden")
    assert res.text.rstrip(" ") == f"ERR 403 Forbidden|&lt;no&gt;|{cherrypy.__version__}|"


def test_error_page_callable(wsgi):
    seen = {}

    def page(status, message, traceback, version):
        seen.update(status=status, message=message, version=version, has_tb=bool(traceback))
        return f"CALLED {status} {message}"

    class R:
        @cherrypy.expose
        def boom(self):
            raise ValueError("x")

    cherrypy.tree.mount(R(), "", {"/": {"error_page.default": page}})
    res = wsgi.get("/boom")
    assert res.status == "500 Internal Server Error"
    assert res.text.startswith(
        "CALLED 500 Internal Server Error The server encountered an unexpected condition"
    )
    assert seen["has_tb"] is True
    assert seen["version"] == cherrypy.__version__
    res = wsgi.get("/nothing")
    assert res.text.rstrip(" ") == "CALLED 404 Not Found The path '/nothing' was not found."


def test_error_page_specific_code_wins_over_default(wsgi):
    cherrypy.tree.mount(
        Root(),
        "",
        {
            "/": {
                "error_page.404": lambda **kw: "specific",
                "error_page.default": lambda **kw: "default",
            }
        },
    )
    assert wsgi.get("/missing").text.rstrip(" ") == "specific"
    assert wsgi.get("/error", query="code=403").text.rstrip(" ") == "default"


def test_broken_error_page_falls_back_to_the_builtin_page(wsgi, tmp_path):
    cherrypy.tree.mount(
        Root(), "", {"/": {"error_page.404": str(tmp_path / "does-not-exist.html")}}
    )
    res = wsgi.get("/missing")
    assert res.status == "404 Not Found"
    assert "In addition, the custom error page failed:" in res.message
    assert "No such file or directory" in res.message


def test_error_response_can_be_replaced(wsgi):
    def custom():
        cherrypy.response.status = 503
        cherrypy.response.headers["Content-Type"] = "text/plain"
        cherrypy.response.body = b"custom error response"

    cherrypy.tree.mount(Root(), "", {"/": {"request.error_response": custom}})
    res = wsgi.get("/boom")
    assert res.status == "503 Service Unavailable"
    assert res.text == "custom error response"


# -- bad input ------------------------------------------------------------------------------


class Echo:
    @cherrypy.expose
    def index(self, *args, **kwargs):
        return f"ok {sorted(kwargs.items())!r}"

    @cherrypy.expose
    def body(self, **kwargs):
        return f"body {sorted(kwargs.items())!r}"

    @cherrypy.expose
    def raw(self):
        return b"raw " + cherrypy.request.body.read()


@pytest.fixture(params=["test_suite", "production"])
def echo(request, wsgi):
    cherrypy.config.update({"environment": request.param})
    cherrypy.tree.mount(Echo())
    cherrypy.tree.mount(Echo(), "/limited", {"/": {"request.body.maxbytes": 10}})
    wsgi.production = request.param == "production"
    return wsgi


def check_client_error(res, client, status, message=None):
    assert res.status == status
    if message is not None:
        assert res.message == message
    if client.production:
        assert "Traceback" not in res.text
        assert res.traceback in ("", None)


def test_undecodable_query_string_is_404(echo):
    res = echo.get("/", query="a=%ff")
    check_client_error(
        res,
        echo,
        "404 Not Found",
        "The given query string could not be processed. Query strings for this resource must be encoded with 'utf8'.",
    )


def test_malformed_query_strings_are_tolerated(echo):
    assert echo.get("/", query="a=%zz").text == "ok [('a', '%zz')]"
    assert echo.get("/", query="&&=&a").text == "ok [('', ''), ('a', '')]"
    assert echo.get("/", query="a=1;b=2").text == "ok [('a', '1'), ('b', '2')]"


def test_invalid_percent_encoding_in_path_is_404(echo):
    check_client_error(echo.get("/%zz/x"), echo, "404 Not Found")
    check_client_error(echo.get("/%ff"), echo, "404 Not Found")


def test_bad_cookie_is_400(echo):
    res = echo.get("/", headers={"Cookie": "a<b=1"})
    check_client_error(res, echo, "400 Bad Request", "Illegal key 'a&lt;b'")
    # Unparseable fragments are skipped, as the standard library does.
    assert echo.get("/", headers={"Cookie": "x=1; =;;"}).code == 200


def test_body_over_maxbytes_is_413(echo):
    res = echo.post("/limited/body", "a=0123456789012345")
    check_client_error(res, echo, "413 Request Entity Too Large")
    res = echo.post("/limited/raw", b"0123456789012345", content_type="application/octet-stream")
    check_client_error(res, echo, "413 Request Entity Too Large")
    assert echo.post("/limited/body", "a=1").text == "body [('a', '1')]"


def test_multipart_without_boundary_is_400(echo):
    res = echo.post("/body", b"--x\r\n", content_type="multipart/form-data")
    check_client_error(res, echo, "400 Bad Request", "Invalid boundary in multipart form: ''")


def test_undecodable_body_is_400(echo):
    message = (
        "The request entity could not be decoded. The following charsets were attempted: ['utf-8']"
    )
    check_client_error(echo.post("/body", b"a=%e9"), echo, "400 Bad Request", message)
    check_client_error(echo.post("/body", b"a=\xe9"), echo, "400 Bad Request", message)
    res = echo.post("/body", b"a=%e9", content_type=FORM + "; charset=no-such-charset")
    check_client_error(res, echo, "400 Bad Request")


def test_malformed_content_length_is_400(echo):
    res = echo.request(
        "/body",
        method="POST",
        body=b"a=1",
        headers={"Content-Type": FORM, "Content-Length": "abc"},
        validate=False,
    )
    check_client_error(res, echo, "400 Bad Request")
    res = echo.request(
        "/body",
        method="POST",
        body=b"a=1",
        headers={"Content-Type": FORM, "Content-Length": "-5"},
        validate=False,
    )
    check_client_error(res, echo, "400 Bad Request")


def test_missing_host_header_on_http11_is_400(echo):
    res = echo.get("/", extra={"HTTP_HOST": None})
    check_client_error(res, echo, "400 Bad Request", "HTTP/1.1 requires a 'Host' request header.")
    assert echo.get("/", protocol="HTTP/1.0", extra={"HTTP_HOST": None}).code == 200


def test_malformed_accept_charset_is_400(echo):
    res = echo.get("/", headers={"Accept-Charset": "utf-8;q=x"})
    check_client_error(res, echo, "400 Bad Request", "Malformed HTTP header: `utf-8;q=x`")


def test_encoded_word_header_that_cannot_be_decoded_is_kept(echo):
    assert echo.get("/", headers={"X-Bad": "=?utf-8?q?=E9?="}).code == 200
