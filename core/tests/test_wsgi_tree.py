"""The tree and its applications through WSGI: mount, graft, script names, several apps,
Application config and namespaces, per-app logs, the config checker, quickstart and the
seed's tutorials 1-4."""

from __future__ import annotations

import random
import string
import threading
import urllib.request
import warnings
import wsgiref.simple_server

import pytest

import cherrypy


class Hello:
    @cherrypy.expose
    def index(self):
        return "hello " + cherrypy.request.script_name

    @cherrypy.expose
    def where(self, **params):
        request = cherrypy.request
        return f"{request.script_name}|{request.path_info}|{cherrypy.url()}|{cherrypy.tree.script_name()}"


def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"grafted {environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]


def test_mount_returns_the_application(cpsite):
    app = cherrypy.tree.mount(Hello(), "/hello/", {"/": {"my.key": 1}})
    assert isinstance(app, cherrypy.Application)
    assert app.script_name == "/hello"
    assert cherrypy.tree.apps["/hello"] is app
    assert app.config["/"]["my.key"] == 1
    assert isinstance(app.root, Hello)


def test_several_apps_and_the_longest_script_name_wins(wsgi):
    cherrypy.tree.mount(Hello())
    cherrypy.tree.mount(Hello(), "/a")
    cherrypy.tree.mount(Hello(), "/a/b")
    assert wsgi.get("/").text == "hello "
    assert wsgi.get("/a/").text == "hello /a"
    assert wsgi.get("/a/b/").text == "hello /a/b"
    assert wsgi.get("/a/where").text == "/a|/where|http://localhost:8080/a/where|/a"
    assert wsgi.get("/a/b/where").text == "/a/b|/where|http://localhost:8080/a/b/where|/a/b"
    # /ab belongs to the root app, which has no 'ab' handler.
    res = wsgi.get("/ab/where")
    assert res.code == 404
    assert res.message == "The path '/ab/where' was not found."


def test_script_name_lookup(cpsite):
    cherrypy.tree.mount(Hello(), "/a")
    assert cherrypy.tree.script_name("/a/x/y") == "/a"
    assert cherrypy.tree.script_name("/a") == "/a"
    assert cherrypy.tree.script_name("/b") is None
    cherrypy.tree.mount(Hello())
    assert cherrypy.tree.script_name("/b") == ""


def test_no_app_for_the_path_is_404(wsgi):
    cherrypy.tree.mount(Hello(), "/only")
    res = wsgi.get("/elsewhere")
    assert res.status == "404 Not Found"
    assert res.body == b""


def test_graft_a_wsgi_app(wsgi):
    cherrypy.tree.mount(Hello())
    cherrypy.tree.graft(wsgi_app, "/wsgi")
    assert wsgi.get("/wsgi").text == "grafted /wsgi|"
    assert wsgi.get("/wsgi/a/b").text == "grafted /wsgi|/a/b"
    assert wsgi.get("/wsgix").code == 404
    assert cherrypy.tree.apps["/wsgi"] is wsgi_app


def test_mount_an_application_instance(wsgi):
    app = cherrypy.Application(Hello(), "/inst", {"/": {"my.key": "v"}})
    assert cherrypy.tree.mount(app) is app
    assert wsgi.get("/inst/").text == "hello /inst"
    with pytest.raises(ValueError):
        cherrypy.tree.mount(cherrypy.Application(Hello(), "/x"), "/y")


def test_mount_refuses_a_none_script_name(cpsite):
    with pytest.raises(TypeError):
        cherrypy.tree.mount(Hello(), None)


def test_application_is_a_wsgi_callable_reading_script_name_from_environ(cpsite):
    import io
    import sys
    import wsgiref.validate

    app = cherrypy.Application(Hello(), None)
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/dyn",
        "PATH_INFO": "/where",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    seen = {}
    result = wsgiref.validate.validator(app)(
        environ, lambda s, h, e=None: seen.setdefault("status", s)
    )
    body = b"".join(result)
    result.close()
    assert seen["status"] == "200 OK"
    assert body == b"/dyn|/where|http://localhost/dyn/where|None"


