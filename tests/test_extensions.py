"""CherryPy extensions from the package index run unchanged on our kernel, over HTTP.

cherrypy-cors, cherrys (Redis sessions, against a real ``redis-server`` started by
``scripts/start-redis.sh``) and cherrypy-jinja2 are installed from the index in the dev
dependency group; their ``Requires-Dist: CherryPy`` is satisfied by ``compat/CherryPy``, so
``cherrypy`` is this project's.  Each test follows the extension's own documented usage.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy.testing import reset, serve
from cherrypy_sessions.testkit import ScriptedService

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset()
    yield
    reset()


def test_cherrypy_resolves_to_this_project() -> None:
    assert Path(cherrypy.__file__).is_relative_to(ROOT / "core" / "src")
    assert metadata.version("CherryPy").endswith("+kernel.0.1.0")
    requires = metadata.requires("CherryPy") or []
    assert any(req.startswith("cherrypy-kernel") for req in requires)


# --------------------------------------------------------------------------- cherrypy-cors


def test_cherrypy_cors_as_documented() -> None:
    import cherrypy_cors

    cherrypy_cors.install()

    class Root:
        @cherrypy.expose
        def data(self) -> str:
            return "shared"

        @cherrypy.expose
        def private(self) -> str:
            return "mine"

    config = {
        "/data": {"cors.expose.on": True},
        "/private": {},
    }
    cherrypy.tree.mount(Root(), "", config)
    with serve() as base:
        shared = requests.get(base + "/data", headers={"Origin": "https://a.example"}, timeout=10)
        private = requests.get(
            base + "/private", headers={"Origin": "https://a.example"}, timeout=10
        )
    assert shared.text == "shared"
    assert shared.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "Origin" in shared.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in private.headers


def test_cherrypy_cors_installed_after_mounting() -> None:
    import cherrypy_cors

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "hello"

    # cherrypy-cors' own tests mount first: its toolbox joins Application's class-level
    # toolboxes, which every application reads live, as in CherryPy.
    cherrypy.tree.mount(Root(), "", {"/": {"cors.expose.on": True}})
    cherrypy_cors.install()
    with serve() as base:
        response = requests.get(base + "/", headers={"Origin": "https://c.example"}, timeout=10)
    assert response.headers["Access-Control-Allow-Origin"] == "https://c.example"


def test_the_extensions_own_test_suites_pass() -> None:
    """``nox -s extensions`` in the suite: their sdists' tests, run against our kernel."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "extension_suites.py")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^cherrypy-cors \S+: \d+ passed", result.stdout, re.M), result.stdout


def test_cherrypy_cors_preflight() -> None:
    import cherrypy_cors

    cherrypy_cors.install()

    class Api:
        @cherrypy.expose
        def index(self) -> str:
            if cherrypy_cors.preflight(allowed_methods=["GET", "PUT"]):
                return ""
            return "resource"

    cherrypy.tree.mount(Api(), "", {"/": {"cors.expose.on": True}})
    with serve() as base:
        response = requests.options(
            base + "/",
            headers={
                "Origin": "https://b.example",
                "Access-Control-Request-Method": "PUT",
            },
            timeout=10,
        )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]


# --------------------------------------------------------------------------- cherrypy-jinja2


def test_cherrypy_jinja2_as_documented(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>{{ message }}</p>")
    import cherrypy_jinja2  # noqa: F401 - importing it adds tools.jinja2

    class Root:
        @cherrypy.expose
        @cherrypy.tools.jinja2(template="index.html")
        def index(self) -> dict[str, str]:
            return {"message": "Hello"}

    cherrypy.tree.mount(Root(), "", {"/": {"tools.jinja2.search_path": str(tmp_path)}})
    with serve() as base:
        response = requests.get(base + "/", timeout=10)
    assert response.status_code == 200
    assert response.text == "<p>Hello</p>"


# --------------------------------------------------------------------------- cherrys


class RedisServer(ScriptedService):
    """A throwaway redis-server run by the repository's scripts."""

    scripts = ROOT / "scripts"
    script = "redis"
    label = "Redis"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="cherrypy-redis-") as directory:
        server = RedisServer(directory)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def test_cherrys_redis_sessions_as_documented(redis_server: RedisServer) -> None:
    import cherrys
    import redis

    cherrypy.lib.sessions.RedisSession = cherrys.RedisSession
    host, port = redis_server.address.split(":")

    class Counter:
        @cherrypy.expose
        def index(self) -> str:
            count = cherrypy.session.get("count", 0) + 1
            cherrypy.session["count"] = count
            return str(count)

    config = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "redis",
            "tools.sessions.host": host,
            "tools.sessions.port": int(port),
            "tools.sessions.prefix": "test:",
        }
    }
    cherrypy.tree.mount(Counter(), "", config)
    with serve() as base, requests.Session() as client:
        counts = [client.get(base + "/", timeout=10).text for _ in range(3)]
        session_id = client.cookies["session_id"]
    assert counts == ["1", "2", "3"]
    stored = redis.Redis(host=host, port=int(port)).get("test:" + session_id)
    assert stored is not None  # the data really is in Redis, not in memory
