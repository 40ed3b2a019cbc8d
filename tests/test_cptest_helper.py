"""cherrypy.test.helper: CherryPy-style CPWebCase classes run against our kernel and server.

The classes mirror the shape of CherryPy 18's own suite (object mapping, core request
handling, tools), written afresh as checks of this framework; the plain functions check the
helper machinery itself (webtest, logtest, class life cycle, plugin errors).
"""

from __future__ import annotations

import http.client
import io
import os
import signal
import socket
import sys
import unittest
from pathlib import Path

import pytest

import cherrypy
from cherrypy.test import helper, logtest, webtest

# ----------------------------------------------------------------- object mapping


class ObjectMappingTest(helper.CPWebCase):
    """URL paths map to attributes of the mounted object tree (cf. CherryPy's test_objectmapping)."""

    @staticmethod
    def setup_server() -> None:
        class Root:
            @cherrypy.expose
            def index(self, name: str = "world") -> str:
                return f"hello {name}"

            @cherrypy.expose
            def default(self, *args: str, **kwargs: str) -> str:
                return "default:" + "/".join(args)

            @cherrypy.expose
            def greet(self, who: str, punct: str = "!") -> str:
                return f"hi {who}{punct}"

            def hidden(self) -> str:
                return "not exposed"

        class Branch:
            @cherrypy.expose
            def index(self) -> str:
                return "branch index"

            @cherrypy.expose
            def leaf(self) -> str:
                return "leaf"

        root = Root()
        root.branch = Branch()
        cherrypy.tree.mount(root)
        cherrypy.tree.mount(Branch(), "/mounted")

    def test_index_and_query_args(self) -> None:
        self.getPage("/")
        self.assertStatus("200 OK")
        self.assertBody("hello world")
        self.getPage("/?name=pytest")
        self.assertBody("hello pytest")

    def test_positional_path_segments(self) -> None:
        self.getPage("/greet/bob")
        self.assertBody("hi bob!")
        self.getPage("/greet/bob?punct=.")
        self.assertBody("hi bob.")

    def test_default_catches_unknown_paths(self) -> None:
        self.getPage("/no/such/thing")
        self.assertStatus(200)
        self.assertBody("default:no/such/thing")
        self.getPage("/hidden")
        self.assertBody("default:hidden")

    def test_branch_index_needs_trailing_slash(self) -> None:
        self.getPage("/branch")
        self.assertStatus(301)
        self.assertHeader("Location", f"{self.base()}/branch/")
        self.getPage("/branch/")
        self.assertBody("branch index")
        # trailing_slash adds a missing slash but, by default, keeps an extra one.
        self.getPage("/branch/leaf/")
        self.assertStatus(200)
        self.assertBody("leaf")

    def test_second_mount_point(self) -> None:
        self.getPage("/mounted/leaf")
        self.assertBody("leaf")
        self.getPage("/mounted/nope")
        self.assertStatus(404)
        self.assertErrorPage(404, "The path '/mounted/nope' was not found.")


class ScriptNameTest(helper.CPWebCase):
    """``script_name`` prefixes every getPage path; the previous class's tree is gone."""

    script_name = "/app/"

    @staticmethod
    def setup_server() -> None:
        class Root:
            @cherrypy.expose
            def index(self) -> str:
                return cherrypy.request.script_name

            @cherrypy.expose
            def here(self) -> str:
                return cherrypy.url()

        cherrypy.tree.mount(Root(), "/app")

    def test_prefix_and_base(self) -> None:
        assert self.prefix() == "/app"
        assert self.base() == f"http://127.0.0.1:{self.PORT}/app"
        self.getPage("/")
        self.assertBody("/app")
        self.getPage("/here")
        self.assertBody(f"{self.base()}/here")

    def test_tree_was_reset(self) -> None:
        assert "/app" in cherrypy.tree.apps
        assert "" not in cherrypy.tree.apps
        self.script_name = ""
        self.getPage("/greet/bob")
        self.assertStatus(404)


# ------------------------------------------------------------- core request handling


