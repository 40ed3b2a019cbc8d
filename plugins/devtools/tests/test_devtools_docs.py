"""The examples of ``docs/devtools.md`` run as written."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy.testing import serve

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "devtools.md"


def code_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(), re.DOTALL)


def test_the_statistics_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "example.py"
    script.write_text(code_blocks()[0])
    monkeypatch.setattr(
        cherrypy,
        "quickstart",
        lambda root, script_name, config: cherrypy.tree.mount(root, script_name, config),
    )
    runpy.run_path(str(script), run_name="__main__")
    with serve() as base:
        before = requests.get(base + "/cpstats/data").json()["CherryPy Applications"]
        assert requests.get(base + "/").text == "Hello!"
        after = requests.get(base + "/cpstats/data").json()["CherryPy Applications"]
        assert after["Total Requests"] == before["Total Requests"] + 1
        assert "<title>Statistics</title>" in requests.get(base + "/cpstats/").text


def test_the_profiling_example(tmp_path: Path) -> None:
    source = code_blocks()[1].replace("/tmp/myprofiles", str(tmp_path))
    namespace = runpy.run_path(str(_write(tmp_path / "prof.py", source)))
    assert namespace["result"] == sum(range(1000))
    assert namespace["p"].statfiles()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
