"""Request and response objects through WSGI: attributes, headers, cookies, bodies, streaming,
finalize rules, HEAD and ``cherrypy.url()``."""

from __future__ import annotations

import pytest

import cherrypy

FORM = "application/x-www-form-urlencoded"


class Attrs:
    @cherrypy.expose
    def default(self, *args, **kwargs):
        r = cherrypy.request
        return repr(
            {
                "method": r.method,
                "base": r.base,
                "scheme": r.scheme,
                "script_name": r.script_name,
                "path_info": r.path_info,
                "query_string": r.query_string,
                "login": r.login,
                "is_index": r.is_index,
                "remote": (r.remote.ip, r.remote.port, r.remote.name),
                "local": (r.local.ip, r.local.port, r.local.name),
                "protocol": r.protocol,
                "server_protocol": r.server_protocol,
                "request_line": r.request_line,
                "params": sorted(r.params.items()),
                "args": r.args,
                "body_params": r.body.params,
                "environ_path": r.wsgi_environ["PATH_INFO"],
                "app": r.app.script_name,
                "stage": r.stage,
                "process_request_body": r.process_request_body,
                "closed": r.closed,
            }
        )

    @cherrypy.expose
    def headers(self):
        h = cherrypy.request.headers
        return repr(
            [
                type(h).__name__,
                h["x-custom"],
                h.get("X-CUSTOM"),
                "X-Custom" in h,
                "x-missing" in h,
                h.get("x-missing", "dflt"),
                [str(e) for e in h.elements("Accept")],
                [(e.value, e.qvalue) for e in h.elements("Accept")],
                [(e.value, e.params) for e in h.elements("X-List")],
            ]
        )

    @cherrypy.expose
    def cookies(self):
        cookie = cherrypy.request.cookie
        out = cherrypy.response.cookie
        out["a"] = "1"
        out["a"]["path"] = "/"
        out["a"]["max-age"] = 60
        out["b"] = "two words"
        return repr(sorted((k, v.value) for k, v in cookie.items()))

    @cherrypy.expose
    def unique(self):
        uid = cherrypy.request.unique_id
        return f"{uid} {uid}"


def attrs(res):
    import ast

    return ast.literal_eval(res.text)


@pytest.fixture
def app(wsgi):
    cherrypy.tree.mount(Attrs(), "/app")
    return wsgi


def test_request_attributes(app):
    res = app.get(
        "/app/some/path",
        query="x=1&y=2&y=3",
        headers={"Host": "example.org:8080"},
        extra={"REMOTE_USER": "bob", "REMOTE_HOST": "client.example"},
    )
    got = attrs(res)
    assert got == {
        "method": "GET",
        "base": "http://example.org:8080",
        "scheme": "http",
        "script_name": "/app",
        "path_info": "/some/path",
        "query_string": "x=1&y=2&y=3",
        "login": "bob",
        "is_index": False,
        "remote": ("127.0.0.2", 5555, "client.example"),
        "local": ("", 8080, "localhost"),
        "protocol": (1, 1),
        "server_protocol": "HTTP/1.1",
        "request_line": "GET /app/some/path?x=1&y=2&y=3 HTTP/1.1",
        "params": [("x", "1"), ("y", ["2", "3"])],
        "args": ("some", "path"),
        "body_params": {},
        "environ_path": "/some/path",
        "app": "/app",
        "stage": "handler",
        "process_request_body": False,
        "closed": False,
    }


def test_request_attributes_of_a_post(app):
    res = app.post("/app/x/", "p=1&q=2", scheme="https", protocol="HTTP/1.0")
    got = attrs(res)
    assert got["method"] == "POST"
    assert got["scheme"] == "https"
    assert got["base"] == "https://localhost:8080"
    assert got["protocol"] == (1, 0)
    assert got["params"] == [("p", "1"), ("q", "2")]
    assert got["body_params"] == {"p": "1", "q": "2"}
    assert got["process_request_body"] is True
    assert got["is_index"] is True
    assert got["login"] is None


def test_request_headers_are_a_case_insensitive_headermap(app):
    res = app.get(
        "/app/headers",
        headers={
            "X-Custom": "c",
            "Accept": "text/html;q=0.5, application/json, */*;q=0.1",
            "X-List": "a;x=1, b",
        },
    )
    assert attrs(res) == [
        "HeaderMap",
        "c",
        "c",
        True,
        False,
        "dflt",
        ["application/json", "text/html;q=0.5", "*/*;q=0.1"],
        [("application/json", 1.0), ("text/html", 0.5), ("*/*", 0.1)],
        [("b", {}), ("a", {"x": "1"})],
    ]


def test_cookies_in_and_out(app):
    res = app.get("/app/cookies", headers={"Cookie": "x=1; y=2"})
    assert res.text == "[('x', '1'), ('y', '2')]"
    assert res.all("Set-Cookie") == ["a=1; Max-Age=60; Path=/", 'b="two words"']