class CoreRequestHandlingTest(helper.CPWebCase):
    """Statuses, redirects, error pages, headers and cookies (cf. CherryPy's test_core)."""

    @staticmethod
    def setup_server() -> None:
        class Redirect:
            @cherrypy.expose
            def index(self) -> str:
                raise cherrypy.HTTPRedirect("target")

            @cherrypy.expose
            def by_code(self, code: str) -> str:
                raise cherrypy.HTTPRedirect("/redirect/target", int(code))

            @cherrypy.expose
            def target(self) -> str:
                return "arrived"

            @cherrypy.expose
            def internal(self) -> str:
                raise cherrypy.InternalRedirect("/redirect/target")

        class Errors:
            @cherrypy.expose
            def forbidden(self) -> str:
                raise cherrypy.HTTPError(403, "Keep out")

            @cherrypy.expose
            def crash(self) -> str:
                raise ValueError("the handler crashed")

            @cherrypy.expose
            def status(self, code: str) -> str:
                cherrypy.response.status = code
                return f"status {code}"

        class Headers:
            @cherrypy.expose
            def custom(self) -> str:
                cherrypy.response.headers["X-Custom"] = "yes"
                cherrypy.response.headers["Content-Type"] = "text/plain"
                return "with header"

            @cherrypy.expose
            def echo(self, name: str) -> str:
                return cherrypy.request.headers.get(name, "<missing>")

        class Cookies:
            @cherrypy.expose
            def set(self, name: str, value: str) -> str:
                cherrypy.response.cookie[name] = value
                return "set"

            @cherrypy.expose
            def get(self, name: str) -> str:
                return cherrypy.request.cookie[name].value

        class Root:
            @cherrypy.expose
            def index(self) -> str:
                return "root"

        root = Root()
        root.redirect = Redirect()
        root.errors = Errors()
        root.headers = Headers()
        root.cookies = Cookies()
        cherrypy.tree.mount(root)

    def test_relative_redirect_is_absolute_303(self) -> None:
        self.getPage("/redirect/")
        self.assertStatus(303)
        self.assertHeader("Location", f"{self.base()}/redirect/target")
        self.assertInBody("target")

    def test_redirect_codes(self) -> None:
        for code in (301, 302, 303, 307, 308):
            self.getPage(f"/redirect/by_code?code={code}")
            self.assertStatus(code)
            self.assertHeader("Location", f"{self.base()}/redirect/target")

    def test_internal_redirect(self) -> None:
        self.getPage("/redirect/internal")
        self.assertStatus(200)
        self.assertBody("arrived")
        self.assertNoHeader("Location")

    def test_http_error_page(self) -> None:
        self.getPage("/errors/forbidden")
        self.assertStatus(403)
        self.assertErrorPage(403, "Keep out")
        self.assertHeader("Content-Type", "text/html;charset=utf-8")

    def test_uncaught_error_shows_traceback(self) -> None:
        self.getPage("/errors/crash")
        self.assertStatus(500)
        # test_suite environment: request.show_tracebacks is on.
        self.assertErrorPage(500, pattern="ValueError: the handler crashed")
        with pytest.raises(AssertionError, match="does not contain"):
            self.assertErrorPage(500, pattern="SomethingElse")

    def test_custom_status(self) -> None:
        self.getPage("/errors/status?code=418%20Short%20and%20stout")
        self.assertStatus("418 Short and stout")
        self.assertStatus((200, 418))
        self.assertBody("status 418 Short and stout")

    def test_headers(self) -> None:
        self.getPage("/headers/custom")
        self.assertHeader("X-Custom", "yes")
        self.assertHeaderIn("Content-Type", ["text/html", "text/plain;charset=utf-8"])
        self.assertHeaderItemValue("Content-Type", "text/plain;charset=utf-8")
        self.getPage("/headers/echo?name=X-Sent", headers=[("X-Sent", "over the wire")])
        self.assertBody("over the wire")

    def test_head_has_no_body(self) -> None:
        self.getPage("/", method="HEAD")
        self.assertStatus(200)
        self.assertBody(b"")
        self.assertHeader("Content-Length", "4")

    def test_cookie_round_trip(self) -> None:
        self.getPage("/cookies/set?name=flavour&value=ginger")
        self.assertHeader("Set-Cookie", "flavour=ginger")
        assert self.cookies == [("Cookie", "flavour=ginger")]
        self.getPage("/cookies/get?name=flavour", self.cookies)
        self.assertBody("ginger")

    def test_post_body_gets_default_headers(self) -> None:
        self.getPage("/cookies/set", method="POST", body="name=a&value=b")
        self.assertStatus(200)
        self.assertHeader("Set-Cookie", "a=b")

    def test_persistent_connection(self) -> None:
        self.persistent = True
        try:
            assert self.persistent
            conn = self.HTTP_CONN
            for _ in range(3):
                self.getPage("/")
                self.assertBody("root")
                self.assertNoHeader("Connection")
            assert self.HTTP_CONN is conn
        finally:
            self.persistent = False
        assert not self.persistent

    def test_http_10(self) -> None:
        self.getPage("/", protocol="HTTP/1.0")
        self.assertStatus(200)
        self.assertBody("root")


