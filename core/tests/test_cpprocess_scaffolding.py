"""CPProcess: a spawned server imports the ``cherrypy.test.*`` modules its test process added."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cherrypy.test.spawn import CPProcess, thisdir


def _inject(monkeypatch: pytest.MonkeyPatch, name: str, path: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"cherrypy.test.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, f"cherrypy.test.{name}", module)


def test_a_spawned_server_imports_scaffolding_placed_under_cherrypy_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "scaffold_probe_for_spawn.py"
    source.write_text("VALUE = 42\n")
    _inject(monkeypatch, "scaffold_probe_for_spawn", source)
    monkeypatch.delenv("CHERRYPY_TEST_PATH", raising=False)

    env = CPProcess(socket_host="127.0.0.1", socket_port=1)._child_env()

    assert env["CHERRYPY_TEST_PATH"].split(os.pathsep) == [str(tmp_path)]
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cherrypy.test.scaffold_probe_for_spawn as m; print(m.VALUE, m.__file__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert child.stdout.split() == ["42", str(source)]


def test_without_outside_scaffolding_the_child_path_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHERRYPY_TEST_PATH", raising=False)
    own_dir = thisdir
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if name.startswith("cherrypy.test.") and filename and os.path.dirname(filename) != own_dir:
            monkeypatch.delitem(sys.modules, name)

    env = CPProcess(socket_host="127.0.0.1", socket_port=1)._child_env()

    assert "CHERRYPY_TEST_PATH" not in env
