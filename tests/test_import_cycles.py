"""The kernel stays free of large import cycles (``scripts/import_cycles.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "import_cycles.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_kernel_has_no_import_cycle_above_four_modules():
    result = run("core/src/cherrypy", "--max", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "largest import cycle:" in result.stdout


def test_the_script_finds_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def f():\n    from pkg.c import x\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nimport pkg.a\nif TYPE_CHECKING:\n    import pkg.d\n"
    )
    (package / "d.py").write_text("import pkg.c\n")
    result = run(str(package), "--max", "2")
    assert result.returncode == 1
    assert "largest import cycle: 3 modules" in result.stdout
    assert "pkg.b -> pkg.c" in result.stdout
    assert "    pkg.d ->" not in result.stdout  # c imports d only under TYPE_CHECKING
