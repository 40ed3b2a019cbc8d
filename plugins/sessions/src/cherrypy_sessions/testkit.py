"""Test kit for session storage backends: pages over ``cherrypy.session``, a live server,
several server processes, a concurrent-increment hammer, a throwaway service run by the
repository's scripts, and the per-test reset of kernel and session state.

Backend distributions (memcached, PostgreSQL, ...) import these in their ``conftest.py`` and
add a ``session_conf`` fixture (the ``tools.sessions`` config of their store) and a
``service`` fixture (their :class:`ScriptedService`); :mod:`cherrypy_sessions.testsuite` holds
the tests every backend runs.  Only test suites import this module; it needs pytest and
requests.
"""

from __future__ import annotations

import os
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
from cherrypy.testing import reset, serve

__all__ = [
    "APP",
    "Counter",
    "Gated",
    "ScriptedService",
    "app_processes",
    "counter",
    "gated",
    "hammer",
    "hammer_session",
    "in_background",
    "live",
    "reset_between_tests",
    "wait_for",
]


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


class Gated(Counter):
    """A :class:`Counter` whose ``/slow`` page counts, then waits for :attr:`gate` while it
    holds the session lock (the test sets the gate; :attr:`entered` says one got there)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()

    @cherrypy.expose
    def untouched(self) -> str:
        return "nothing read"

    @cherrypy.expose
    def slow(self) -> str:
        count = cherrypy.session.get("count", 0) + 1
        cherrypy.session["count"] = count
        self.entered.set()
        self.gate.wait(60)
        return str(count)


@pytest.fixture
def gated() -> Iterator[Gated]:
    """A fresh :class:`Gated` root; its gate opens at the end of the test in any case."""
    root = Gated()
    yield root
    root.gate.set()


def in_background(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``call`` in a daemon thread; the list receives its result (or its exception)."""
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(call())
        except BaseException as exc:  # the caller's assertions report it
            results.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, results


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


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
from cherrypy.testing import serve


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


def _clear_session_state(extra: tuple[Callable[[], object], ...]) -> None:
    from cherrypy_sessions import cleanup, registry, tool

    cleanup.stop_all()
    tool.reset_settings()
    registry.reset()
    for clear in extra:
        clear()


def reset_between_tests(*clear: Callable[[], object]) -> Callable[..., Iterator[None]]:
    """An autouse fixture for a ``conftest.py``: each test starts and ends with no mounted
    apps, default config (screen logging off), no cleanup threads, no compiled session
    settings, the default backend registry, and whatever the ``clear`` callables reset (a
    backend's connection pools, the RAM store...)."""

    @pytest.fixture(autouse=True)
    def clean_state() -> Iterator[None]:
        """No apps, default config and fresh session state around every test."""
        reset()
        cherrypy.config.update({"log.screen": False})
        _clear_session_state(clear)
        yield
        reset()
        _clear_session_state(clear)

    return clean_state


class ScriptedService:
    """A throwaway server run by ``scripts/start-<script>.sh DIR [PORT]`` and
    ``scripts/stop-<script>.sh DIR``; restartable on the same port.

    The start script prints the address clients use (kept in :attr:`address`) and exits 127
    when the server software is missing: the test is then skipped with the script's reason,
    unless the ``CI`` environment variable is set, where it fails, so CI cannot pass without
    running it.  Subclasses set the class attributes and :meth:`port`.
    """

    scripts: Path
    """The folder holding the start and stop scripts."""

    script: str = ""
    """The service part of the script names (``"memcached"`` for ``start-memcached.sh``)."""

    label: str = ""
    """The service's name in messages (``"PostgreSQL"``)."""

    script_timeout: float = 60
    """Seconds a start or stop script may take."""

    reconnects_at_once: bool = True
    """True if every request succeeds again as soon as the server is back after a restart;
    False if clients may need a moment to reconnect (connection pools)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.address = ""

    def run_script(self, action: str, *args: str) -> str:
        """Run ``<action>-<script>.sh DIR *args``; its output, stripped."""
        path = self.scripts / f"{action}-{self.script}.sh"
        result = subprocess.run(
            [str(path), self.directory, *args],
            capture_output=True,
            text=True,
            timeout=self.script_timeout,
        )
        if result.returncode == 127:
            reason = result.stderr.strip() or f"{self.label} is not installed"
            if os.environ.get("CI"):
                pytest.fail(f"{reason} (CI is set: the {self.label} tests must run)")
            pytest.skip(reason)
        if result.returncode != 0:
            pytest.fail(f"{path.name} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    @property
    def port(self) -> str:
        """The port in :attr:`address` ("" before the first start)."""
        return self.address.rpartition(":")[2]

    def start(self) -> None:
        """Start the server (on its previous port if it ran before)."""
        port = self.port
        self.address = self.run_script("start", *([port] if port else []))

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        self.run_script("stop")