# -------------------------------------------------------------------------- tools


def _stamp_body(marker: str = "*") -> None:
    """A before_finalize tool: wrap the response body in ``marker``."""
    response = cherrypy.serving.response
    body = b"".join(response.body)
    response.body = [marker.encode() + body + marker.encode()]


def _require_header(name: str) -> None:
    """A before_handler tool: 400 unless the request carries header ``name``."""
    if name not in cherrypy.serving.request.headers:
        raise cherrypy.HTTPError(400, f"missing {name}")


class ToolTests(helper.CPWebCase):
    """Custom tools through config, decorators and ``_cp_config`` (cf. CherryPy's test_tools)."""

    @staticmethod
    def setup_server() -> None:
        cherrypy.tools.stamp = cherrypy.Tool("before_finalize", _stamp_body)
        cherrypy.tools.require_header = cherrypy.Tool("before_handler", _require_header)

        class Guarded:
            _cp_config = {
                "tools.require_header.on": True,
                "tools.require_header.name": "X-Token",
            }

            @cherrypy.expose
            def index(self) -> str:
                return "let in"

        class Root:
            @cherrypy.expose
            def plain(self) -> str:
                return "plain"

            @cherrypy.expose
            @cherrypy.tools.stamp(marker="#")
            def decorated(self) -> str:
                return "deco"

            @cherrypy.expose
            def configured(self) -> str:
                return "conf"

        root = Root()
        root.guarded = Guarded()
        config = {"/configured": {"tools.stamp.on": True, "tools.stamp.marker": "~"}}
        cherrypy.tree.mount(root, config=config)

    def test_tool_off_by_default(self) -> None:
        self.getPage("/plain")
        self.assertBody("plain")

    def test_decorator_arguments(self) -> None:
        self.getPage("/decorated")
        self.assertBody("#deco#")

    def test_path_config(self) -> None:
        self.getPage("/configured")
        self.assertBody("~conf~")

    def test_cp_config_tool_runs_before_handler(self) -> None:
        self.getPage("/guarded/")
        self.assertStatus(400)
        self.assertErrorPage(400, "missing X-Token")
        self.getPage("/guarded/", headers=[("X-Token", "1")])
        self.assertStatus(200)
        self.assertBody("let in")


# --------------------------------------------------------------- the helper itself


class AssertionHelpersTest(helper.CPWebCase):
    """Every assertion passes on a match and fails, with AssertionError, on a mismatch."""

    @staticmethod
    def setup_server() -> None:
        class Root:
            @cherrypy.expose
            def index(self) -> str:
                cherrypy.response.headers["X-List"] = "a, b, c"
                return "The quick brown fox"

        cherrypy.tree.mount(Root())

    def test_assertions(self) -> None:
        self.getPage("/")
        assert self.interactive is False
        assert self.status_code == 200
        assert self.time is not None and self.time >= 0
        checks = [
            (lambda: self.assertStatus(200), lambda: self.assertStatus(404)),
            (lambda: self.assertStatus([500, "200 OK"]), lambda: self.assertStatus("200")),
            (lambda: self.assertHeader("x-list"), lambda: self.assertHeader("X-Nope")),
            (
                lambda: self.assertHeader("X-List", "a, b, c"),
                lambda: self.assertHeader("X-List", "a"),
            ),
            (
                lambda: self.assertHeaderItemValue("X-List", "b"),
                lambda: self.assertHeaderItemValue("X-List", "d"),
            ),
            (lambda: self.assertNoHeader("X-Nope"), lambda: self.assertNoHeader("X-List")),
            (
                lambda: self.assertNoHeaderItemValue("X-List", "b"),
                lambda: self.assertNoHeaderItemValue("X-List", "a, b, c"),
            ),
            (lambda: self.assertBody("The quick brown fox"), lambda: self.assertBody("The quick")),
            (lambda: self.assertInBody("brown"), lambda: self.assertInBody("lazy dog")),
            (lambda: self.assertNotInBody("lazy"), lambda: self.assertNotInBody(b"fox")),
            (lambda: self.assertMatchesBody(r"qu\w+k"), lambda: self.assertMatchesBody(r"^fox")),
        ]
        for passing, failing in checks:
            passing()
            with pytest.raises(AssertionError):
                failing()

    def test_server_address_matches_client(self) -> None:
        assert self.HOST == cherrypy.server.socket_host == "127.0.0.1"
        assert self.PORT == cherrypy.server.socket_port != 8080
        assert cherrypy.engine.state == cherrypy.engine.states.STARTED
        assert cherrypy.config["environment"] == "test_suite"


