"""Issue 17 end to end: built wheels in a fresh virtualenv, as a user installs them.

One virtualenv (module scope) gets cherrypy-kernel and cherrypy-server from wheels built from
this repository; the tests then install, block and uninstall cherrypy-static, and install two
distributions that both provide ``tools.request_id``, running a real ``quickstart`` script
each time: a configuration that needs what is missing exits 1 at once, naming the fix.
"""

from __future__ import annotations

import os
import shutil
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

ROOT = Path(__file__).resolve().parent.parent

APP = textwrap.dedent(
    """
    import os
    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            return "hello"

        @cherrypy.expose
        def state(self):
            return str(cherrypy.engine.state)

    cherrypy.config.update({
        "environment": "production",
        "server.socket_host": "127.0.0.1",
        "server.socket_port": int(os.environ["APP_PORT"]),
    })
    prefer = os.environ.get("APP_PREFER")
    if prefer:
        cherrypy.config.update({"plugins.prefer.request_id": prefer})
    conf = {"/": {}}
    if os.environ.get("APP_STATIC"):
        conf["/static"] = {"tools.staticdir.on": True, "tools.staticdir.dir": os.getcwd()}
    if os.environ.get("APP_REQUEST_ID"):
        conf["/"]["tools.request_id.on"] = True
    cherrypy.quickstart(Root(), "/", conf)
    """
)

DUMMY_PYPROJECT = textwrap.dedent(
    """
    [project]
    name = "cherrypy-test-requestid"
    version = "0.3"
    dependencies = ["cherrypy-kernel"]

    [project.entry-points."cherrypy.plugins"]
    test_requestid = "cherrypy_test_requestid"

    [build-system]
    requires = ["hatchling"]
    build-backend = "hatchling.build"

    [tool.hatch.build.targets.wheel]
    packages = ["cherrypy_test_requestid"]
    """
)

DUMMY_MODULE = textwrap.dedent(
    """
    import cherrypy
    from cherrypy.plugin import Tool, hookimpl

    CHERRYPY_PLUGIN_API = ">=1.0,<2"

    def tag():
        cherrypy.response.headers["X-Dummy-Id"] = "dummy"

    @hookimpl
    def cherrypy_register_tools(toolbox):
        toolbox.request_id = Tool("before_finalize", tag)
    """
)


def _uv() -> str:
    found = os.environ.get("UV_BIN") or shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to build the wheels (pip install uv)")
    return found


def _run(*cmd: str | Path, cwd: Path | None = None) -> None:
    result = subprocess.run(
        [str(part) for part in cmd], capture_output=True, text=True, timeout=600, cwd=cwd
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    uv = _uv()
    base = tmp_path_factory.mktemp("failfast")
    wheels = base / "wheels"
    for folder in ("core", "plugins/server", "plugins/static", "contrib/example-tool"):
        _run(uv, "build", "--wheel", "--quiet", "-o", wheels, ROOT / folder)
    dummy = base / "dummy"
    (dummy / "cherrypy_test_requestid").mkdir(parents=True)
    (dummy / "pyproject.toml").write_text(DUMMY_PYPROJECT)
    (dummy / "cherrypy_test_requestid" / "__init__.py").write_text(DUMMY_MODULE)
    _run(uv, "build", "--wheel", "--quiet", "-o", wheels, dummy)
    env_dir = base / "venv"
    _run(uv, "venv", "--quiet", "--python", sys.executable, env_dir)
    python = env_dir / "bin" / "python"
    _run(
        uv, "pip", "install", "--quiet", "--python", python, "--find-links", wheels,
        "cherrypy-kernel", "cherrypy-server",
    )  # fmt: skip
    app = base / "app.py"
    app.write_text(APP)
    yield {"python": python, "wheels": wheels, "app": app, "dir": base}


def _pip(venv: dict[str, Path], *args: str) -> None:
    _run(_uv(), "pip", *args, "--quiet", "--python", venv["python"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(venv: dict[str, Path], **env: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHERRYPY_", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    environ.update(env, APP_PORT=str(port))
    proc = subprocess.Popen(
        [str(venv["python"]), str(venv["app"])],
        cwd=venv["dir"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, port


def _refused(venv: dict[str, Path], **env: str) -> str:
    """Run the app, expect exit status 1 within 30 s; return its stderr."""
    proc, _port = _start(venv, **env)
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the application did not stop at once")
    assert proc.returncode == 1, err
    assert "Bus STARTED" not in err
    return err


def _served(venv: dict[str, Path], path: str = "/", **env: str) -> dict[str, str]:
    """Run the app, GET ``path``, stop it with SIGTERM; return the response headers."""
    proc, port = _start(venv, **env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
                    assert resp.status == 200
                    headers = dict(resp.headers)
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    _out, err = proc.communicate(timeout=5)
                    pytest.fail(f"the application did not serve:\n{err}")
                time.sleep(0.1)
        # A SIGTERM while the bus is still STARTING (the server answers before the last start
        # listener returns) ends the process with status 70 by design: wait for STARTED.
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/state", timeout=5) as resp:
                if resp.read() == b"states.STARTED":
                    break
            if time.monotonic() > deadline:
                pytest.fail("the engine did not reach STARTED")
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        return headers
    finally:
        if proc.poll() is None:
            proc.kill()


def test_missing_installed_blocked_and_uninstalled_plugin(venv: dict[str, Path]) -> None:
    err = _refused(venv, APP_STATIC="1")
    assert (
        "cherrypy: cannot start: /static: tools.staticdir.on: cherrypy.tools.staticdir is "
        "provided by cherrypy-static: pip install cherrypy-static" in err
    )

    _pip(venv, "install", "--find-links", str(venv["wheels"]), "cherrypy-static")
    _served(venv, "/static/app.py", APP_STATIC="1")

    err = _refused(venv, APP_STATIC="1", CHERRYPY_BLOCK_PLUGINS="static")
    assert "/static: tools.staticdir.on: " in err
    assert "installed but blocked by CHERRYPY_BLOCK_PLUGINS" in err

    _pip(venv, "uninstall", "cherrypy-static")
    err = _refused(venv, APP_STATIC="1")
    assert "pip install cherrypy-static" in err


def test_the_server_blocked_exits_at_once(venv: dict[str, Path]) -> None:
    err = _refused(venv, CHERRYPY_BLOCK_PLUGINS="server")
    assert "blocked by CHERRYPY_BLOCK_PLUGINS" in err


def test_two_distributions_providing_one_tool(venv: dict[str, Path]) -> None:
    _pip(
        venv,
        "install",
        "--find-links",
        str(venv["wheels"]),
        "cherrypy-example-tool",
        "cherrypy-test-requestid",
    )
    try:
        err = _refused(venv, APP_REQUEST_ID="1")
        assert (
            "/: tools.request_id.on: tools.request_id is provided by both "
            "cherrypy-example-tool and cherrypy-test-requestid" in err
        )
        headers = _served(venv, APP_REQUEST_ID="1", APP_PREFER="cherrypy-test-requestid")
        assert headers.get("X-Dummy-Id") == "dummy"
        headers = _served(venv, APP_REQUEST_ID="1", APP_PREFER="cherrypy-example-tool")
        assert "X-Dummy-Id" not in headers

        listing = subprocess.run(
            [str(venv["python"]), "-m", "cherrypy", "plugins"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listing.returncode == 1
        assert (
            "tools.request_id: provided by cherrypy-example-tool and cherrypy-test-requestid"
            in listing.stdout
        )
    finally:
        _pip(venv, "uninstall", "cherrypy-example-tool", "cherrypy-test-requestid")