def test_application_config_merge_and_find_config(cpsite, tmp_path):
    app = cherrypy.Application(Hello())
    app.merge({"/": {"a.b": 1}, "/x": {"a.b": 2}})
    conf_file = tmp_path / "app.conf"
    conf_file.write_text("[/x/y]\na.b = 3\nc.d = 'text'\n", encoding="utf-8")
    app.merge(str(conf_file))
    assert app.find_config("/x/y/z", "a.b") == 3
    assert app.find_config("/x/q", "a.b") == 2
    assert app.find_config("/other", "a.b") == 1
    assert app.find_config("/other", "c.d", "dflt") == "dflt"
    assert app.find_config("/x/y", "c.d") == "text"
    with pytest.raises(ValueError):
        app.merge({"a.b": 1})


def test_application_namespaces(cpsite):
    seen = []
    app = cherrypy.Application(Hello())
    app.namespaces["custom"] = lambda key, value: seen.append((key, value))
    app.merge({"/": {"custom.thing": 1, "other.key": 2}, "/sub": {"custom.ignored": 3}})
    assert seen == [("thing", 1)]


def test_request_namespace_from_config_runs_per_request(wsgi):
    seen = []

    class R:
        @cherrypy.expose
        def index(self):
            return "x"

    app = cherrypy.tree.mount(R(), "", {"/": {"mine.key": "v"}})
    cherrypy._cprequest.Request.namespaces["mine"] = lambda key, value: seen.append(
        (key, value, cherrypy.request.path_info)
    )
    try:
        wsgi.get("/")
        wsgi.get("/")
    finally:
        del cherrypy._cprequest.Request.namespaces["mine"]
    assert seen == [("key", "v", "/"), ("key", "v", "/")]
    assert app.config["/"]["mine.key"] == "v"


def test_application_log_is_per_app(wsgi, tmp_path):
    error_file = tmp_path / "error.log"
    access_file = tmp_path / "access.log"

    class R:
        @cherrypy.expose
        def index(self):
            cherrypy.log("app message", "MYCTX")
            return "x"

    app = cherrypy.tree.mount(
        R(),
        "/logged",
        {"/": {"log.error_file": str(error_file), "log.access_file": str(access_file)}},
    )
    other = cherrypy.tree.mount(R(), "/other")
    try:
        assert app.log is not other.log
        assert app.log is not cherrypy.log
        wsgi.get("/logged/", headers={"Referer": "http://r/", "User-Agent": "UA/1"})
        wsgi.get("/other/")
        app.log.reopen_files()
    finally:
        app.log.error_file = ""
        app.log.access_file = ""
    errors = error_file.read_text(encoding="utf-8")
    assert "MYCTX app message" in errors
    access = access_file.read_text(encoding="utf-8").splitlines()
    assert len(access) == 1
    assert access[0].startswith("127.0.0.2 - - [")
    assert access[0].endswith('] "GET /logged/ HTTP/1.1" 200 1 "http://r/" "UA/1"')


def test_access_log_line_and_custom_format(wsgi, access_log):
    cherrypy.tree.mount(Hello(), "/a")
    wsgi.get(
        "/a/where",
        query="x=1",
        headers={"Referer": "http://ref/", "User-Agent": 'UA "quoted"'},
        extra={"REMOTE_USER": "bob"},
    )
    line = access_log.messages[-1]
    assert line.startswith("127.0.0.2 - bob [")
    body = "/a|/where|http://localhost:8080/a/where|/a"
    assert line.endswith(
        f'] "GET /a/where?x=1 HTTP/1.1" 200 {len(body)} "http://ref/" "UA \\"quoted\\""'
    )
    app = cherrypy.tree.apps["/a"]
    app.log.access_log_format = "{h} {s} {b} {o} {u}"
    try:
        wsgi.get("/a/", method="HEAD")
    finally:
        del app.log.access_log_format
    assert access_log.messages[-1] == "127.0.0.2 200 8 localhost:8080 -"


def test_relative_urls_attribute(wsgi):
    app = cherrypy.tree.mount(Hello(), "/rel")
    app.relative_urls = True
    assert wsgi.get("/rel/where").text.split("|")[2] == "where"


