"""``python -m cherrypy routes`` and ``serve`` (kernel.cli_app)."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import cherrypy
from cherrypy.kernel.cli_app import collect_routes, routes_command, serve_command
from cherrypy.testing import reset

APP = textwrap.dedent(
    """
    import cherrypy

    def stamp():
        cherrypy.response.headers["X-Stamp"] = "1"

    cherrypy.tools.stamp = cherrypy.Tool("before_finalize", stamp)

    class Items:
        @cherrypy.expose
        def index(self):
            return "items"

        @cherrypy.expose
        def default(self, *args):
            return "item " + "/".join(args)

    class Users:
        def _cp_dispatch(self, vpath):
            return self

        @cherrypy.expose
        def index(self, name=None):
            return "user"

    class Root:
        _cp_config = {"tools.stamp.on": True}

        items = Items()
        users = Users()

        @cherrypy.expose
        def index(self):
            return "home"

        @cherrypy.expose
        @cherrypy.tools.encode(on=False)
        def raw(self):
            return "raw"

        @cherrypy.expose
        def plain(self):
            return "plain"

        def helper(self):
            return "not exposed"

    def wsgi_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"wsgi says hi"]
    """
)

SCRIPT = textwrap.dedent(
    """
    import cherrypy

    class Hello:
        @cherrypy.expose
        def index(self):
            return "hello"

    if __name__ == "__main__":
        cherrypy.quickstart(Hello(), "/hello", {"/": {"tools.stamp_missing.on": False}})
    """
)


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    reset()
    yield
    reset()


@pytest.fixture
def app_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    """Write the sample app as a uniquely named module on sys.path; return its name."""
    name = f"cli_app_sample_{request.node.name.replace('[', '_').replace(']', '_')}"
    (tmp_path / f"{name}.py").write_text(APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def _routes(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = routes_command(list(argv), out=out)
    return status, out.getvalue()


def test_routes_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert routes_command(["--help"]) == 0
    assert "usage: python -m cherrypy routes" in capsys.readouterr().out


def test_serve_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_command(["--help"]) == 0
    text = capsys.readouterr().out
    assert "usage: python -m cherrypy serve" in text and "--port" in text


def test_routes_lists_handlers_markers_and_tools_per_path(app_module: str) -> None:
    status, text = _routes(f"{app_module}:Root", "--json")
    assert status == 0, text
    routes = {r["path"]: r for r in json.loads(text)["/"]}
    assert {"/", "/raw", "/plain", "/items/", "/items/*", "/users/<_cp_dispatch>"} <= set(routes)
    assert "/helper" not in routes
    assert routes["/"]["handler"] == "Root.index"
    assert routes["/items/*"]["markers"] == ["default"]
    assert routes["/users/<_cp_dispatch>"]["markers"] == ["_cp_dispatch"]
    assert "stamp" in routes["/"]["tools"] and "encode" in routes["/"]["tools"]
    assert "encode" not in routes["/raw"]["tools"]
    assert "stamp" in routes["/items/*"]["tools"]
    assert "stamp" in routes["/plain"]["tools"]


def test_routes_applies_the_config_file(app_module: str, tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text("[/items]\ntools.stamp.on = False\n[/plain]\ntools.stamp.on = False\n")
    status, text = _routes(f"{app_module}:Root", "--config", str(conf), "--json")
    assert status == 0, text
    routes = {r["path"]: r for r in json.loads(text)["/"]}
    assert "stamp" not in routes["/items/"]["tools"]
    assert "stamp" not in routes["/items/*"]["tools"]
    assert "stamp" not in routes["/plain"]["tools"]
    assert "stamp" in routes["/"]["tools"]


def test_routes_text_output(app_module: str) -> None:
    status, text = _routes(f"{app_module}:Root", "--script-name", "/shop", "--hooks")
    assert status == 0, text
    assert text.startswith("application /shop\n")
    assert "tools on every path: " in text
    assert "/shop/items/*" in text and "[default]" in text
    assert "before_finalize: stamp" in text


def test_routes_of_a_module_calling_quickstart(tmp_path: Path) -> None:
    script = tmp_path / "quick.py"
    script.write_text(SCRIPT)
    status, text = _routes(str(script))
    assert status == 0, text
    assert "application /hello" in text and "Hello.index" in text
    assert cherrypy.engine.state != cherrypy.engine.states.STARTED


def test_routes_of_a_wsgi_callable(app_module: str) -> None:
    status, text = _routes(f"{app_module}:wsgi_app")
    assert status == 0
    assert "wsgi_app [WSGI application]" in text


def test_routes_reports_an_unloadable_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert routes_command(["no_such_module_for_cli_app:Root"]) == 1
    assert "cannot load no_such_module_for_cli_app:Root" in capsys.readouterr().err


def test_routes_reports_a_path_whose_pipeline_fails(app_module: str) -> None:
    module = __import__(app_module)
    cherrypy.tree.mount(module.Root(), "", {"/plain": {"tools.no_such_tool_here.on": True}})
    routes = {r.path: r for r in collect_routes("", cherrypy.tree.apps[""])}
    assert routes["/"].error is None
    assert routes["/plain"].error is not None and "no_such_tool_here" in routes["/plain"].error


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, proc: subprocess.Popen[str], deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return str(resp.read().decode())
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"serve exited with {proc.returncode}: {proc.communicate()[1]}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize(("target", "expected"), [("Root", "home"), ("wsgi_app", "wsgi says hi")])
def test_serve_in_a_subprocess(tmp_path: Path, target: str, expected: str) -> None:
    if importlib.util.find_spec("cherrypy_server") is None:
        pytest.skip("cherrypy-server is not installed")
    if os.environ.get("CHERRYPY_DISABLE_PLUGIN_AUTOLOAD"):
        pytest.skip("plugin autoload is disabled, so cherrypy-server is not loaded")
    (tmp_path / "served_app.py").write_text(APP)
    error_log = tmp_path / "error.log"
    conf = tmp_path / "serve.conf"
    conf.write_text(f"[global]\nlog.error_file = {str(error_log)!r}\n")
    port = _free_port()
    code = "import sys; from cherrypy.kernel.cli_app import serve_command; sys.exit(serve_command(sys.argv[1:]))"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            f"served_app:{target}",
            "--port",
            str(port),
            "-e",
            "production",
            "-c",
            str(conf),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        body = _get(f"http://127.0.0.1:{port}/", proc, deadline)
        assert body == expected
        # SIGTERM while the bus is still STARTING ends the process with status 70 (by design).
        while "Bus STARTED" not in (error_log.read_text() if error_log.exists() else ""):
            assert time.monotonic() < deadline, "the engine never reached STARTED"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
    assert proc.returncode == 0, err


def test_serve_fails_cleanly_on_an_unloadable_target(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        cherrypy.server  # noqa: B018 - is the server plugin available here?
    except (AttributeError, ImportError):
        assert serve_command(["x:y"]) == 1
        assert "cherrypy-server" in capsys.readouterr().err
        return
    assert serve_command(["no_such_module_for_cli_app:Root"]) == 1
    assert "cannot load" in capsys.readouterr().err
