"""Fixtures: a throwaway PostgreSQL (scripts/start-postgres.sh), a clean kernel, app servers.

The PostgreSQL server is started once per test session on a free loopback port.  Without the
PostgreSQL server binaries the tests are skipped with the reason, unless the ``CI``
environment variable is set: then they fail, so CI cannot pass without running them.  The
generic pieces come from :mod:`cherrypy_sessions.testkit`.
"""

from __future__ import annotations

import subprocess
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
from cherrypy_sessions_postgres import backend, pools


class PostgresServer(ScriptedService):
    """A PostgreSQL cluster run by the repository's scripts; :attr:`address` is a DSN.

    :meth:`stop` is a fast shutdown: open connections are cut.
    """

    scripts = Path(__file__).resolve().parents[3] / "scripts"
    script = "postgres"
    label = "PostgreSQL"
    script_timeout = 120
    reconnects_at_once = False

    @property
    def dsn(self) -> str:
        """The libpq connection string of the server."""
        return self.address

    @property
    def port(self) -> str:
        """The port the server listens on ("" before the first start)."""
        for part in self.address.split():
            if part.startswith("port="):
                return part[5:]
        return ""

    def connect(self) -> Any:
        """A plain autocommit psycopg connection, to look at what the backend stored."""
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The test session's PostgreSQL server (its directory must be reachable by the postgres
    user, hence a fresh directory in the system temp dir)."""
    directory = tempfile.mkdtemp(prefix="cherrypy-postgres-")
    server = PostgresServer(directory)
    try:
        server.start()
        yield server
    finally:
        subprocess.run([str(server.scripts / "stop-postgres.sh"), directory, "purge"], timeout=120)


@pytest.fixture
def service(postgres: PostgresServer) -> PostgresServer:
    """The store under test, for the shared tests of :mod:`cherrypy_sessions.testsuite`."""
    return postgres


clean_state = reset_between_tests(pools.close_pools, backend.forget_schemas)


@pytest.fixture
def session_conf(postgres: PostgresServer) -> dict[str, Any]:
    """``tools.sessions`` config for the test server, with a per-test table."""
    return {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "postgresql",
        "tools.sessions.dsn": postgres.dsn,
        "tools.sessions.table": f"sessions_{time.monotonic_ns()}",
        "tools.sessions.pool_timeout": 2,
        "tools.sessions.connect_timeout": 1,
    }


@pytest.fixture
def scarce_conf(session_conf: dict[str, Any]) -> dict[str, Any]:
    """``session_conf`` with a pool of two connections (one visitor must not take both)."""
    return dict(session_conf, **{"tools.sessions.pool_max_size": 2})


@pytest.fixture
def lock_queue_depth() -> Any:
    """``(conf, sid) -> int``: requests of this process holding or queued for the lock."""

    def depth(conf: dict[str, Any], sid: str) -> int:
        dsn, table = conf["tools.sessions.dsn"], conf["tools.sessions.table"]
        return backend.waiters.depth((dsn, table, backend.lock_key(table, sid)))

    return depth