def test_unique_id_is_a_stable_uuid_per_request(app):
    first = app.get("/app/unique").text.split()
    second = app.get("/app/unique").text.split()
    assert first[0] == first[1]
    assert len(first[0]) == 36
    assert first[0] != second[0]


def test_wsgi_environ_is_the_environ_of_the_request(wsgi):
    class R:
        @cherrypy.expose
        def index(self):
            env = cherrypy.request.wsgi_environ
            return f"{env['REQUEST_METHOD']} {env['wsgi.url_scheme']} {env.get('HTTP_X_Y')}"

    cherrypy.tree.mount(R())
    assert wsgi.get("/", headers={"X-Y": "z"}).text == "GET http z"


def test_request_body_read_and_processors(wsgi):
    class R:
        @cherrypy.expose
        def raw(self):
            body = cherrypy.request.body
            return b"|".join([body.content_type.value.encode(), body.read()])

        @cherrypy.expose
        def upload(self, name=None, file=None):
            return f"{name} {file.filename} {file.content_type.value} {file.file.read()!r}"

    cherrypy.tree.mount(R())
    res = wsgi.post("/raw", b'{"a": 1}', content_type="application/json")
    assert res.text == 'application/json|{"a": 1}'
    body = (
        b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\nvalue\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile content\r\n--B--\r\n"
    )
    res = wsgi.post("/upload", body, content_type="multipart/form-data; boundary=B")
    assert res.text == "value a.txt text/plain b'file content'"


def test_process_request_body_off_leaves_the_body_unread(wsgi):
    class R:
        @cherrypy.expose
        def index(self, **kwargs):
            return f"{sorted(kwargs)} {cherrypy.request.body.read()!r}"

    cherrypy.tree.mount(R(), "", {"/": {"request.process_request_body": False}})
    assert wsgi.post("/", "a=1").text == "[] b'a=1'"


# -- responses -------------------------------------------------------------------------------


class Bodies:
    @cherrypy.expose
    def text(self):
        return "caf\u00e9"

    @cherrypy.expose
    def raw(self):
        return b"raw"

    @cherrypy.expose
    def listed(self):
        return ["x", b"y"]

    @cherrypy.expose
    def nothing(self):
        return None

    @cherrypy.expose
    def generator(self):
        yield "a"
        yield b"b"

    @cherrypy.expose
    def fileobj(self):
        import io

        return io.BytesIO(b"from a file")

    @cherrypy.expose
    def streamed(self):
        cherrypy.response.stream = True

        def body():
            yield b"1"
            yield "2"

        return body()

    @cherrypy.expose
    def streamed_with_length(self):
        cherrypy.response.stream = True
        cherrypy.response.headers["Content-Length"] = "2"
        return iter([b"o", b"k"])

    @cherrypy.expose
    def status(self, code):
        cherrypy.response.status = code
        return "ignored body"

    @cherrypy.expose
    def headers(self):
        cherrypy.response.headers["X-Test"] = "v"
        cherrypy.response.headers["content-type"] = "text/plain"
        return "ok"

    @cherrypy.expose
    def number(self):
        return 12


@pytest.fixture
def bodies(wsgi):
    cherrypy.tree.mount(Bodies())
    return wsgi


def test_default_response_headers(bodies):
    res = bodies.get("/raw")
    assert res.status == "200 OK"
    assert [name for name, _ in res.header_list] == [
        "Content-Type",
        "Server",
        "Date",
        "Content-Length",
    ]
    assert res.headers["server"] == "CherryPy/18.10.0"
    assert res.headers["content-type"] == "text/html;charset=utf-8"
    assert res.headers["content-length"] == "3"
    assert res.headers["date"].endswith(" GMT")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/text", "caf\u00e9".encode()),
        ("/raw", b"raw"),
        ("/listed", b"xy"),
        ("/nothing", b""),
        ("/generator", b"ab"),
        ("/fileobj", b"from a file"),
    ],
)
def test_body_types(bodies, path, body):
    res = bodies.get(path)
    assert res.status == "200 OK"
    assert res.body == body
    assert res.headers["content-length"] == str(len(body))


def test_non_iterable_body_is_an_error(bodies):
    assert bodies.get("/number").code == 500


def test_streaming_response_has_no_content_length(bodies):
    res = bodies.get("/streamed")
    assert res.body == b"12"
    assert "content-length" not in res.headers
    res = bodies.get("/streamed_with_length")
    assert res.body == b"ok"
    assert res.headers["content-length"] == "2"


def test_response_headers(bodies):
    res = bodies.get("/headers")
    assert res.headers["x-test"] == "v"
    assert res.headers["content-type"] == "text/plain;charset=utf-8"


