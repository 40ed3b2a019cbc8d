"""The seed documentation's static examples and ``cherrypy.tutorial.tut09_files``, unchanged.

Each program is run as its reader runs it (``python tut06.py`` from its folder, ``python -m
cherrypy.tutorial.tut09_files``) with ``cherrypy.quickstart`` replaced by a function that only
applies the config and mounts the root, as the real one does before starting the server;
``cherrypy.tree`` is then served over real HTTP.

Tutorials 6, 8 and 9 also switch on features of other distributions (``tools.sessions``,
``tools.accept``, ``MethodDispatcher``) for paths these tests do not request.  When one of
those distributions is not installed, :func:`standins` puts an inert stand-in in its place,
so that this plugin's tests need nothing but the kernel.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypy
from cherrypy.plugin import Dispatcher, Tool

SEED_EXAMPLES = Path(__file__).resolve().parents[3] / "tests" / "seed_examples"


def _inert(**kwargs: Any) -> None:
    """A tool callable that does nothing."""


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inert stand-ins for the tools and dispatcher of plugins that are not installed."""
    for name in ("sessions", "accept", "response_headers"):
        if not hasattr(cherrypy.tools, name):
            monkeypatch.setattr(
                cherrypy.tools, name, Tool("on_start_resource", _inert, name), raising=False
            )
    if not hasattr(cherrypy.dispatch, "MethodDispatcher"):
        monkeypatch.setattr(cherrypy.dispatch, "MethodDispatcher", Dispatcher, raising=False)


@pytest.fixture
def quickstart_mounts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, str, Any]]:
    """Replace ``cherrypy.quickstart`` with its config-and-mount part; record the calls."""
    calls: list[tuple[Any, str, Any]] = []

    def mount_only(root: Any = None, script_name: str = "", config: Any = None) -> None:
        calls.append((root, script_name, config))
        if config:
            cherrypy.config.update(config)
        cherrypy.tree.mount(root, script_name, config)

    monkeypatch.setattr(cherrypy, "quickstart", mount_only)
    return calls


def run_seed_example(relative: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run ``tests/seed_examples/<relative>`` from its own folder, as ``python <file>``."""
    path = SEED_EXAMPLES / relative
    monkeypatch.chdir(path.parent)
    return runpy.run_path(str(path), run_name="__main__")


@pytest.fixture
def engine_listeners() -> Iterator[None]:
    """Drop the engine subscriptions a tutorial makes (tutorial 9 subscribes its database)."""
    before = {channel: set(listeners) for channel, listeners in cherrypy.engine.listeners.items()}
    yield
    for channel, listeners in cherrypy.engine.listeners.items():
        for callback in set(listeners) - before.get(channel, set()):
            cherrypy.engine.unsubscribe(channel, callback)


@pytest.mark.parametrize("example", ["tut06/tut06.py", "tut08/tut08_py3.py", "tut09/tut09_py3.py"])
def test_seed_tutorial_serves_its_stylesheet(
    web: Any,
    example: str,
    standins: None,
    quickstart_mounts: list[Any],
    engine_listeners: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_seed_example(example, monkeypatch)
    [(_root, script_name, config)] = quickstart_mounts
    assert script_name == "/"
    assert config["/static"] == {"tools.staticdir.on": True, "tools.staticdir.dir": "./public"}
    stylesheet = (SEED_EXAMPLES / example).parent / "public" / "css" / "style.css"

    # "served ... using the http://localhost:8080/static/css/style.css URL"
    reply = web.get("/static/css/style.css")
    assert reply.status == 200
    assert reply.body == stylesheet.read_bytes()
    assert reply.header("Content-Type") == "text/css"
    assert web.get("/static/css/style.css", If_None_Match=reply.header("ETag")).status == 304
    assert web.get("/static/css/missing.css").status == 404
    assert web.get("/static/../tut06.py").status == 403

    page = web.get("/")
    assert page.status == 200
    assert b'<link href="/static/css/style.css" rel="stylesheet">' in page.body


def test_tutorial_9_download(web: Any, quickstart_mounts: list[Any]) -> None:
    sys.modules.pop("cherrypy.tutorial.tut09_files", None)
    namespace = runpy.run_module("cherrypy.tutorial.tut09_files", run_name="__main__")
    pdf = (Path(namespace["absDir"]) / "pdf_file.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")

    reply = web.get("/download")
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/x-download"
    assert reply.header("Content-Disposition") == 'attachment; filename="pdf_file.pdf"'
    assert reply.header("Content-Length") == str(len(pdf))
    assert reply.body == pdf

    # A download manager resuming the transfer.
    resumed = web.get("/download", Range="bytes=100-")
    assert (resumed.status, resumed.body) == (206, pdf[100:])
    head = web.head("/download")
    assert (head.status, head.body, head.header("Content-Length")) == (200, b"", str(len(pdf)))
    assert "download" in web.get("/").text
