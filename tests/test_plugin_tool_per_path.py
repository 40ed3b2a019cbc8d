"""Issue 2: a plugin distribution registers a tool through an entry point; the tool appears on
``cherrypy.tools``, is enabled per path by config and is absent on other paths.

The fixture distribution (``tests/fixtures/cherrypy-shout``) is installed into a fresh
``--target`` directory with uv (or pip)
and used from a subprocess, so the test sees exactly what a user who installed it would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "cherrypy-shout"

SCRIPT = textwrap.dedent(
    """
    import json, urllib.request
    import cherrypy
    from cherrypy.testing import serve

    class Root:
        @cherrypy.expose
        def loud(self):
            return "hello"

        @cherrypy.expose
        def quiet(self):
            return "hello"

        @cherrypy.expose
        @cherrypy.tools.shout(suffix="!")
        def decorated(self):
            return "hi"

    cherrypy.config.update({"environment": "test_suite"})
    cherrypy.tree.mount(Root(), "", {"/loud": {"tools.shout.on": True}})
    out = {"on_toolbox": "shout" in list(cherrypy.tools)}
    with serve(server="wsgiref") as base:
        for path in ("loud", "quiet", "decorated"):
            with urllib.request.urlopen(base + "/" + path) as resp:
                out[path] = resp.read().decode()
    print(json.dumps(out))
    """
)


def _install(target: Path) -> None:
    uv = os.environ.get("UV_BIN") or shutil.which("uv")
    if uv is not None:
        cmd = [uv, "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(FIXTURE)]
    else:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(FIXTURE),
        ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(
            f"installing the fixture distribution failed:\n{result.stdout}\n{result.stderr}"
        )


def test_entry_point_tool_is_enabled_per_path(tmp_path: Path) -> None:
    target = tmp_path / "site"
    _install(target)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"on_toolbox": True, "loud": "HELLO", "quiet": "hello", "decorated": "HI!"}


def test_missing_tool_names_its_distribution(tmp_path: Path) -> None:
    script = "import cherrypy\ntry:\n    cherrypy.tools.shout\nexcept AttributeError as exc:\n    print(exc)\n"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "cherrypy.tools.shout" in result.stdout