def test_class_life_cycle_under_unittest_runner() -> None:
    """A CPWebCase runs under plain unittest too; the engine stops and globals come back."""
    original_tree = cherrypy.tree
    original_port = cherrypy.server.socket_port
    original_checker = cherrypy.checker.on
    calls: list[str] = []

    class Inner(helper.CPWebCase):
        @classmethod
        def setup_server(cls) -> None:
            calls.append("setup_server")

            class Root:
                @cherrypy.expose
                def index(self) -> str:
                    return "inner"

            cherrypy.tree.mount(Root())

        def test_page(self) -> None:
            self.getPage("/")
            self.assertBody("inner")
            calls.append("test_page")

        def test_failing(self) -> None:
            self.getPage("/")
            self.assertBody("something else")

    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Inner)
    names = [case._testMethodName for case in suite]
    assert names == ["test_failing", "test_page", "test_gc"]
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    assert result.testsRun == 3
    assert len(result.failures) == 1 and "something else" in result.failures[0][1]
    assert not result.errors
    assert calls == ["setup_server", "test_page"]
    assert cherrypy.engine.state == cherrypy.engine.states.EXITING
    assert cherrypy.tree is original_tree
    assert cherrypy.server.socket_port == original_port
    assert cherrypy.checker.on is original_checker


def test_missing_server_plugin_names_the_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cherrypy_server", None)
    with pytest.raises(ImportError, match="pip install cherrypy-server"):
        helper.require_server_plugin()
    with pytest.raises(ImportError, match="cherrypy-server"):
        helper.LocalWSGISupervisor(host="127.0.0.1", port=1)


