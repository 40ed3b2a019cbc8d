"""The PostgreSQL session backend (``tools.sessions.storage_type = "postgresql"``).

Sessions are rows of one table (``tools.sessions.table``, default ``cherrypy_sessions``)::

    id text PRIMARY KEY, data bytea, expiration_time timestamp, lock_key bigint

created on first use (``CREATE TABLE IF NOT EXISTS``, serialised between processes by an
advisory lock), ``data`` holding the pickle of the session dict.

Locking uses PostgreSQL advisory locks: a request takes ``pg_advisory_lock(lock_key)`` on a
pooled connection that it keeps until the lock is released, and runs its reads and writes on
that connection.  Every process on the database thus serialises its requests on one session,
whether or not the row exists yet, with no transaction held open during the page handler; and
the server drops the lock of a process that dies with its connection.

Requests of one process for one session first queue in memory
(:class:`~cherrypy_sessions.locks.SessionQueue`): only the first of them takes a connection
and waits on the database, so one visitor's parallel requests hold one pooled connection per
process, not one each, and cannot starve other visitors of connections.  ``lock_timeout``
bounds the whole wait (in memory, for a connection, and in PostgreSQL, where it maps to
PostgreSQL's own ``lock_timeout``, so waiting costs no polling); when it passes the request is
answered 503 with ``Retry-After``.

Cleanup deletes expired rows in one statement that skips every session whose lock is held
(``pg_try_advisory_xact_lock``).  Connection failures raise :class:`PostgresUnavailable`
naming the database (never its password); broken pooled connections are replaced, so the
backend serves again as soon as a restarted database accepts connections.
"""

from __future__ import annotations

import datetime
import hashlib
import pickle
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cherrypy_sessions import LockTimeout, Session
from cherrypy_sessions.locks import SessionQueue, deadline_after, remaining
from cherrypy_sessions_postgres import pools
from cherrypy_sessions_postgres.pools import PostgresUnavailable

__all__ = ["PostgresUnavailable", "PostgresqlSession", "lock_key"]

_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?")

_schema_ready: set[Any] = set()
_schema_lock = threading.Lock()

waiters = SessionQueue()
"""The in-process queue of requests waiting for a session's lock (keys: database, key)."""


