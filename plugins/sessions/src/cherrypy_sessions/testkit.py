"""Test kit for session storage backends: pages over ``cherrypy.session``, a live server,
several server processes, and a concurrent-increment hammer.

Backend distributions (memcached, PostgreSQL, ...) import these in their ``conftest.py`` and
add their own ``session_conf`` fixture.  Only test suites import this module; it needs pytest
and requests.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.kernel.testing import serve

__all__ = ["APP", "Counter", "app_processes", "counter", "hammer", "hammer_session", "live"]


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
