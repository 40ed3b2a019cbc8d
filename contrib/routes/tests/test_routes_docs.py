"""The RoutesDispatcher example of ``docs/dispatchers.md`` runs as written."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy.testing import serve

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "dispatchers.md"


def test_the_routes_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(), re.DOTALL)
    [example] = [block for block in blocks if "RoutesDispatcher" in block]
    script = tmp_path / "example.py"
    script.write_text(example)
    monkeypatch.setattr(
        cherrypy,
        "quickstart",
        lambda root, script_name, config: cherrypy.tree.mount(root, script_name, config),
    )
    runpy.run_path(str(script), run_name="__main__")
    with serve() as base:
        reply = requests.get(base + "/blog")
        assert (reply.text, reply.headers["X-Section"]) == ("all posts", "blog")
        assert requests.get(base + "/blog/2024/hello").text == "post hello of 2024"
        reply = requests.post(base + "/blog/2024/hello", data={"text": "new"})
        assert reply.text == "updated hello"
        reply = requests.get(base + "/archives/2024/hello", allow_redirects=False)
        assert reply.status_code == 302
        assert reply.headers["Location"].endswith("/blog/2024/hello")
        assert requests.get(base + "/blog/2024").status_code == 404
