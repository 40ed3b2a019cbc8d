"""``/static/file.txt/`` names a directory that does not exist: 404, as in CherryPy (not the
file under a second URL)."""

from __future__ import annotations

from pathlib import Path

import requests

import cherrypy
from cherrypy.testing import reset, serve


class Root:
    pass


def test_a_file_with_a_trailing_slash_is_not_found(tmp_path: Path) -> None:
    reset()
    (tmp_path / "file.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("index")
    conf = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.dir": str(tmp_path),
            "tools.staticdir.index": "index.html",
        }
    }
    cherrypy.tree.mount(Root(), "", conf)
    try:
        with serve() as base:
            plain = requests.get(base + "/static/file.txt", timeout=10)
            slashed = requests.get(base + "/static/file.txt/", timeout=10)
            directory = requests.get(base + "/static/sub/", timeout=10)
    finally:
        reset()
    assert (plain.status_code, plain.text) == (200, "hello")
    assert slashed.status_code == 404
    assert (directory.status_code, directory.text) == (200, "index")
