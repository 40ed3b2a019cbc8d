"""The seed's session examples and ``cherrypy.tutorial.tut07_sessions``, over real HTTP.

Each seed program runs as its reader runs it (``python tutNN.py``), with
``cherrypy.quickstart`` replaced by a function that only mounts the root (as the real one
does before starting the server); ``cherrypy.tree`` is then served on a free port.

Tutorial 7 of the seed also needs ``MethodDispatcher`` (cherrypy-dispatchers) and
``tools.accept`` / ``tools.response_headers`` (cherrypy-cptools).  When those distributions
are installed the test uses them; otherwise it puts minimal stand-ins in their place for the
duration of the test, so that this distribution's tests need only the kernel.  What the test
checks is the session behaviour the seed documents.
"""

from __future__ import annotations

import importlib.util
import runpy
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.kernel import pipeline
from cherrypy.plugin import (
    Dispatcher,
    LateParamPageHandler,
    Tool,
    add_handler_config,
    serving,
)
from cherrypy.testing import serve

SEED = Path(__file__).resolve().parents[3] / "tests" / "seed_examples"
HEX = set(string.hexdigits)


@pytest.fixture
def run_seed(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``run_seed(path)``: run a seed program as ``__main__`` with a mount-only quickstart."""

    def mount_only(root: Any = None, script_name: str = "", config: Any = None) -> None:
        cherrypy.tree.mount(root, script_name, config)

    def run(path: Path) -> None:
        monkeypatch.setattr(cherrypy, "quickstart", mount_only)
        monkeypatch.chdir(path.parent)
        runpy.run_path(str(path), run_name="__main__")

    return run


def test_using_sessions_counter_with_app_conf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Common tasks / Using sessions: the counter snippet with the seed's ``app.conf``."""

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            if "count" not in cherrypy.session:
                cherrypy.session["count"] = 0
            cherrypy.session["count"] += 1
            return str(cherrypy.session["count"])

    monkeypatch.chdir(SEED / "sessions")
    cherrypy.tree.mount(Root(), "/", "app.conf")
    with serve() as base:
        client = requests.Session()
        assert [client.get(base + "/").text for _ in range(3)] == ["1", "2", "3"]
        assert requests.get(base + "/").text == "1"


def test_filesystem_backend_ini_snippet(tmp_path: Path) -> None:
    """Common tasks / Filesystem backend: the INI keys, with a real directory."""
    storage = tmp_path / "sessions"
    storage.mkdir()
    conf = tmp_path / "app.conf"
    conf.write_text(
        "[/]\n"
        "tools.sessions.on: True\n"
        'tools.sessions.storage_type = "file"\n'
        f'tools.sessions.storage_path = "{storage}"\n'
    )

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            cherrypy.session["count"] = cherrypy.session.get("count", 0) + 1
            return str(cherrypy.session["count"])

    cherrypy.tree.mount(Root(), "/", str(conf))
    with serve() as base:
        client = requests.Session()
        assert [client.get(base + "/").text for _ in range(2)] == ["1", "2"]
    sid = client.cookies["session_id"]
    assert (storage / f"session-{sid}").exists()


def test_memcached_backend_ini_snippet_names_the_distribution(tmp_path: Path) -> None:
    """Common tasks / Memcached backend: without the plugin, the error says what to install."""
    if importlib.util.find_spec("cherrypy_sessions_memcached") is not None:
        pytest.skip("cherrypy-sessions-memcached is installed; its own tests run this snippet")
    conf = tmp_path / "app.conf"
    conf.write_text('[/]\ntools.sessions.on: True\ntools.sessions.storage_type = "memcached"\n')

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "x"

    cherrypy.tree.mount(Root(), "/", str(conf))
    with serve() as base:
        response = requests.get(base + "/")
    assert response.status_code == 500
    assert "pip install cherrypy-sessions-memcached" in response.text


@pytest.mark.parametrize("program", ["tut05.py", "tut06/tut06.py"])
def test_tutorials_5_and_6_remember_the_string(run_seed: Any, program: str) -> None:
    """Tutorials 5 and 6: /generate stores the string in the session, /display shows it."""
    run_seed(SEED / program)
    with serve() as base:
        client = requests.Session()
        generated = client.get(base + "/generate", params={"length": 16})
        assert generated.status_code == 200
        assert len(generated.text) == 16 and set(generated.text) <= HEX
        assert client.get(base + "/display").text == generated.text
        assert client.get(base + "/display").text == generated.text
        # Another visitor has no string in their session: the KeyError is a 500.
        assert requests.get(base + "/display").status_code == 500
        other = requests.Session()
        other_string = other.get(base + "/generate").text
        assert len(other_string) == 8
        assert other.get(base + "/display").text == other_string
        assert client.get(base + "/display").text == generated.text


# -- tutorial 7 (REST) -----------------------------------------------------------------------


class _MethodDispatcherStandIn(Dispatcher):
    """Calls the resource's method named like the HTTP method (cherrypy-dispatchers' job)."""

    def __call__(self, path_info: str) -> None:
        request = serving.request
        resource, vpath = self.find_handler(path_info)
        if not resource:
            request.handler = cherrypy.NotFound()
            return
        method = getattr(resource, request.method.upper(), None)
        if method is None:
            request.handler = cherrypy.HTTPError(405)
            return
        if hasattr(method, "_cp_config"):
            add_handler_config(request, method._cp_config)
        request.handler = LateParamPageHandler(method, *vpath)


def _accept_stand_in(media: str | None = None, debug: bool = False) -> None:
    accept = serving.request.headers.get("Accept", "*/*")
    if "*/*" not in accept and (media is None or media not in accept):
        raise cherrypy.HTTPError(406)


def _response_headers_stand_in(headers: Any = None, debug: bool = False) -> None:
    for name, value in headers or ():
        serving.response.headers[name] = value


def _have_tool(name: str) -> bool:
    try:
        getattr(cherrypy.tools, name)
    except AttributeError:
        return False
    return True


@pytest.fixture
def rest_pieces(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """MethodDispatcher, tools.accept and tools.response_headers: real ones or stand-ins."""
    added = []
    for name, func in (
        ("accept", _accept_stand_in),
        ("response_headers", _response_headers_stand_in),
    ):
        if not _have_tool(name):
            setattr(cherrypy.tools, name, Tool("on_start_resource", func))
            added.append(name)
    try:
        cherrypy.dispatch.MethodDispatcher  # noqa: B018
    except AttributeError:
        monkeypatch.setattr(
            cherrypy.dispatch, "MethodDispatcher", _MethodDispatcherStandIn, raising=False
        )
    try:
        yield
    finally:
        for name in added:
            object.__delattr__(cherrypy.tools, name)
        pipeline.invalidate()


def test_tutorial_7_rest_session(run_seed: Any, rest_pieces: None) -> None:
    """Tutorial 7: the ``requests`` session of ``tut07_session.pycon``, status by status."""
    run_seed(SEED / "tut07.py")
    with serve() as base:
        s = requests.Session()
        r = s.get(base + "/")
        assert r.status_code == 500
        r = s.post(base + "/")
        assert r.status_code == 200 and len(r.text) == 8 and set(r.text) <= HEX
        generated = r.text
        r = s.get(base + "/")
        assert (r.status_code, r.text) == (200, generated)
        assert r.headers["Content-Type"].startswith("text/plain")
        r = s.get(base + "/", headers={"Accept": "application/json"})
        assert r.status_code == 406
        r = s.put(base + "/", params={"another_string": "hello"})
        assert r.status_code == 200
        r = s.get(base + "/")
        assert (r.status_code, r.text) == (200, "hello")
        r = s.delete(base + "/")
        assert r.status_code == 200
        r = s.get(base + "/")
        assert r.status_code == 500


def test_cherrypy_tutorial_tut07_sessions() -> None:
    """``python -m cherrypy.tutorial.tut07_sessions``: a hit counter per visitor."""
    from cherrypy.tutorial import tut07_sessions

    assert Path(tut07_sessions.tutconf).exists()
    cherrypy.tree.mount(tut07_sessions.HitCounter(), "/")
    with serve() as base:
        alice = requests.Session()
        pages = [alice.get(base + "/").text for _ in range(3)]
        assert pages == [
            f"You have loaded this page {n} time(s) in this session." for n in (1, 2, 3)
        ]
        bob = requests.get(base + "/").text
        assert bob == "You have loaded this page 1 time(s) in this session."
        assert alice.get(base + "/").text.startswith("You have loaded this page 4 ")