# -- checker and quickstart ----------------------------------------------------------------


def run_checker():
    cherrypy.checker.on = True  # the test_suite environment switches it off
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cherrypy.checker()
    return [str(w.message) for w in caught]


def test_checker_warns_about_an_empty_app_config(cpsite):
    cherrypy.tree.mount(Hello())
    assert run_checker() == ["The Application mounted at '' has an empty config."]


def test_checker_formats_its_warnings(cpsite):
    assert (
        cherrypy.checker.formatwarning("msg", UserWarning, "f.py", 1)
        == "CherryPy Checker:\nmsg\n\n"
    )


def test_checker_warns_about_config_mistakes(cpsite):
    cherrypy.tree.mount(
        Hello(),
        "/app",
        {
            "/app/x": {"a": 1},
            "[/br]": {},
            "/": {
                "server.socket_port": 80,
                "foo.bar": 1,
                "log_file": "x",
                "tools.nosuchtool.on": True,
                "cherrypy.tools.encode.on": True,
                "response.stream": "no",
            },
        },
    )
    got = run_checker()
    expected = [
        "The application mounted at '/app' has config section names with extraneous brackets: '[/br]'. "
        "Config *files* need brackets; config *dicts* (e.g. passed to tree.mount) do not.",
        "The application mounted at '/app' has config entries that start with its script name: '/app/x'",
        "'log_file' is obsolete. Use 'log.error_file' instead.\nsection: [/]",
        "The config entry 'foo.bar' is invalid, because the 'foo' config namespace is unknown.\nsection: [/]",
        "The config entry 'tools.nosuchtool.on' may be invalid, because the 'nosuchtool' tool was not found.\nsection: [/]",
        "The config entry 'cherrypy.tools.encode.on' is invalid; try 'tools.encode.on' instead.\nsection: [/]",
        "The config entry 'response.stream' in section '/' is of type 'str', which does not match the expected type 'bool'.",
        "The application mounted at '/app' contains the following config entries, which are only allowed in "
        "site-wide config. Move them to a [global] section and pass them to cherrypy.config.update() instead of "
        "tree.mount().\n[/] server.socket_port = 80",
    ]
    assert sorted(got) == sorted(expected)


def test_checker_can_be_switched_off(cpsite):
    cherrypy.tree.mount(Hello())
    cherrypy.config.update({"checker.on": False})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cherrypy.checker()
    assert caught == []


def test_quickstart_without_a_server_plugin_names_the_distribution(cpsite, monkeypatch, capsys):
    from cherrypy.kernel import compat

    monkeypatch.setattr(compat, "_table", {})
    monkeypatch.delattr(cherrypy, "server", raising=False)
    with pytest.raises(SystemExit) as exit_:
        cherrypy.quickstart(Hello())
    assert exit_.value.code == 1
    assert "cherrypy-server" in capsys.readouterr().err
    assert cherrypy.tree.apps == {}


# -- the seed's tutorials 1-4 ----------------------------------------------------------------


class HelloWorld:
    @cherrypy.expose
    def index(self):
        return "Hello world!"


class StringGenerator2:
    @cherrypy.expose
    def index(self):
        return "Hello world!"

    @cherrypy.expose
    def generate(self):
        return "".join(random.sample(string.hexdigits, 8))


class StringGenerator3(StringGenerator2):
    @cherrypy.expose
    def generate(self, length=8):
        return "".join(random.sample(string.hexdigits, int(length)))


class StringGenerator4(StringGenerator3):
    @cherrypy.expose
    def index(self):
        return """<html>
          <head></head>
          <body>
            <form method="get" action="generate">
              <input type="text" value="8" name="length" />
              <button type="submit">Give it now!</button>
            </form>
          </body>
        </html>"""


def test_tutorial_01_hello_world(wsgi):
    cherrypy.tree.mount(HelloWorld())
    res = wsgi.get("/")
    assert res.status == "200 OK"
    assert res.text == "Hello world!"
    assert res.headers["content-type"] == "text/html;charset=utf-8"
    assert res.headers["content-length"] == "12"


