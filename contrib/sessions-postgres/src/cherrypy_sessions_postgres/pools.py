"""Connection pools of the PostgreSQL session backend: one per database and sizing.

Pools are created on first use (never at import) and opened without waiting, so an
application starts even while its database is down.  Each pool checks a connection before
handing it out and replaces broken ones, which is what makes the backend reconnect after the
database restarts.  Connections run in autocommit mode: the session lock is a session-level
advisory lock, so no transaction stays open while a page handler runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["PostgresUnavailable", "close_pools", "describe", "get_pool", "unavailable"]


class PostgresUnavailable(ConnectionError):
    """The session database did not answer (down, unreachable or refusing connections)."""


_pools: dict[Any, Any] = {}
_lock = threading.Lock()


def describe(dsn: str, connect_kwargs: dict[str, Any]) -> str:
    """``host=... port=... dbname=...`` of a connection target, without any password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn, **connect_kwargs)
    except Exception:
        return "(unparsable dsn)"
    shown = [f"{key}={params[key]}" for key in ("host", "port", "dbname", "user") if key in params]
    return " ".join(shown) or "(libpq defaults)"


def unavailable(target: str, exc: BaseException) -> PostgresUnavailable:
    """The error raised when the database at ``target`` fails to answer."""
    return PostgresUnavailable(
        f"PostgreSQL ({target}) did not answer: {type(exc).__name__}: {exc}".rstrip()
        + "; is it running and reachable? (tools.sessions.dsn)"
    )


def get_pool(
    dsn: str,
    connect_kwargs: dict[str, Any],
    min_size: int,
    max_size: int,
    timeout: float,
    connect_timeout: float,
) -> Any:
    """The shared, open pool for these settings (created on first use)."""
    key = (dsn, tuple(sorted(connect_kwargs.items())), min_size, max_size, timeout)
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                from psycopg_pool import ConnectionPool

                kwargs = {"connect_timeout": max(1, round(connect_timeout)), **connect_kwargs}
                kwargs["autocommit"] = True
                pool = ConnectionPool(
                    dsn,
                    kwargs=kwargs,
                    min_size=min_size,
                    max_size=max(max_size, min_size),
                    timeout=timeout,
                    check=ConnectionPool.check_connection,
                    name="cherrypy-sessions",
                    open=False,
                )
                pool.open(wait=False)
                _pools[key] = pool
    return pool


@contextmanager
def translated_errors(target: str) -> Iterator[None]:
    """Turn connection failures inside the block into :class:`PostgresUnavailable`."""
    import psycopg
    from psycopg_pool import PoolTimeout, TooManyRequests

    try:
        yield
    except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
        raise unavailable(target, exc) from exc
    except TooManyRequests as exc:  # pragma: no cover - only with max_waiting set
        raise unavailable(target, exc) from exc


def close_pools() -> None:
    """Close every pool (tests, or before forking worker processes)."""
    with _lock:
        for pool in _pools.values():
            try:
                pool.close(timeout=1)
            except Exception:
                pass
        _pools.clear()
