"""The documented install of cherrypy-standard plus CherryPy extensions, word for word.

Every wheel of the workspace is built (``uv build --all-packages``), then, in fresh
virtualenvs, the commands of docs/migration.md ("Using CherryPy extensions") run with plain pip
and with uv: ``cherrypy`` must resolve to this project, the ``CherryPy`` distribution must be
ours, and nothing of the original (CherryPy's code, cheroot) may be installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTENSIONS = ("cherrypy-cors", "cherrys", "cherrypy-jinja2")

PROBE = """
import json, importlib.metadata as m, importlib.util, cherrypy, cherrypy_cors, cherrys
import cherrypy_jinja2
print(json.dumps({
    "file": cherrypy.__file__,
    "kernel": hasattr(cherrypy, "kernel"),
    "version": m.version("CherryPy"),
    "cheroot": importlib.util.find_spec("cheroot") is not None,
}))
"""


def _uv() -> str:
    found = os.environ.get("UV_BIN") or shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to build the wheels (pip install uv)")
    return found


def _run(*cmd: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in cmd], capture_output=True, text=True, timeout=900, cwd=cwd
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    _run(_uv(), "build", "--all-packages", "--wheel", "--quiet", "-o", out, cwd=ROOT)
    assert list(out.glob("cherrypy-18.10.0+kernel*.whl"))
    return out


def _probe(python: Path) -> dict[str, object]:
    return json.loads(_run(python, "-c", PROBE).strip().splitlines()[-1])


def _assert_ours(probe: dict[str, object], venv: Path) -> None:
    assert str(probe["file"]).startswith(str(venv)), probe
    assert probe["kernel"] is True
    assert str(probe["version"]).endswith("+kernel.0.1.0")
    assert probe["cheroot"] is False


def test_with_pip(wheels: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    _run(
        python, "-m", "pip", "install", "--quiet", "--find-links", wheels,
        "cherrypy-standard", *EXTENSIONS,
    )  # fmt: skip
    _assert_ours(_probe(python), venv)


def test_with_uv(wheels: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(_uv(), "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(
        _uv(), "pip", "install", "--quiet", "--python", python, "--find-links", wheels,
        "cherrypy-standard", *EXTENSIONS,
    )  # fmt: skip
    _assert_ours(_probe(python), venv)
    # An extension installed later, and an upgrade of it, still never pull the original.
    _run(_uv(), "pip", "install", "--quiet", "--python", python, "--upgrade", "cherrypy-cors")
    _assert_ours(_probe(python), venv)
