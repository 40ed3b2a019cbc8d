"""Fixtures for cherrypy-health tests: a clean kernel, the probes switched off after each test,
and ``cherrypy.engine`` started with its own HTTP server on a free port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.pytest_fixtures import (  # noqa: F401
    clean_kernel,
    docs_example,
    error_log,
    serve_root,
    wsgi_call,
)
from cherrypy_health import health
from cherrypy_health.site import DEFAULTS


@pytest.fixture(autouse=True)
def health_off() -> Iterator[None]:
    """Every test starts and ends with the probes off and default settings."""
    yield
    cherrypy.config.update({"health.on": False})
    health.configure(DEFAULTS)


class Root:
    """A trivial application; ``/slow`` answers once the test sets :attr:`release`."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    @cherrypy.expose
    def index(self) -> str:
        return "hello"

    @cherrypy.expose
    def slow(self) -> str:
        self.entered.set()
        self.release.wait(10)
        return "slow done"


class EngineSite:
    """``cherrypy.engine`` serving :class:`Root` with ``health.on`` on 127.0.0.1:<free port>."""

    def __init__(self) -> None:
        self.root = Root()
        self.gates: list[threading.Event] = []
        self.listeners: list[tuple[str, Callable[..., Any]]] = []
        self.threads: list[threading.Thread] = []

    def configure(self, **health_settings: Any) -> None:
        """Mount the application and configure the server and the probes."""
        cherrypy.tree.mount(self.root, "", {"/": {"tools.encode.on": True}})
        settings = {f"health.{key}": value for key, value in health_settings.items()}
        cherrypy.config.update(
            {
                "server.socket_host": "127.0.0.1",
                "server.socket_port": 0,
                "health.on": True,
                **settings,
            }
        )

    def start(self, **health_settings: Any) -> str:
        """Configure, start the engine (in this thread) and return the base URL."""
        self.configure(**health_settings)
        cherrypy.engine.start()
        return self.base

    @property
    def base(self) -> str:
        """The base URL of the engine's HTTP server."""
        host, port = cherrypy.server.bound_addr
        return f"http://{host}:{port}"

    def hold(self, channel: str, priority: int) -> tuple[threading.Event, threading.Event]:
        """Subscribe a listener to ``channel`` that blocks until released.

        Returns ``(reached, release)``: ``reached`` is set when the listener runs; it
        returns once ``release`` is set (at the latest when the test ends).
        """
        reached, release = threading.Event(), threading.Event()

        def listener() -> None:
            reached.set()
            release.wait(20)

        listener.priority = priority  # type: ignore[attr-defined]
        cherrypy.engine.subscribe(channel, listener)
        self.listeners.append((channel, listener))
        self.gates.append(release)
        return reached, release

    def in_thread(self, target: Callable[[], Any]) -> threading.Thread:
        """Run ``target`` in a thread (joined when the test ends)."""
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self.threads.append(thread)
        return thread

    def close(self) -> None:
        """Release every gate, join the threads and exit the engine."""
        self.root.release.set()
        for gate in self.gates:
            gate.set()
        for thread in self.threads:
            thread.join(20)
        engine = cherrypy.engine
        if engine.state is not engine.states.EXITING:
            engine.exit()
        for channel, listener in self.listeners:
            engine.unsubscribe(channel, listener)


@pytest.fixture
def engine_site() -> Iterator[EngineSite]:
    """An :class:`EngineSite`; the engine exits and ``cherrypy.server`` is restored after.

    Skipped when cherrypy-server is not installed (``nox -s plugin`` installs the kernel and
    this distribution only).
    """
    pytest.importorskip("cherrypy_server")
    adapter = cherrypy.server
    saved = (adapter.bind_addr, adapter.httpserver)
    site = EngineSite()
    try:
        yield site
    finally:
        try:
            site.close()
        finally:
            adapter.bind_addr, adapter.httpserver = saved
