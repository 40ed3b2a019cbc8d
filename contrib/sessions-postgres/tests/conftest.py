"""Fixtures: a throwaway PostgreSQL (scripts/start-postgres.sh), a clean kernel, app servers.

The PostgreSQL server is started once per test session on a free loopback port.  Without the
PostgreSQL server binaries the tests are skipped with the reason, unless the ``CI``
environment variable is set: then they fail, so CI cannot pass without running them.
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
from cherrypy_sessions_postgres import backend, pools

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"


class PostgresServer:
    """A PostgreSQL cluster run by the repository's scripts; restartable on the same port."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.dsn = ""

    def _run(self, *args: str) -> str:
        result = subprocess.run(
            [str(SCRIPTS / args[0]), *args[1:]], capture_output=True, text=True, timeout=120
        )
        if result.returncode == 127:
            reason = result.stderr.strip() or "PostgreSQL is not installed"
            if os.environ.get("CI"):
                pytest.fail(f"{reason} (CI is set: the PostgreSQL tests must run)")
            pytest.skip(reason)
        if result.returncode != 0:
            pytest.fail(f"{args[0]} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    @property
    def port(self) -> str:
        """The port the server listens on."""
        for part in self.dsn.split():
            if part.startswith("port="):
                return part[5:]
        return ""

    def start(self) -> None:
        """Start the server (on its previous port if it ran before)."""
        port = self.port
        self.dsn = self._run("start-postgres.sh", self.directory, *([port] if port else []))

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut)."""
        self._run("stop-postgres.sh", self.directory)

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
        subprocess.run([str(SCRIPTS / "stop-postgres.sh"), directory, "purge"], timeout=120)


def _clear_session_state() -> None:
    cleanup.stop_all()
    tool.reset_settings()
    registry.reset()
    pools.close_pools()
    backend.forget_schemas()


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    """Every test starts with no apps, default config and fresh database connections."""
    reset()
    cherrypy.config.update({"log.screen": False})
    _clear_session_state()
    yield
    reset()
    _clear_session_state()


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