def test_webtest_clean_headers() -> None:
    headers = webtest.cleanHeaders(None, "POST", b"abc", "localhost", 8080)
    assert headers == [
        ("Host", "localhost:8080"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", "3"),
    ]
    assert webtest.cleanHeaders([("host", "x")], "GET", None, "h", 80) == [("host", "x")]
    assert webtest.cleanHeaders(None, "GET", None, "h", 80) == [("Host", "h")]


def test_webtest_small_helpers() -> None:
    assert webtest.strip_netloc("https://example.org/a/b?c=1#frag") == "/a/b?c=1"
    assert webtest.strip_netloc("/a;p?q") == "/a;p?q"
    assert webtest.interface("0.0.0.0") == "127.0.0.1"
    assert webtest.interface("::") == "::1"
    assert webtest.interface("10.1.2.3") == "10.1.2.3"


def test_open_url_does_not_retry_excluded_errors() -> None:
    port = helper.free_port()
    with pytest.raises(ConnectionRefusedError):
        webtest.openURL(
            "/", None, "GET", None, "127.0.0.1", port, http.client.HTTPConnection,
            raise_subcls=ConnectionRefusedError,
        )  # fmt: skip


def test_server_error_hook_makes_get_page_raise() -> None:
    try:
        raise KeyError("server side")
    except KeyError:
        assert webtest.server_error() is True
    assert webtest.ServerError.on is True
    webtest.ServerError.on = False
    webtest.ignored_exceptions.append(KeyError)
    try:
        try:
            raise KeyError("ignored")
        except KeyError:
            assert webtest.server_error() is False
    finally:
        webtest.ignored_exceptions.remove(KeyError)
    assert webtest.ServerError.on is False


class _LogChecks(logtest.LogCase):
    pass


def test_logcase_marked_regions(tmp_path: Path) -> None:
    case = _LogChecks()
    case.logfile = str(tmp_path / "error.log")
    with open(case.logfile, "w") as stream:
        stream.write("before any marker\n")
    case.assertInLog("before any")
    case.markLog("one")
    with open(case.logfile, "a") as stream:
        stream.write("first line\nsecond line\n")
    case.assertInLog("second")
    case.assertNotInLog("before any")
    case.assertLog(0, "first")
    case.assertLog((0, 2), ["first", b"second"])
    with pytest.raises(pytest.fail.Exception):
        case.assertLog(1, "first")
    with pytest.raises(TypeError):
        case.assertLog((0, 2), "first")
    case.markLog("two")
    with open(case.logfile, "a") as stream:
        stream.write("0f8fad5b-d9cb-469f-a165-70867728950e\n")
    case.assertValidUUIDv4()
    with pytest.raises(pytest.fail.Exception, match="not found in log"):
        case.assertInLog("first line")
    case.assertInLog("first line", marker="one")
    case.emptyLog()
    with pytest.raises(pytest.fail.Exception):
        case.assertValidUUIDv4()


def test_cpprocess_runs_cherryd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CPProcess writes a config file, runs ``python -m cherrypy`` and waits for the port."""
    (tmp_path / "spawned_app.py").write_text(
        "import cherrypy\n\n"
        "class Root:\n"
        "    @cherrypy.expose\n"
        "    def index(self):\n"
        "        return 'from the child'\n\n"
        "cherrypy.tree.mount(Root())\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))

    class Process(helper.CPProcess):
        pid_file = str(tmp_path / "test.pid")
        config_file = str(tmp_path / "test.conf")
        error_log = str(tmp_path / "error.log")
        access_log = str(tmp_path / "access.log")

    port = helper.free_port()
    process = Process(socket_host="127.0.0.1", socket_port=port)
    process.write_conf(extra="engine.autoreload.on: False")
    assert f"server.socket_port: {port}" in (tmp_path / "test.conf").read_text()
    process.start(imports="spawned_app")
    try:
        status, _, body = webtest.openURL("/", host="127.0.0.1", port=port)
        assert (status, body) == ("200 OK", b"from the child")
        assert process.get_pid() != os.getpid()
    finally:
        os.kill(process.get_pid(), signal.SIGTERM)
        process.join()


def test_docs_example_runs() -> None:
    """The example of docs/testing.md passes as written."""
    page = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
    source = page.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {"__name__": "docs_testing_example"}
    exec(compile(source, str(page), "exec"), namespace)
    case = namespace["GreetingTest"]
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)  # type: ignore[arg-type]
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    assert result.wasSuccessful(), result.failures + result.errors
    assert result.testsRun == 3


def _run_case(case: type[unittest.TestCase]) -> unittest.TestResult:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    return unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)


def test_failed_class_setup_is_reported_and_cleaned_up() -> None:
    """A busy port or a failing setup_server errors the class; the process and globals survive."""
    original_tree = cherrypy.tree
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        busy_port = busy.getsockname()[1]

        class BusyPort(helper.CPWebCase):
            @classmethod
            def supervisor_options(cls) -> dict[str, object]:
                return {**super().supervisor_options(), "port": busy_port}

            @staticmethod
            def setup_server() -> None:
                cherrypy.tree.mount(None)

            def test_never_runs(self) -> None:
                raise AssertionError("unreachable")

        result = _run_case(BusyPort)
    assert len(result.errors) == 1 and not result.failures
    assert "test_never_runs" not in str(result.errors)

    class BrokenSetup(helper.CPWebCase):
        @staticmethod
        def setup_server() -> None:
            raise LookupError("setup_server broke")

        def test_never_runs(self) -> None:
            raise AssertionError("unreachable")

    result = _run_case(BrokenSetup)
    assert len(result.errors) == 1 and "setup_server broke" in result.errors[0][1]
    assert cherrypy.tree is original_tree
    assert cherrypy.server.socket_port != busy_port


def test_docs_cherrypy_testing_example_runs() -> None:
    """The ``cherrypy.testing`` example of docs/testing.md passes as written."""
    page = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
    [source] = [
        block
        for block in page.read_text().split("```python\n")[1:]
        if "from cherrypy.testing import reset, serve" in block
    ]
    namespace: dict[str, object] = {"__name__": "docs_cherrypy_testing_example"}
    exec(compile(source.split("```", 1)[0], str(page), "exec"), namespace)
    try:
        namespace["test_hello"]()  # type: ignore[operator]
    finally:
        from cherrypy.testing import reset

        reset()
