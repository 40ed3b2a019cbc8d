"""Tutorial 7 of the seed ("Give us a REST") runs unchanged: MethodDispatcher + sessions +
tools.accept + tools.response_headers, replaying the tutorial's own requests session."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy.testing import reset, serve

TUT07 = Path(__file__).parent / "seed_examples" / "tut07.py"


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    reset()
    yield
    reset()


def test_tutorial_7_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        cherrypy,
        "quickstart",
        lambda root, script_name, config: cherrypy.tree.mount(root, script_name, config),
    )
    runpy.run_path(str(TUT07), run_name="__main__")
    with serve() as base:
        s = requests.Session()
        assert s.get(base + "/").status_code == 500  # nothing stored yet
        reply = s.post(base + "/")
        assert reply.status_code == 200
        assert reply.headers["Content-Type"].startswith("text/plain")
        assert reply.headers["Allow"] == "DELETE, GET, HEAD, POST, PUT"
        generated = reply.text
        assert len(generated) == 8
        assert s.get(base + "/").text == generated
        assert s.get(base + "/", headers={"Accept": "application/json"}).status_code == 406
        assert s.put(base + "/", params={"another_string": "hello"}).status_code == 200
        reply = s.get(base + "/")
        assert (reply.status_code, reply.text) == (200, "hello")
        assert s.delete(base + "/").status_code == 200
        assert s.get(base + "/").status_code == 500
        assert s.request("PATCH", base + "/").status_code == 405
