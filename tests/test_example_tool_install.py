"""Issue 11: ``contrib/example-tool`` installs like any third-party distribution and its tool
is switched on per path.

The distribution is installed into a fresh ``--target`` directory with uv (or pip) and used
from a subprocess with that directory first on ``PYTHONPATH``, so the test sees the built
wheel (entry points and all), not the working tree.
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

DISTRIBUTION = Path(__file__).resolve().parents[1] / "contrib" / "example-tool"

SCRIPT = textwrap.dedent(
    """
    import json, urllib.request
    import cherrypy
    import cherrypy_example_tool
    from cherrypy.testing import serve

    class Root:
        @cherrypy.expose
        def tagged(self):
            return cherrypy.request.request_id

        @cherrypy.expose
        def untagged(self):
            return "plain"

    cherrypy.config.update({"environment": "test_suite"})
    cherrypy.tree.mount(Root(), "", {
        "/tagged": {"tools.request_id.on": True, "tools.request_id.header": "X-Corr"},
    })
    out = {"module": cherrypy_example_tool.__file__}
    with serve(server="wsgiref") as base:
        for path in ("tagged", "untagged"):
            with urllib.request.urlopen(base + "/" + path) as resp:
                out[path] = [resp.read().decode(), resp.headers.get("X-Corr")]
    print(json.dumps(out))
    """
)


def _install(target: Path) -> None:
    uv = os.environ.get("UV_BIN") or shutil.which("uv")
    if uv is not None:
        cmd = [uv, "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
    else:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
        cmd.append(str(target))
    result = subprocess.run([*cmd, str(DISTRIBUTION)], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"installing contrib/example-tool failed:\n{result.stdout}\n{result.stderr}")


def test_installed_example_tool_is_enabled_per_path(tmp_path: Path) -> None:
    target = tmp_path / "site"
    _install(target)
    assert (target / "cherrypy_example_tool" / "plugin.py").is_file()
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
    assert out["module"].startswith(str(target))
    body, header = out["tagged"]
    assert header == body and len(body) == 32
    assert out["untagged"] == ["plain", None]
