"""Fixtures: a throwaway memcached (scripts/start-memcached.sh), a clean kernel, app servers.

The memcached server is started once per test session on a free loopback port.  Without the
``memcached`` binary the tests are skipped with the reason, unless the ``CI`` environment
variable is set: then they fail, so CI cannot pass without running them.  The generic pieces
come from :mod:`cherrypy_sessions.testkit`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cherrypy_sessions.testkit import (  # noqa: F401
    ScriptedService,
    app_processes,
    counter,
    gated,
    hammer_session,
    live,
    reset_between_tests,
)
from cherrypy_sessions_memcached import backend


class MemcachedServer(ScriptedService):
    """A memcached process run by the repository's scripts; :attr:`address` is host:port."""

    scripts = Path(__file__).resolve().parents[3] / "scripts"
    script = "memcached"
    label = "memcached"

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


@pytest.fixture
def service(memcached: MemcachedServer) -> MemcachedServer:
    """The store under test, for the shared tests of :mod:`cherrypy_sessions.testsuite`."""
    return memcached


clean_state = reset_between_tests(backend.close_clients)


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
def scarce_conf(session_conf: dict[str, Any]) -> dict[str, Any]:
    """``session_conf`` with a pool of two connections (one visitor must not take both)."""
    return dict(session_conf, **{"tools.sessions.pool_size": 2})


@pytest.fixture
def lock_queue_depth() -> Any:
    """``(conf, sid) -> int``: requests of this process holding or queued for the lock."""

    def depth(conf: dict[str, Any], sid: str) -> int:
        servers = backend.parse_servers(conf["tools.sessions.servers"])
        return backend.waiters.depth((servers, f"{conf['tools.sessions.key_prefix']}{sid}.lock"))

    return depth