@pytest.mark.parametrize("code", ["204", "304"])
def test_no_content_statuses_drop_body_and_headers(bodies, code):
    res = bodies.get("/status", query=f"code={code}")
    assert res.code == int(code)
    assert res.body == b""
    assert "content-length" not in res.headers
    assert "content-type" not in res.headers


def test_informational_status_has_no_body(bodies):
    res = bodies.get("/status", query="code=100")
    assert res.status == "100 Continue"
    assert res.body == b""
    assert "content-length" not in res.headers


def test_reset_content_has_no_body(bodies):
    res = bodies.get("/status", query="code=205")
    assert res.status == "205 Reset Content"
    assert res.body == b""


def test_custom_reason_phrase(bodies):
    assert bodies.get("/status", query="code=299 Fine").status == "299 Fine"


def test_invalid_response_status_is_500(bodies):
    res = bodies.get("/status", query="code=abc")
    assert res.status == "500 Internal Server Error"
    assert res.message == "Illegal response status from server ('abc' is non-numeric)."
    res = bodies.get("/status", query="code=999")
    assert res.status == "500 Internal Server Error"
    assert res.message == "Illegal response status from server (999 is out of range)."


def test_head_has_headers_but_no_body(bodies):
    get = bodies.get("/generator")
    head = bodies.get("/generator", method="HEAD")
    assert head.status == "200 OK"
    assert head.body == b""
    assert head.headers["content-length"] == get.headers["content-length"] == "2"
    error = bodies.get("/status", method="HEAD", query="code=abc")
    assert error.code == 500
    assert error.body == b""


def test_response_attributes_from_config(wsgi):
    class R:
        @cherrypy.expose
        def index(self):
            return "x"

    cherrypy.tree.mount(R(), "", {"/": {"response.headers.X-Site": "s", "response.stream": False}})
    res = wsgi.get("/")
    assert res.headers["x-site"] == "s"


def test_request_and_response_proxies_outside_a_request():
    request = cherrypy.request
    assert request.method == "GET"
    assert cherrypy.response.status in (None, "")
    assert cherrypy.serving.request is not None


# -- cherrypy.url() --------------------------------------------------------------------------


class Urls:
    @cherrypy.expose
    def index(self):
        u = cherrypy.url
        return " ".join(
            [
                u(),
                u("x"),
                u("/abs"),
                u("x", "a=1"),
                u("../up"),
                u("y", relative=True),
                u("/z/w", relative="server"),
                u("q", qs={"a": "b c"}),
                u("/p", script_name="/other"),
                u("", base="https://h"),
            ]
        )

    @cherrypy.expose
    def page(self):
        u = cherrypy.url
        return " ".join([u(), u("x"), u("../y"), u("z", relative=True), u("/a/b", relative=True)])

    @cherrypy.expose
    def default(self, *args):
        u = cherrypy.url
        return " ".join([u(), u("x"), u(relative=True)])


def test_url_forms(wsgi):
    cherrypy.tree.mount(Urls())
    assert wsgi.get("/").text == (
        "http://localhost:8080/ http://localhost:8080/x http://localhost:8080/abs "
        "http://localhost:8080/x?a=1 http://localhost:8080/up y /z/w "
        "http://localhost:8080/q?a=b+c http://localhost:8080/other/p https://h/"
    )
    cherrypy.tree.mount(Urls(), "/urls")
    assert wsgi.get("/urls/").text == (
        "http://localhost:8080/urls/ http://localhost:8080/urls/x http://localhost:8080/urls/abs "
        "http://localhost:8080/urls/x?a=1 http://localhost:8080/urls/up y /urls/z/w "
        "http://localhost:8080/urls/q?a=b+c http://localhost:8080/other/p https://h/urls/"
    )
    assert wsgi.get("/urls/page").text == (
        "http://localhost:8080/urls/page http://localhost:8080/urls/x http://localhost:8080/urls/y z a/b"
    )
    assert (
        wsgi.get("/page").text
        == "http://localhost:8080/page http://localhost:8080/x http://localhost:8080/y z a/b"
    )
    assert (
        wsgi.get("/urls/d1/d2").text
        == "http://localhost:8080/urls/d1/d2 http://localhost:8080/urls/d1/x d2"
    )
    assert wsgi.get("/urls/page", headers={"Host": "ex.org"}, scheme="https").text.startswith(
        "https://ex.org/urls/page "
    )


def test_url_follows_app_relative_urls(wsgi):
    app = cherrypy.tree.mount(Urls(), "/urls")
    app.relative_urls = "server"
    # '..' never climbs above the application's root (CherryPy 18 glues 'y' to '/urls').
    assert wsgi.get("/urls/page").text == "/urls/page /urls/x /urls/y z a/b"


def test_url_outside_a_request():
    assert cherrypy.url("/x", base="http://example.com") == "http://example.com/x"
    assert (
        cherrypy.url("/x", qs="a=1", base="http://example.com", script_name="/app")
        == "http://example.com/app/x?a=1"
    )
