"""The examples of ``docs/sessions.md`` run as written."""

from __future__ import annotations

import re
import runpy
import types
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.plugin import get_plugin_manager
from cherrypy.testing import serve

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "sessions.md"


def code_blocks(language: str) -> list[str]:
    """The fenced ``language`` blocks of the docs page."""
    return re.findall(rf"```{language}\n(.*?)```", DOCS_PAGE.read_text(), re.DOTALL)


def run_example(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    script = tmp_path / "example.py"
    script.write_text(source)
    monkeypatch.setattr(
        cherrypy,
        "quickstart",
        lambda root, script_name="", config=None: cherrypy.tree.mount(root, script_name, config),
    )
    return runpy.run_path(str(script), run_name="__main__")


def test_counter_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = code_blocks("python")[0]
    run_example(counter, tmp_path, monkeypatch)
    with serve() as base:
        client = requests.Session()
        assert client.get(base + "/").text == "You have been here 1 time(s)."
        assert client.get(base + "/").text == "You have been here 2 time(s)."
        assert "Max-Age=1800" in client.get(base + "/").headers["Set-Cookie"]
        assert client.get(base + "/logout").text == "Bye."
        assert client.get(base + "/").text == "You have been here 1 time(s)."


def test_ini_example(tmp_path: Path) -> None:
    [ini] = code_blocks("ini")
    storage = tmp_path / "sessions"
    storage.mkdir()
    conf = tmp_path / "site.conf"
    conf.write_text(ini.replace("/var/lib/mysite/sessions", str(storage)))

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
            return str(cherrypy.session["n"])

    cherrypy.tree.mount(Root(), "/", str(conf))
    with serve() as base:
        client = requests.Session()
        assert [client.get(base + "/").text for _ in range(2)] == ["1", "2"]
    assert (storage / f"session-{client.cookies['session_id']}").exists()


def test_session_auth_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    login = code_blocks("python")[1]
    run_example(login, tmp_path, monkeypatch)
    with serve() as base:
        client = requests.Session()
        assert "do_login" in client.get(base + "/").text
        wrong = client.post(base + "/do_login", data={"username": "alice", "password": "x"})
        assert "Wrong login/password" in wrong.text
        client.post(base + "/do_login", data={"username": "alice", "password": "s3cret"})
        assert client.get(base + "/").text == "Hello alice!"


def test_backend_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = code_blocks("python")[2]
    namespace = run_example(backend, tmp_path, monkeypatch)
    plugin = types.SimpleNamespace(
        cherrypy_register_session_backends=namespace["cherrypy_register_session_backends"]
    )
    manager = get_plugin_manager()
    manager.register(plugin, name="docs-dict-backend")
    try:
        dict_session = namespace["DictSession"]

        class Root:
            @cherrypy.expose
            def index(self) -> str:
                cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
                return f"{cherrypy.session['n']} {type(cherrypy.serving.session).__name__}"

        conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "dict"}}
        cherrypy.tree.mount(Root(), "/", conf)
        with serve() as base:
            client = requests.Session()
            assert client.get(base + "/").text == "1 DictSession"
            assert client.get(base + "/").text == "2 DictSession"
        assert len(dict_session.store) == 1
    finally:
        manager.unregister(name="docs-dict-backend")