def lock_key(table: str, session_id: str) -> int:
    """The 64-bit advisory lock key of ``session_id`` in ``table``."""
    digest = hashlib.blake2b(f"{table}\0{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def forget_schemas() -> None:
    """Check the tables again on next use (tests that drop them)."""
    with _schema_lock:
        _schema_ready.clear()


def _server_threads() -> int:
    """The most worker threads the HTTP server may run (``thread_pool_max`` when finite)."""
    try:
        import cherrypy

        threads = int(cherrypy.server.thread_pool)
        most = int(getattr(cherrypy.server, "thread_pool_max", -1) or -1)
        return max(threads, most)
    except Exception:
        return 10


class PostgresqlSession(Session):
    """Sessions in a PostgreSQL table, shared by every process that uses the database.

    Settings (``tools.sessions.<name>``): ``dsn``, ``connect_kwargs``, ``table``,
    ``pool_min_size``, ``pool_max_size``, ``pool_timeout``, ``connect_timeout``; and the
    usual ``timeout``, ``clean_freq`` and ``lock_timeout``.
    """

    dsn: str = ""
    """A libpq connection string or URI (``"host=db dbname=app user=web"``); empty uses the
    ``PG*`` environment variables."""

    connect_kwargs: dict[str, Any] | None = None
    """More connection parameters (``{"password": ...}``), merged over ``dsn``."""

    table: str = "cherrypy_sessions"
    """The table (optionally ``schema.table``), created on first use."""

    pool_min_size: int = 1
    """Connections each process keeps open."""

    pool_max_size: int | None = None
    """Most connections per process; None means the server's most worker threads
    (``server.thread_pool``, or ``server.thread_pool_max`` when larger and finite) + 2: each
    request uses at most one connection at a time, and the cleanup thread one more."""

    pool_timeout: float = 5
    """Seconds a request waits for a connection before failing."""

    connect_timeout: float = 5
    """Seconds to wait when opening a connection."""

    @classmethod
    def setup(cls, **settings: Any) -> None:
        """Check the settings of one configuration (no connection is made here)."""
        table = settings.get("table", cls.table)
        if not isinstance(table, str) or not _TABLE.fullmatch(table):
            raise ValueError(
                f"tools.sessions.table {table!r}: use a plain identifier or schema.table "
                "(letters, digits and _)"
            )
        kwargs = settings.get("connect_kwargs", cls.connect_kwargs)
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError("tools.sessions.connect_kwargs must be a dict")
        from psycopg.conninfo import conninfo_to_dict

        try:
            conninfo_to_dict(settings.get("dsn", cls.dsn) or "")
        except Exception as exc:
            raise ValueError(
                f"tools.sessions.dsn is not a valid connection string: {exc}"
            ) from None

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def target(self) -> str:
        """The database, as named in errors (no password)."""
        return pools.describe(self.dsn or "", self.connect_kwargs or {})

    @property
    def pool(self) -> Any:
        """The connection pool of this configuration."""
        return pools.get_pool(
            self.dsn or "",
            dict(self.connect_kwargs or {}),
            int(self.pool_min_size),
            int(self.pool_max_size or _server_threads() + 2),
            float(self.pool_timeout),
            float(self.connect_timeout),
        )

    def _sql(self, template: str) -> Any:
        from psycopg import sql

        parts = [sql.Identifier(part) for part in self.table.split(".")]
        index = sql.Identifier(self.table.split(".")[-1] + "_expiration_time_idx")
        return sql.SQL(template).format(table=sql.SQL(".").join(parts), index=index)

    def _ensure_schema(self, conn: Any) -> None:
        key = (id(self.pool), self.table)
        if key in _schema_ready:
            return
        with _schema_lock:
            if key in _schema_ready:
                return
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(self.table, ""),))
                conn.execute(
                    self._sql(
                        "CREATE TABLE IF NOT EXISTS {table} ("
                        "id text PRIMARY KEY, data bytea NOT NULL, "
                        "expiration_time timestamp NOT NULL, lock_key bigint NOT NULL)"
                    )
                )
                conn.execute(
                    self._sql("CREATE INDEX IF NOT EXISTS {index} ON {table} (expiration_time)")
                )
            _schema_ready.add(key)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """The locked connection while the lock is held, else one borrowed from the pool."""
        with pools.translated_errors(self.target):
            conn = self.__dict__.get("_lock_conn")
            if self.locked and conn is not None:
                yield conn
            else:
                with self.pool.connection() as conn:
                    self._ensure_schema(conn)
                    yield conn

    # -- storage primitives -----------------------------------------------------------------

    def _exists(self) -> bool:
        with self._connection() as conn:
            row = conn.execute(self._sql("SELECT 1 FROM {table} WHERE id = %s"), (self._id,))
            return row.fetchone() is not None

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        with self._connection() as conn:
            row = conn.execute(
                self._sql("SELECT data, expiration_time FROM {table} WHERE id = %s"), (self._id,)
            ).fetchone()
        if row is None:
            return None
        try:
            return pickle.loads(row[0]), row[1]
        except Exception:
            return None

    def _save(self, expiration_time: datetime.datetime) -> None:
        data = pickle.dumps(self._data, pickle.HIGHEST_PROTOCOL)
        with self._connection() as conn:
            conn.execute(
                self._sql(
                    "INSERT INTO {table} (id, data, expiration_time, lock_key) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                    "data = EXCLUDED.data, expiration_time = EXCLUDED.expiration_time"
                ),
                (self._id, data, expiration_time, lock_key(self.table, self._id or "")),
            )

    def _delete(self) -> None:
        with self._connection() as conn:
            conn.execute(self._sql("DELETE FROM {table} WHERE id = %s"), (self._id,))

    # -- the advisory lock ------------------------------------------------------------------

    def acquire_lock(self) -> None:
        """Take the session's advisory lock on a connection kept until release.

        The request first waits in this process's queue for the session, without a
        connection; only then does it borrow one and wait in PostgreSQL.  Raises
        :class:`~cherrypy_sessions.LockTimeout` (503) once ``lock_timeout`` seconds passed.
        """
        if self.locked:
            return
        key = lock_key(self.table, self._id or "")
        queued = (self.dsn, self.table, key)
        deadline = deadline_after(self.lock_timeout)
        waiters.enter(queued, deadline, f"session {self._id}")
        try:
            conn = self._lock_on_database(key, deadline)
        except BaseException:
            waiters.leave(queued)
            raise
        self._lock_conn = conn
        self._lock_key = key
        self._queued = queued
        self.locked = True

    def _lock_on_database(self, key: int, deadline: float | None) -> Any:
        """A pooled connection holding the advisory lock ``key`` (waiting until ``deadline``)."""
        import psycopg

        pool = self.pool
        with pools.translated_errors(self.target):
            conn = pool.getconn()
            try:
                self._ensure_schema(conn)
                left = remaining(deadline)
                if left is None:
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                    return conn
                if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                    if left <= 0:
                        raise LockTimeout(f"Timeout acquiring the lock of session {self._id}")
                    milliseconds = max(1, round(left * 1000))
                    conn.execute(
                        "SELECT set_config('lock_timeout', %s, false)", (f"{milliseconds}ms",)
                    )
                    try:
                        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                    except psycopg.errors.LockNotAvailable:
                        raise LockTimeout(
                            f"Timeout acquiring the lock of session {self._id}"
                        ) from None
                    finally:
                        conn.execute("SELECT set_config('lock_timeout', '0', false)")
            except BaseException:
                pool.putconn(conn)
                raise
        return conn

    def release_lock(self) -> None:
        """Release the advisory lock, give its connection back, then let the next waiter in."""
        self.locked = False
        conn = self.__dict__.pop("_lock_conn", None)
        if conn is None:
            return
        try:
            conn.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))
        except Exception:
            # The connection broke, and the server dropped the lock with it.
            conn.close()
        finally:
            try:
                self.pool.putconn(conn)
            finally:
                waiters.leave(self._queued)

    # -- the rest of the contract -----------------------------------------------------------

    def clean_up(self) -> None:
        """Delete expired sessions, skipping every session whose lock is held."""
        with self._connection() as conn, conn.transaction():
            conn.execute(
                self._sql(
                    "DELETE FROM {table} WHERE expiration_time < %s "
                    "AND pg_try_advisory_xact_lock(lock_key)"
                ),
                (self.now(),),
            )

    def cleanup_key(self) -> Any:
        """One cleanup thread per database and table."""
        return (self.dsn, repr(sorted((self.connect_kwargs or {}).items())), self.table)

    def __len__(self) -> int:
        """The number of stored sessions (expired ones not yet cleaned up included)."""
        with self._connection() as conn:
            return int(conn.execute(self._sql("SELECT count(*) FROM {table}")).fetchone()[0])
