"""mypy stays clean over every distribution, and ``--strict`` on the plugin API module.

The same commands as ``nox -s typecheck``; here so that the README's test command (and CI)
keeps them true.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("mypy", path=str(Path(sys.executable).parent)) is None,
    reason="mypy is not installed (it is in the dev dependency group)",
)


def mypy(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_mypy_is_clean_over_every_distribution(tmp_path: Path) -> None:
    result = mypy(cache=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_plugin_api_passes_mypy_strict(tmp_path: Path) -> None:
    result = mypy(
        "--strict", "--follow-imports=silent", "core/src/cherrypy/plugin.py", cache=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
