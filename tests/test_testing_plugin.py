"""The pytest plugin (``cherrypy_pytest.plugin``), tested with pytest's ``pytester``.

Each test writes a user's test module into a temporary directory and runs pytest on it: the
plugin must come from the ``pytest11`` entry point (nothing in the module names it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_through_the_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*cherrypy_client*", "*cherrypy_live_server*"])
    info = pytester.runpytest_subprocess("--trace-config", "-p", "no:cacheprovider")
    info.stdout.fnmatch_lines(["*cherrypy*cherrypy_pytest/plugin.py*"])


def test_the_plugin_loads_no_client_and_no_plugin_until_a_fixture_is_used(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_nothing_of_the_site_was_set_up():
            # Loading the plugin imports the cherrypy package, nothing of the client, and
            # loads no CherryPy plugin (they load when the site boots).
            assert "cherrypy_pytest.plugin" in sys.modules
            assert "cherrypy.testing.client" not in sys.modules
            assert "cherrypy_server" not in sys.modules
            assert "cherrypy_sessions" not in sys.modules


        def test_cherrypy_modules_are_not_loaded_by_the_assertion_rewriter():
            # pytest rewrites the packages of a pytest plugin's distribution: the plugin's
            # own (cherrypy-pytest), not cherrypy, so runpy (python -m in process) works.
            import runpy

            runpy.run_module("cherrypy.tutorial.tut01_helloworld", run_name="not_main")
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


USER_TESTS = """
import requests

import cherrypy
from pathlib import Path

import pytest


class Root:
    @cherrypy.expose
    def index(self, name="world"):
        cherrypy.session["seen"] = cherrypy.session.get("seen", 0) + 1
        return f"hello {name} {cherrypy.session['seen']}"

    @cherrypy.expose
    def state(self):
        return str(cherrypy.engine.state)


@pytest.fixture
def cherrypy_app():
    return Root(), {"/": {"tools.sessions.on": True}}


def test_function_client(cherrypy_client):
    assert cherrypy_client.get("/", params={"name": "ann"}).text == "hello ann 1"
    assert cherrypy_client.get("/").text == "hello world 2"
    assert cherrypy_client.get("/state").text == "states.STARTED"
    cherrypy.config.update({"leak": "from a test"})


def test_global_state_was_restored(cherrypy_client):
    assert "leak" not in cherrypy.config
    assert list(cherrypy.tree.apps) == [""]


def test_outside_the_fixtures_the_tree_is_as_before():
    assert cherrypy.tree.apps == {} and "leak" not in cherrypy.config


def test_live_server(cherrypy_live_server):
    session = requests.Session()
    assert session.get(cherrypy_live_server + "/", timeout=5).text == "hello world 1"
    assert session.get(cherrypy_live_server + "/", timeout=5).text == "hello world 2"


def test_factory(cherrypy_client_factory):
    class Other:
        @cherrypy.expose
        def index(self):
            return "other"

    first = cherrypy_client_factory(Other(), None, "/other")
    second = cherrypy_client_factory(Root(), {"/": {"tools.sessions.on": True}})
    assert first.get("/").text == "other"
    assert second.get("/").text == "hello world 1"


class TestInAClass:
    @pytest.fixture
    def cherrypy_app(self):
        class Api:
            @cherrypy.expose
            @cherrypy.tools.json_out()
            def index(self):
                return {"in": "class"}

        return Api()

    @pytest.fixture
    def cherrypy_script_name(self):
        return "/api"

    def test_client(self, cherrypy_client):
        assert cherrypy_client.get("/").json() == {"in": "class"}
        assert cherrypy_client.get("http://127.0.0.1/").status_code == 404

    def test_live_server(self, cherrypy_live_server):
        assert cherrypy_live_server.endswith("/api")
        assert requests.get(cherrypy_live_server + "/", timeout=5).json() == {"in": "class"}
"""


def test_fixtures_in_functions_and_classes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=7)


def test_fixtures_in_process_leave_the_global_state_alone(pytester: pytest.Pytester) -> None:
    import cherrypy

    before_apps, before_config = dict(cherrypy.tree.apps), dict(cherrypy.config)
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=7)
    assert cherrypy.tree.apps == before_apps
    assert dict(cherrypy.config) == before_config


def test_without_cherrypy_app_the_error_says_what_to_define(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_client(cherrypy_client):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*define a 'cherrypy_app' fixture returning a root object*"])


def test_no_socket_is_bound_by_the_client_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import socket

        import cherrypy
        import pytest


        @pytest.fixture
        def cherrypy_app(monkeypatch):
            def refuse(self, *args):
                raise OSError("bound a socket")

            monkeypatch.setattr(socket.socket, "bind", refuse)
            monkeypatch.setattr(socket.socket, "listen", refuse)

            class Root:
                @cherrypy.expose
                def index(self):
                    return "ok"

            return Root()


        def test_client(cherrypy_client):
            assert cherrypy_client.get("/").text == "ok"
            assert cherrypy.engine.state is cherrypy.engine.states.STARTED
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def _docs_test_modules() -> dict[str, str]:
    """The Python blocks of docs/testing.md that start with ``# test_<name>.py``."""
    page = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
    modules = {}
    for block in page.read_text(encoding="utf-8").split("```python\n")[1:]:
        source = block.split("```", 1)[0]
        first = source.splitlines()[0]
        if first.startswith("# test_") and first.endswith(".py"):
            modules[first[2:-3]] = source
    return modules


def test_the_docs_examples_pass_as_written(pytester: pytest.Pytester) -> None:
    modules = _docs_test_modules()
    assert set(modules) == {"test_client_example", "test_plugin_example", "test_migrated_example"}
    pytester.makepyfile(**modules)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=7)
