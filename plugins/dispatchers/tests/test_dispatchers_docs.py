"""The MethodDispatcher and VirtualHost examples of ``docs/dispatchers.md`` run as written."""

from __future__ import annotations

import re
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.testing import serve

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "dispatchers.md"


def code_blocks(language: str) -> list[str]:
    """The fenced ``language`` blocks of the docs page."""
    return re.findall(rf"```{language}\n(.*?)```", DOCS_PAGE.read_text(), re.DOTALL)


def run_example(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a docs example as ``__main__``, with quickstart only mounting the app."""
    script = tmp_path / "example.py"
    script.write_text(source)
    monkeypatch.setattr(
        cherrypy,
        "quickstart",
        lambda root, script_name, config: cherrypy.tree.mount(root, script_name, config),
    )
    runpy.run_path(str(script), run_name="__main__")


def test_the_method_dispatcher_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = code_blocks("python")[0]
    assert "MethodDispatcher" in example
    run_example(example, tmp_path, monkeypatch)
    with serve() as base:
        reply = requests.put(base + "/shopping?text=milk")
        assert (reply.text, reply.headers["X-Stored"]) == ("stored", "yes")
        reply = requests.get(base + "/shopping")
        assert reply.text == "milk"
        assert reply.headers["Allow"] == "DELETE, GET, HEAD, PUT"
        assert "X-Stored" not in reply.headers
        assert requests.head(base + "/shopping").status_code == 200
        assert requests.post(base + "/shopping").status_code == 405
        assert requests.delete(base + "/shopping").status_code == 200
        assert requests.get(base + "/shopping").status_code == 404


def test_the_ini_example(serve_root: Callable[..., str], tmp_path: Path) -> None:
    [ini] = code_blocks("ini")
    conf = tmp_path / "app.conf"
    conf.write_text(ini)

    class Resource:
        exposed = True

        def GET(self) -> str:
            return "from the file"

    base = serve_root(Resource(), str(conf))
    assert requests.get(base + "/").text == "from the file"
    assert requests.post(base + "/").status_code == 405


def test_the_virtual_host_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example: Any = code_blocks("python")[1]
    assert "VirtualHost" in example
    run_example(example, tmp_path, monkeypatch)
    with serve() as base:
        assert requests.get(base + "/").text == "the main site"
        shop = {"Host": "shop.example.com"}
        assert requests.get(base + "/", headers=shop).text == "the shop"
        shop_tls = {"Host": "shop.example.com:8443"}
        assert requests.get(base + "/", headers=shop_tls).text == "the shop"
