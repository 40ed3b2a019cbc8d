"""The examples of ``docs/static.md`` run as written."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest

import cherrypy

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "static.md"


def code_blocks(language: str) -> list[str]:
    """The fenced ``language`` blocks of the docs page."""
    return re.findall(rf"```{language}\n(.*?)```", DOCS_PAGE.read_text(), re.DOTALL)


def test_the_python_example(web: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [example] = code_blocks("python")
    (tmp_path / "public" / "css").mkdir(parents=True)
    (tmp_path / "public" / "css" / "style.css").write_text("body { margin: 0; }\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "report.csv").write_text("a,b\n1,2\n")
    (tmp_path / "robots.txt").write_text("User-agent: *\n")
    script = tmp_path / "site.py"
    script.write_text(example)
    monkeypatch.setattr(
        cherrypy,
        "quickstart",
        lambda root, script_name, config: cherrypy.tree.mount(root, script_name, config),
    )
    runpy.run_path(str(script), run_name="__main__")

    assert web.get("/static/css/style.css").body == b"body { margin: 0; }\n"
    assert web.get("/robots.txt").body == b"User-agent: *\n"
    report = web.get("/report")
    assert report.body == b"a,b\n1,2\n"
    assert report.header("Content-Disposition") == 'attachment; filename="report.csv"'
    assert web.get("/favicon.ico").header("Content-Type") == "image/x-icon"
    assert b"/static/css/style.css" in web.get("/").body


def test_the_ini_example(web: Any, tmp_path: Path, site: Any) -> None:
    [ini] = code_blocks("ini")
    conf = tmp_path / "site.conf"
    conf.write_text(ini.replace("/home/site", str(site.root)))
    (site.root / "style.css").write_text("p {}\n")
    cherrypy.tree.mount(None, "/", str(conf))
    assert web.get("/static/alpha.txt").body == b"abcdefghijklmnopqrstuvwxyz"
    assert web.get("/style.css").body == b"p {}\n"