def test_tutorial_02_different_urls(wsgi):
    cherrypy.tree.mount(StringGenerator2())
    assert wsgi.get("/").text == "Hello world!"
    generated = wsgi.get("/generate").text
    assert len(generated) == 8
    assert set(generated) <= set(string.hexdigits)


def test_tutorial_03_parameters(wsgi):
    cherrypy.tree.mount(StringGenerator3())
    assert len(wsgi.get("/generate").text) == 8
    assert len(wsgi.get("/generate", query="length=16").text) == 16
    assert wsgi.get("/generate", query="length=abc").code == 500


def test_tutorial_04_forms(wsgi):
    cherrypy.tree.mount(StringGenerator4())
    assert '<form method="get" action="generate">' in wsgi.get("/").text
    assert len(wsgi.get("/generate", query="length=12").text) == 12
    assert len(wsgi.post("/generate", "length=5").text) == 5


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def test_tutorials_served_by_wsgiref(cpsite):
    cherrypy.tree.mount(StringGenerator4())
    server = wsgiref.simple_server.make_server(
        "127.0.0.1", 0, cherrypy.tree, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(base + "/") as resp:
            assert resp.status == 200
            assert b"Give it now!" in resp.read()
        with urllib.request.urlopen(base + "/generate?length=16") as resp:
            assert len(resp.read()) == 16
        with urllib.request.urlopen(base + "/generate", data=b"length=4") as resp:
            assert len(resp.read()) == 4
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + "/missing")
        assert info.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_site_log_files_receive_every_app(wsgi, tmp_path):
    access_file = tmp_path / "site-access.log"
    error_file = tmp_path / "site-error.log"

    class R:
        @cherrypy.expose
        def index(self):
            raise ValueError("logged to the site")

    cherrypy.tree.mount(R(), "/one")
    cherrypy.config.update({"log.access_file": str(access_file), "log.error_file": str(error_file)})
    try:
        wsgi.get("/one/")
    finally:
        cherrypy.log.access_file = ""
        cherrypy.log.error_file = ""
    access = access_file.read_text(encoding="utf-8")
    assert '"GET /one/ HTTP/1.1" 500 ' in access
    assert "ValueError: logged to the site" in error_file.read_text(encoding="utf-8")


def test_application_request_and_response_classes(wsgi):
    class StampedResponse(cherrypy._cprequest.Response):
        def finalize(self):
            self.headers["X-Response-Class"] = "custom"
            super().finalize()

    class CountingRequest(cherrypy._cprequest.Request):
        served = 0

        def run(self, *args, **kwargs):
            type(self).served += 1
            return super().run(*args, **kwargs)

    class CustomApp(cherrypy.Application):
        request_class = CountingRequest
        response_class = StampedResponse

    cherrypy.tree.mount(CustomApp(Hello(), "/custom"))
    res = wsgi.get("/custom/")
    assert res.text == "hello /custom"
    assert res.headers["x-response-class"] == "custom"
    assert CountingRequest.served == 1


def test_the_mount_point_lookups_follow_every_change_of_the_apps(wsgi):
    cherrypy.tree.mount(Hello())
    cherrypy.tree.graft(wsgi_app, "/w")
    assert wsgi.get("/a/where").code == 404  # the root app, which has no 'a'
    cherrypy.tree.mount(Hello(), "/a")  # remembered lookups must not hide the new app
    assert wsgi.get("/a/").text == "hello /a"
    del cherrypy.tree.apps["/a"]
    assert wsgi.get("/a/").code == 404
    cherrypy.tree.apps.update({"/a": cherrypy.Application(Hello(), "/a")})
    assert wsgi.get("/a/").text == "hello /a"
    cherrypy.tree.apps.pop("/a")
    cherrypy.tree.apps.pop("")
    assert wsgi.get("/").status == "404 Not Found"
    cherrypy.tree.apps.setdefault("", cherrypy.Application(Hello()))
    assert wsgi.get("/").text == "hello "
    # Paths clients choose do not make the lookups grow without bound.
    for n in range(3000):
        wsgi.get(f"/{n}")
    assert len(cherrypy.tree.apps.lookups) <= 1024
    cherrypy.tree.apps.clear()
    assert wsgi.get("/").status == "404 Not Found"
