"""``cherrypy.testing.Client``: the whole pipeline in process, with no socket bound.

Every test runs with ``socket.socket.bind``, ``listen`` and ``connect`` replaced by functions
that fail (the ``no_socket`` fixture), so that "no socket" is checked, not assumed.  The
client is tested against every installed tool (``test_every_installed_tool_has_a_case``
compares the cases with ``python -m cherrypy plugins --json``) and dispatcher, and against
the error paths.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import socket
import threading
import xmlrpc.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel import cli
from cherrypy.testing import Client, DigestAuth, Response, engine_without_server

Factory = Callable[..., Client]


@pytest.fixture
def no_socket(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make binding, listening on and connecting any socket fail; list the attempts."""
    attempts: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def call(self: socket.socket, *args: Any) -> Any:
            attempts.append(f"{name}{args}")
            raise OSError(f"the test client must not {name} a socket")

        return call

    for name in ("bind", "listen", "connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse(name))
    return attempts


@pytest.fixture
def client(cherrypy_client_factory: Factory, no_socket: list[str]) -> Iterator[Factory]:
    """``client(root, config=None, script_name="", **options)``: a started Client."""
    yield cherrypy_client_factory
    assert no_socket == []


@pytest.fixture
def error_log() -> Iterator[list[str]]:
    """Messages written to ``cherrypy.log`` during the test."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(logging.Formatter().format(record))

    logger = logging.getLogger("cherrypy.error")
    handler = Collect(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


class Echo:
    """Shows what arrived: method, params, body, cookies, headers."""

    @cherrypy.expose
    def index(self, **params: Any) -> str:
        return json.dumps({"method": cherrypy.request.method, "params": params})

    @cherrypy.expose
    def raw(self) -> bytes:
        request = cherrypy.request
        return request.headers.get("Content-Type", "").encode() + b"|" + request.body.read()

    @cherrypy.expose
    def upload(self, f: Any, title: str = "") -> str:
        return f"{title}:{f.filename}:{f.content_type}:{f.file.read().decode()}"

    @cherrypy.expose
    def header(self, name: str) -> str:
        return cherrypy.request.headers.get(name, "-")


# -- requests and responses -------------------------------------------------------------


def test_methods_params_and_the_response(client: Factory) -> None:
    c = client(Echo())
    reply = c.get("/", params={"a": "1", "b": ["2", "3"]})
    assert (reply.status_code, reply.status, reply.reason) == (200, "200 OK", "OK")
    assert reply.json() == {"method": "GET", "params": {"a": "1", "b": ["2", "3"]}}
    assert (
        reply.headers["content-type"] == reply.headers["Content-Type"] == "text/html;charset=utf-8"
    )
    assert "CONTENT-LENGTH" in reply.headers and reply.body == reply.content == reply.text.encode()
    for method in ("post", "put", "patch", "delete", "options"):
        assert getattr(c, method)("/?x=1").json() == {
            "method": method.upper(),
            "params": {"x": "1"},
        }
    head = c.head("/")
    assert head.status_code == 200 and head.body == b""
    assert c.request("GET", "/", params=[("q", "é")]).json()["params"] == {"q": "é"}


def test_request_bodies_form_raw_json_and_files(client: Factory) -> None:
    c = client(Echo())
    assert c.post("/", data={"name": "ann", "tags": ["x", "y"]}).json()["params"] == {
        "name": "ann",
        "tags": ["x", "y"],
    }
    assert c.post(
        "/raw", data=b"\x00raw", headers={"Content-Type": "application/octet-stream"}
    ).body == (b"application/octet-stream|\x00raw")
    assert c.post("/raw", json={"k": [1]}).body == b'application/json|{"k": [1]}'
    reply = c.post("/upload", data={"title": "T"}, files={"f": ("notes.txt", b"hello")})
    assert reply.text == "T:notes.txt:text/plain:hello"
    assert c.get("/header", params={"name": "X-Token"}, headers={"x-token": "t1"}).text == "t1"


def test_client_wide_headers_base_url_and_environ(client: Factory) -> None:
    class Where:
        @cherrypy.expose
        def index(self) -> str:
            request = cherrypy.request
            return f"{request.base} {request.remote.ip} {request.headers.get('X-App')}"

    c = client(Where(), headers={"X-App": "a"}, base_url="https://example.org:8443")
    assert c.get("/", environ={"REMOTE_ADDR": "10.0.0.9"}).text == (
        "https://example.org:8443 10.0.0.9 a"
    )


def test_paths_are_below_the_script_name(client: Factory) -> None:
    class Hello:
        @cherrypy.expose
        def index(self) -> str:
            return cherrypy.url("/")

    c = client(Hello(), None, "/app")
    assert c.get("/").text == "http://127.0.0.1/app/"
    assert c.get("http://127.0.0.1/app/").text == "http://127.0.0.1/app/"
    assert c.get("http://127.0.0.1/").status_code == 404


def test_an_application_object_and_the_tree(client: Factory) -> None:
    class Hello:
        @cherrypy.expose
        def index(self) -> str:
            return "hi " + str(cherrypy.request.app.config["/"].get("who"))

    app = cherrypy.Application(Hello(), "/x", {"/": {"who": "app"}})
    assert client(app).get("/").text == "hi app"  # mounted by the client
    assert client().get("/x/").text == "hi app"  # whatever the tree serves
    floating = cherrypy.Application(Hello(), None, {"/": {"who": "floating"}})
    assert client(floating, None, "/f").get("/").text == "hi floating"


def test_cookies_persist_with_path_and_max_age(client: Factory) -> None:
    class Cookies:
        @cherrypy.expose
        def set(self, name: str, value: str, path: str = "/", max_age: str = "") -> str:
            cookie = cherrypy.response.cookie
            cookie[name] = value
            cookie[name]["path"] = path
            if max_age:
                cookie[name]["max-age"] = max_age
            return "set"

        @cherrypy.expose
        def show(self, *args: str) -> str:
            return ",".join(f"{k}={m.value}" for k, m in sorted(cherrypy.request.cookie.items()))

    c = client(Cookies())
    c.get("/set", params={"name": "a", "value": "1"})
    c.get("/set", params={"name": "b", "value": "2", "path": "/show/deep"})
    assert c.get("/show").text == "a=1"
    assert c.get("/show/deep").text == "a=1,b=2"
    assert c.cookie("a") == "1"
    c.get("/set", params={"name": "a", "value": "x", "max_age": "0"})
    assert c.get("/show").text == ""
    assert c.cookie("a") is None
    assert c.get("/show", headers={"Cookie": "own=3"}).text == "own=3"


class Redirects:
    @cherrypy.expose
    def index(self, **params: Any) -> str:
        return json.dumps([cherrypy.request.method, cherrypy.request.body.read().decode()])

    @cherrypy.expose
    def go(self, status: str) -> None:
        raise cherrypy.HTTPRedirect("/", int(status))

    @cherrypy.expose
    def loop(self) -> None:
        raise cherrypy.HTTPRedirect("/loop")


def test_redirects_are_followed_on_request(client: Factory) -> None:
    c = client(Redirects())
    reply = c.post("/go?status=303", data=b"body")
    assert reply.status_code == 303 and reply.headers["Location"] == "http://127.0.0.1/"
    expected = {301: "GET", 302: "GET", 303: "GET", 307: "POST", 308: "POST"}
    for status, method in expected.items():
        reply = c.post(f"/go?status={status}", data=b"body", follow_redirects=True)
        body = "body" if method == "POST" else ""
        assert reply.json() == [method, body], status
        assert [r.status_code for r in reply.history] == [status]
    assert c.request("PUT", "/go?status=302", follow_redirects=True).json()[0] == "PUT"
    with pytest.raises(RuntimeError, match="more than 30 redirects"):
        c.get("/loop", follow_redirects=True)
    c.follow_redirects = True
    assert c.get("/go?status=302").status_code == 200


def test_streamed_bodies_are_read_incrementally(client: Factory) -> None:
    produced: list[int] = []

    class Stream:
        @cherrypy.expose
        @cherrypy.config(**{"response.stream": True})
        def index(self) -> Iterator[bytes]:
            for n in range(3):
                produced.append(n)
                yield f"chunk{n};".encode()

    c = client(Stream())
    reply = c.get("/", stream=True)
    assert reply.status_code == 200 and produced == []
    chunks = reply.iter_bytes()
    assert next(chunks) == b"chunk0;" and produced == [0]
    assert next(chunks) == b"chunk1;" and produced == [0, 1]
    assert reply.body == b"chunk0;chunk1;chunk2;"  # the rest
    assert c.get("/").body == b"chunk0;chunk1;chunk2;"  # not streamed: read at once


# -- the engine ------------------------------------------------------------------------


def test_the_engine_runs_without_the_http_server(
    cherrypy_clean: None, no_socket: list[str]
) -> None:
    events: list[str] = []
    start = cherrypy.engine.subscribe("start", lambda: events.append("start"))
    stop = cherrypy.engine.subscribe("stop", lambda: events.append("stop"))
    try:

        class Hello:
            @cherrypy.expose
            def index(self) -> str:
                return str(cherrypy.engine.state)

        with Client(Hello()) as c:
            assert c.get("/").text == "states.STARTED"
            assert events == ["start"]
        assert events == ["start", "stop"]
        assert cherrypy.engine.state is not cherrypy.engine.states.STARTED
        assert "" not in cherrypy.tree.apps  # unmounted again
        assert Client(Hello()).get("/").text != "states.STARTED"  # no with: no engine
    finally:
        cherrypy.engine.unsubscribe("start", start)
        cherrypy.engine.unsubscribe("stop", stop)
    assert no_socket == []
    server = cherrypy.server
    assert server.start in cherrypy.engine.listeners["start"]  # subscribed again


def test_engine_without_server_leaves_a_running_engine_alone(cherrypy_clean: None) -> None:
    with engine_without_server():
        state = cherrypy.engine.state
        with engine_without_server():
            pass
        assert cherrypy.engine.state is state is cherrypy.engine.states.STARTED


# -- error paths -----------------------------------------------------------------------


class Errors:
    @cherrypy.expose
    def http_error(self) -> None:
        raise cherrypy.HTTPError(418, "short and stout")

    @cherrypy.expose
    def not_found(self) -> None:
        raise cherrypy.NotFound()

    @cherrypy.expose
    def redirect(self) -> None:
        raise cherrypy.HTTPRedirect(["/a", "/b"], 302)

    @cherrypy.expose
    def internal(self) -> None:
        raise cherrypy.InternalRedirect("/target", "from=internal")

    @cherrypy.expose
    def target(self, **params: Any) -> str:
        return f"target {params} {cherrypy.request.prev.path_info}"

    @cherrypy.expose
    def crash(self) -> None:
        raise ZeroDivisionError("kaboom")


@pytest.mark.parametrize("tracebacks", [True, False])
def test_error_paths(client: Factory, tracebacks: bool) -> None:
    c = client(Errors(), {"/": {"request.show_tracebacks": tracebacks}})
    teapot = c.get("/http_error")
    assert teapot.status == "418 I'm a Teapot" and "short and stout" in teapot.text
    assert c.get("/not_found").status_code == 404
    assert c.get("/nothing/here").status_code == 404
    moved = c.get("/redirect")
    assert moved.status_code == 302 and moved.headers["Location"] == "http://127.0.0.1/a"
    inner = c.get("/internal")
    assert inner.text == "target {'from': 'internal'} /internal"
    crash = c.get("/crash")
    assert crash.status_code == 500
    assert ("ZeroDivisionError: kaboom" in crash.text) is tracebacks
    assert ("Traceback (most recent call last)" in crash.text) is tracebacks


# -- dispatchers -------------------------------------------------------------------------


def test_method_dispatcher(client: Factory) -> None:
    class Resource:
        exposed = True

        def GET(self) -> str:
            return "got"

        def PUT(self, value: str) -> str:
            return "put " + value

    c = client(Resource(), {"/": {"request.dispatch": cherrypy.dispatch.MethodDispatcher()}})
    assert c.get("/").text == "got"
    assert c.put("/", data={"value": "v"}).text == "put v"
    refused = c.delete("/")
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD, PUT"


def test_routes_dispatcher(client: Factory) -> None:
    class Blog:
        def show(self, year: str) -> str:
            return "year " + year

    routes = cherrypy.dispatch.RoutesDispatcher()
    routes.connect("blog", "/blog/{year}", controller=Blog(), action="show")
    c = client(None, {"/": {"request.dispatch": routes}})
    assert c.get("/blog/2024").text == "year 2024"
    assert c.get("/elsewhere").status_code == 404


def test_virtual_host_dispatcher(client: Factory) -> None:
    class Site:
        @cherrypy.expose
        def index(self) -> str:
            return "main"

    class Shop:
        @cherrypy.expose
        def index(self) -> str:
            return "shop"

    root = Site()
    root.shop = Shop()  # type: ignore[attr-defined]
    vhost = cherrypy.dispatch.VirtualHost(**{"shop.example.com": "/shop"})
    c = client(root, {"/": {"request.dispatch": vhost}})
    assert c.get("/").text == "main"
    assert c.get("/", headers={"Host": "shop.example.com"}).text == "shop"
    assert c.get("http://shop.example.com/").text == "shop"


def test_xmlrpc_dispatcher_and_tool(client: Factory) -> None:
    from cherrypy._cptools import XMLRPCController

    class Api(XMLRPCController):
        @cherrypy.expose
        def add(self, a: int, b: int) -> int:
            return a + b

        @cherrypy.expose
        def divide(self, a: int, b: int) -> float:
            return a / b

    c = client(Api(), {"/": {"request.dispatch": cherrypy.dispatch.XMLRPCDispatcher()}})

    def call(method: str, *args: Any) -> Any:
        body = xmlrpc.client.dumps(args, method).encode()
        reply = c.post("/RPC2/", data=body, headers={"Content-Type": "text/xml"})
        assert reply.status_code == 200
        return xmlrpc.client.loads(reply.body)[0][0]

    assert call("add", 2, 3) == 5
    with pytest.raises(xmlrpc.client.Fault, match="division by zero"):
        call("divide", 1, 0)


# -- every installed tool ----------------------------------------------------------------


def _page(body: Any = "page", **config: Any) -> Any:
    """A root whose index returns ``body`` (or calls it), with ``config`` on the handler."""

    class Root:
        @cherrypy.expose
        @cherrypy.config(**config)
        def index(self, **params: Any) -> Any:
            return body() if callable(body) else body

    return Root()


def case_encode(c: Factory, tmp: Path, log: list[str]) -> None:
    reply = c(_page("é", **{"tools.encode.encoding": "latin-1"})).get("/")
    assert reply.body == "é".encode("latin-1") and reply.charset == "latin-1"
    assert reply.text == "é"


def case_trailing_slash(c: Factory, tmp: Path, log: list[str]) -> None:
    class Root:
        class sub:
            @cherrypy.expose
            def index(self) -> str:
                return "sub"

        sub = sub()  # type: ignore[misc,assignment]

    client = c(Root())
    assert client.get("/sub").headers["Location"] == "http://127.0.0.1/sub/"
    assert client.get("/sub", follow_redirects=True).text == "sub"


def case_log_tracebacks(c: Factory, tmp: Path, log: list[str]) -> None:
    assert c(_page(lambda: 1 / 0)).get("/").status_code == 500
    assert any("ZeroDivisionError" in line for line in log)


def case_log_headers(c: Factory, tmp: Path, log: list[str]) -> None:
    reply = c(_page(lambda: 1 / 0)).get("/", headers={"X-Marker": "m42"})
    assert reply.status_code == 500
    assert any("m42" in line for line in log)


def case_gzip(c: Factory, tmp: Path, log: list[str]) -> None:
    client = c(_page("squeeze me " * 20, **{"tools.gzip.on": True}))
    reply = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert reply.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(reply.body) == b"squeeze me " * 20
    assert "Content-Encoding" not in client.get("/").headers


def case_decode(c: Factory, tmp: Path, log: list[str]) -> None:
    class Root:
        @cherrypy.expose
        @cherrypy.tools.decode(encoding="latin-1")
        def index(self, word: str) -> str:
            return word

    body = b"word=caf%E9"
    reply = c(Root()).post(
        "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.text == "café"


def case_request_id(c: Factory, tmp: Path, log: list[str]) -> None:
    reply = c(_page(lambda: cherrypy.request.request_id, **{"tools.request_id.on": True})).get("/")
    assert reply.headers["X-Request-Id"] == reply.text != ""


def case_auth_basic(c: Factory, tmp: Path, log: list[str]) -> None:
    def check(realm: str, user: str, password: str) -> bool:
        return (user, password) == ("jon", "secret")

    config = {"tools.auth_basic.on": True, "tools.auth_basic.realm": "r"}
    client = c(
        _page(lambda: cherrypy.request.login, **config, **{"tools.auth_basic.checkpassword": check})
    )
    refused = client.get("/")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/", auth=("jon", "secret")).text == "jon"
    assert client.get("/", auth=("jon", "wrong")).status_code == 401


def case_auth_digest(c: Factory, tmp: Path, log: list[str]) -> None:
    from cherrypy.lib import auth_digest

    config = {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": "r",
        "tools.auth_digest.get_ha1": auth_digest.get_ha1_dict_plain({"jon": "secret"}),
        "tools.auth_digest.key": "a565c27146791cfb",
    }
    client = c(_page(lambda: cherrypy.request.login, **config))
    assert client.get("/").status_code == 401
    reply = client.get("/?q=1", auth=DigestAuth("jon", "secret"))
    assert reply.text == "jon"
    assert client.post("/", data={"a": "b"}, auth=DigestAuth("jon", "secret")).text == "jon"
    assert client.get("/", auth=DigestAuth("jon", "nope")).status_code == 401


def case_allow(c: Factory, tmp: Path, log: list[str]) -> None:
    client = c(_page(**{"tools.allow.on": True, "tools.allow.methods": ["GET"]}))
    assert client.get("/").status_code == 200
    assert client.post("/").status_code == 405


def case_accept(c: Factory, tmp: Path, log: list[str]) -> None:
    client = c(_page(**{"tools.accept.on": True, "tools.accept.media": "text/plain"}))
    assert client.get("/", headers={"Accept": "text/plain"}).status_code == 200
    assert client.get("/", headers={"Accept": "image/png"}).status_code == 406


def case_proxy(c: Factory, tmp: Path, log: list[str]) -> None:
    client = c(_page(lambda: cherrypy.request.base, **{"tools.proxy.on": True}))
    assert client.get("/", headers={"X-Forwarded-Host": "www.example.com"}).text == (
        "http://www.example.com"
    )


def case_response_headers(c: Factory, tmp: Path, log: list[str]) -> None:
    config = {"tools.response_headers.on": True, "tools.response_headers.headers": [("X-A", "1")]}
    assert c(_page(**config)).get("/").headers["x-a"] == "1"


def case_referer(c: Factory, tmp: Path, log: list[str]) -> None:
    config = {"tools.referer.on": True, "tools.referer.pattern": r"^http://good/"}
    client = c(_page(**config))
    assert client.get("/", headers={"Referer": "http://good/x"}).status_code == 200
    assert client.get("/", headers={"Referer": "http://bad/x"}).status_code == 403


def case_redirect(c: Factory, tmp: Path, log: list[str]) -> None:
    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "home"

        @cherrypy.expose
        @cherrypy.tools.redirect(url="/", internal=False)
        def old(self) -> str:
            return "never"

    reply = c(Root()).get("/old", follow_redirects=True)
    assert reply.text == "home" and reply.history[0].status_code == 303


def case_err_redirect(c: Factory, tmp: Path, log: list[str]) -> None:
    class Root:
        @cherrypy.expose
        def sorry(self) -> str:
            return "sorry"

        @cherrypy.expose
        @cherrypy.tools.err_redirect(url="/sorry")
        def index(self) -> str:
            raise ValueError("oops")

    assert c(Root()).get("/").text == "sorry"


def case_flatten(c: Factory, tmp: Path, log: list[str]) -> None:
    def nested() -> Iterator[Any]:
        yield b"a"
        yield iter([b"b", b"c"])

    assert c(_page(nested, **{"tools.flatten.on": True})).get("/").text == "abc"


def case_ignore_headers(c: Factory, tmp: Path, log: list[str]) -> None:
    config = {"tools.ignore_headers.on": True, "tools.ignore_headers.headers": ["X-Drop"]}
    page = _page(lambda: cherrypy.request.headers.get("X-Drop", "gone"), **config)
    assert c(page).get("/", headers={"X-Drop": "here"}).text == "gone"


def case_autovary(c: Factory, tmp: Path, log: list[str]) -> None:
    page = _page(lambda: cherrypy.request.headers.get("X-Lang", ""), **{"tools.autovary.on": True})
    assert "X-Lang" in c(page).get("/").headers["Vary"]


def case_params(c: Factory, tmp: Path, log: list[str]) -> None:
    class Root:
        @cherrypy.expose
        @cherrypy.tools.params()
        def index(self, n: int = 1) -> str:
            return str(n + 1)

    client = c(Root())
    assert client.get("/?n=41").text == "42"
    assert client.get("/?n=many").status_code == 400


def case_log_hooks(c: Factory, tmp: Path, log: list[str]) -> None:
    assert c(_page(**{"tools.log_hooks.on": True})).get("/").status_code == 200
    assert any("on_end_request" in line for line in log)


def case_sessions(c: Factory, tmp: Path, log: list[str]) -> None:
    def count() -> str:
        cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
        return str(cherrypy.session["n"])

    root = _page(count, **{"tools.sessions.on": True})
    alice, bob = c(root), c(None)
    assert [alice.get("/").text for _ in range(3)] == ["1", "2", "3"]
    assert bob.get("/").text == "1"  # another client, another cookie jar
    assert alice.cookie("session_id") not in (None, bob.cookie("session_id"))


def case_session_auth(c: Factory, tmp: Path, log: list[str]) -> None:
    def check(user: str, password: str) -> str | None:
        return None if (user, password) == ("ann", "pw") else "wrong"

    config = {
        "tools.sessions.on": True,
        "tools.session_auth.on": True,
        "tools.session_auth.check_username_and_password": check,
    }
    client = c(_page(lambda: "hello " + cherrypy.session["username"]), {"/": config})
    assert 'name="password"' in client.get("/").text  # the login form
    login = {"username": "ann", "password": "pw", "from_page": "/"}
    assert client.post("/do_login", data=login, follow_redirects=True).text == "hello ann"
    assert client.get("/").text == "hello ann"
    client.post("/do_logout", data={"from_page": "/"})
    assert 'name="password"' in client.get("/").text


def case_json_in(c: Factory, tmp: Path, log: list[str]) -> None:
    page = _page(lambda: str(cherrypy.request.json["n"] * 2), **{"tools.json_in.on": True})
    assert c(page).post("/", json={"n": 21}).text == "42"


def case_json_out(c: Factory, tmp: Path, log: list[str]) -> None:
    reply = c(_page({"key": "value"}, **{"tools.json_out.on": True})).get("/")
    assert reply.headers["Content-Type"] == "application/json" and reply.json() == {"key": "value"}


def case_cpstats(c: Factory, tmp: Path, log: list[str]) -> None:
    page = _page(
        lambda: str(cherrypy.request.cpstats_record["Bytes Read"]), **{"tools.cpstats.on": True}
    )
    assert c(page).post("/", data=b"12345").text in ("5", "None")


def case_caching(c: Factory, tmp: Path, log: list[str]) -> None:
    calls: list[int] = []

    def page() -> str:
        calls.append(1)
        return f"computed {len(calls)}"

    client = c(_page(page, **{"tools.caching.on": True}))
    first, second = client.get("/"), client.get("/")
    assert first.text == second.text == "computed 1" and calls == [1]
    assert "Age" in second.headers


def case_expires(c: Factory, tmp: Path, log: list[str]) -> None:
    client = c(_page(**{"tools.expires.on": True, "tools.expires.force": True}))
    reply = client.get("/")
    assert reply.headers["Cache-Control"] == "no-cache, must-revalidate"
    assert reply.headers["Pragma"] == "no-cache" and "Expires" in reply.headers


def case_etags(c: Factory, tmp: Path, log: list[str]) -> None:
    client = c(_page(**{"tools.etags.on": True, "tools.etags.autotags": True}))
    etag = client.get("/").headers["ETag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304


def case_xmlrpc(c: Factory, tmp: Path, log: list[str]) -> None:
    test_xmlrpc_dispatcher_and_tool(c)


def case_staticdir(c: Factory, tmp: Path, log: list[str]) -> None:
    (tmp / "css").mkdir()
    (tmp / "css" / "site.css").write_text("body {}")
    config = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tmp)}}
    client = c(_page(), config)
    reply = client.get("/static/css/site.css")
    assert reply.text == "body {}" and reply.headers["Content-Type"].startswith("text/css")
    modified = reply.headers["Last-Modified"]
    assert (
        client.get("/static/css/site.css", headers={"If-Modified-Since": modified}).status_code
        == 304
    )
    assert client.get("/static/css/missing.css").status_code == 404
    ranged = client.get("/static/css/site.css", headers={"Range": "bytes=0-3"})
    assert (ranged.status_code, ranged.body) == (206, b"body")


def case_staticfile(c: Factory, tmp: Path, log: list[str]) -> None:
    (tmp / "logo.png").write_bytes(b"\x89PNG fake")
    config = {
        "/logo.png": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(tmp / "logo.png"),
        }
    }
    reply = c(_page(), config).get("/logo.png")
    assert reply.body == b"\x89PNG fake" and reply.headers["Content-Type"] == "image/png"


def case_websocket(c: Factory, tmp: Path, log: list[str]) -> None:
    """The in-process client has no connection to hand over: the handshake is refused with a
    501 naming the cure; a malformed handshake is still a 400, a wrong version or a plain GET
    a 426."""
    client = c(_page("", **{"tools.websocket.on": True}))
    handshake = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    refused = client.get("/", headers=handshake)
    assert refused.status_code == 501 and "cherrypy-server" in refused.text
    assert client.get("/").status_code == 426
    bad_key = client.get("/", headers={**handshake, "Sec-WebSocket-Key": "short"})
    assert bad_key.status_code == 400
    old = client.get("/", headers={**handshake, "Sec-WebSocket-Version": "8"})
    assert old.status_code == 426 and old.headers["Sec-WebSocket-Version"] == "13"


TOOL_CASES: dict[str, Callable[[Factory, Path, list[str]], None]] = {
    name.removeprefix("case_"): case
    for name, case in dict(globals()).items()
    if name.startswith("case_")
}


def _installed_tools() -> set[str]:
    out = io.StringIO()
    assert cli.plugins_command(["--json"], out=out) == 0
    report = json.loads(out.getvalue())
    tools = set(report["builtin_tools"])
    for plugin in report["plugins"]:
        tools.update(plugin["tools"])
    return tools


def test_every_installed_tool_has_a_case() -> None:
    assert _installed_tools() - set(TOOL_CASES) == set()


@pytest.mark.parametrize("tool", sorted(TOOL_CASES))
def test_tool(client: Factory, tool: str, tmp_path: Path, error_log: list[str]) -> None:
    TOOL_CASES[tool](client, tmp_path, error_log)


def test_a_response_object_can_be_built_for_tests() -> None:
    from cherrypy.testing.wire import RequestInfo

    reply = Response(
        "201 Created",
        [("X-A", "1"), ("x-a", "2")],
        iter([b"a", b"b"]),
        lambda: None,
        RequestInfo("GET", "http://h/", {}, b""),
    )
    assert reply.headers["X-A"] == "1, 2" and reply.headers.get_all("x-A") == ["1", "2"]
    assert list(reply.headers) == ["X-A"] and len(reply.headers) == 1
    assert reply.body == b"ab" and list(reply.iter_bytes()) == [b"a", b"b"]


def test_threads_share_nothing_but_the_jar(client: Factory) -> None:
    c = client(Echo())
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(c.get("/").status_code)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 4
