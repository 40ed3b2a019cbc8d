"""Fixtures: a throwaway memcached (scripts/start-memcached.sh), a clean kernel, app servers.

The memcached server is started once per test session on a free loopback port.  Without the
``memcached`` binary the tests are skipped with the reason, unless the ``CI`` environment
variable is set: then they fail, so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.kernel.testing import reset, serve
from cherrypy_sessions import cleanup, registry, tool
from cherrypy_sessions_memcached import backend

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"


class MemcachedServer:
    """A memcached process run by the repository's scripts; restartable on the same port."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.address = ""

    def _run(self, *args: str) -> str:
        result = subprocess.run(
            [str(SCRIPTS / args[0]), *args[1:]], capture_output=True, text=True, timeout=60
        )
        if result.returncode == 127:
            reason = result.stderr.strip() or "memcached is not installed"
            if os.environ.get("CI"):
                pytest.fail(f"{reason} (CI is set: the memcached tests must run)")
            pytest.skip(reason)
        if result.returncode != 0:
            pytest.fail(f"{args[0]} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def start(self) -> None:
        """Start the server (on its previous port if it ran before)."""
        port = self.address.rpartition(":")[2]
        self.address = self._run("start-memcached.sh", self.directory, *([port] if port else []))

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        self._run("stop-memcached.sh", self.directory)

    def client(self) -> Any:
        """A plain pymemcache client on the server, to look at what the backend stored."""
        from pymemcache.client.base import Client

        return Client(self.address, connect_timeout=2, timeout=2)


@pytest.fixture(scope="session")
def memcached() -> Iterator[MemcachedServer]:
    """The test session's memcached server."""
    with tempfile.TemporaryDirectory(prefix="cherrypy-memcached-") as directory:
        server = MemcachedServer(directory)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _clear_session_state() -> None:
    cleanup.stop_all()
    tool.reset_settings()
    registry.reset()
    backend.close_clients()


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    """Every test starts with no apps, default config and fresh memcached connections."""
    reset()
    cherrypy.config.update({"log.screen": False})
    _clear_session_state()
    yield
    reset()
    _clear_session_state()


class Counter:
    """Page handlers over ``cherrypy.session``."""

    @cherrypy.expose
    def index(self) -> str:
        count = cherrypy.session.get("count", 0) + 1
        cherrypy.session["count"] = count
        return str(count)

    @cherrypy.expose
    def increment(self) -> str:
        count = cherrypy.session.get("count", 0)
        time.sleep(0.001)  # widen the read-modify-write window a lost update would need
        cherrypy.session["count"] = count + 1
        return str(count + 1)

    @cherrypy.expose
    def peek(self) -> str:
        return repr(cherrypy.session.get("count"))

    @cherrypy.expose
    def regenerate(self) -> str:
        cherrypy.tools.sessions.regenerate()
        return cherrypy.session.id

    @cherrypy.expose
    def logout(self) -> str:
        cherrypy.lib.sessions.expire()
        return "bye"


@pytest.fixture
def session_conf(memcached: MemcachedServer) -> dict[str, Any]:
    """``tools.sessions`` config for the test server, with a per-test key prefix."""
    return {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "memcached",
        "tools.sessions.servers": [memcached.address],
        "tools.sessions.key_prefix": f"t{time.monotonic_ns()}:",
        "tools.sessions.socket_timeout": 2,
        "tools.sessions.connect_timeout": 1,
    }


@pytest.fixture
def live() -> Callable[..., Any]:
    """``live(root, config)``: mount ``root`` on ``/`` and serve it (a context manager)."""

    def mount_and_serve(root: Any, config: dict[str, Any] | None = None) -> Any:
        cherrypy.tree.mount(root, "/", config or {})
        return serve()

    return mount_and_serve


APP = """
import json, sys, time
import cherrypy
from cherrypy.kernel.testing import serve


class Root:
    @cherrypy.expose
    def increment(self):
        count = cherrypy.session.get("count", 0)
        time.sleep(0.001)
        cherrypy.session["count"] = count + 1
        return str(count + 1)


cherrypy.config.update({"environment": "test_suite", "log.screen": False})
cherrypy.tree.mount(Root(), "/", {"/": json.loads(sys.argv[1])})
with serve() as base:
    print(base, flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def app_processes(tmp_path: Path) -> Iterator[Callable[[dict[str, Any], int], list[str]]]:
    """``app_processes(conf, n)``: n server processes serving an increment page; base URLs."""
    import json

    script = tmp_path / "app.py"
    script.write_text(APP)
    processes: list[subprocess.Popen[str]] = []

    def start(conf: dict[str, Any], count: int) -> list[str]:
        started = [
            subprocess.Popen(
                [sys.executable, str(script), json.dumps(conf)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(count)
        ]
        processes.extend(started)
        bases = [p.stdout.readline().strip() for p in started]  # type: ignore[union-attr]
        assert all(base.startswith("http://") for base in bases), bases
        return bases

    yield start
    for process in processes:
        process.stdin.close()  # type: ignore[union-attr]
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def hammer(bases: list[str], sid: str, threads: int = 20, increments: int = 10) -> list[int]:
    """``threads`` clients increment session ``sid`` ``increments`` times each, spread over
    ``bases``; returns the counts the server answered (asserts every request succeeded)."""
    answers: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def client(base: str) -> None:
        try:
            with requests.Session() as http:
                http.cookies.set("session_id", sid)
                barrier.wait()
                for _ in range(increments):
                    response = http.get(base + "/increment", timeout=30)
                    assert response.status_code == 200, response.text
                    answers.append(int(response.text))
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [
        threading.Thread(target=client, args=(bases[i % len(bases)],)) for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors[:3]
    return answers


@pytest.fixture
def hammer_session() -> Callable[..., list[int]]:
    """The :func:`hammer` helper."""
    return hammer


@pytest.fixture
def counter() -> Counter:
    """A fresh :class:`Counter` root."""
    return Counter()
