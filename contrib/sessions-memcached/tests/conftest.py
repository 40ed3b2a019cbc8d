"""Fixtures: a throwaway memcached (scripts/start-memcached.sh), a clean kernel, app servers.

The memcached server is started once per test session on a free loopback port.  Without the
``memcached`` binary the tests are skipped with the reason, unless the ``CI`` environment
variable is set: then they fail, so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.testing import reset
from cherrypy_sessions import cleanup, registry, tool
from cherrypy_sessions.testkit import (  # noqa: F401
    APP,
    Counter,
    app_processes,
    counter,
    hammer,
    hammer_session,
    live,
)
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
