"""The memcached session backend (``tools.sessions.storage_type = "memcached"``).

Each session is one memcached item, ``<key_prefix><id>``, holding the pickle of
``(data, expiration_time)`` and stored with a memcached expiry, so the server forgets expired
sessions by itself and no cleanup pass is needed.

The lock is a second item, ``<key_prefix><id>.lock``, created with ``add`` (which succeeds for
exactly one client) holding a random owner token, with a TTL of ``lock_ttl`` seconds.  Every
process that shares the servers therefore serialises its requests on one session; the TTL
frees the lock of a process that died while holding it; and a holder deletes the lock only
if it still holds its own token, so a request that outlived its TTL cannot release the lock
of the next holder.  Requests of one process for one session first queue in memory
(:class:`~cherrypy_sessions.locks.SessionQueue`), so only one of them per process polls
memcached for the lock item; ``lock_timeout`` bounds the whole wait (then 503).

Connections come from a pool per configuration (pymemcache's ``PooledClient``, or a
``HashClient`` spreading keys over several servers).  A connection that breaks (the server
restarted) is dropped and the operation is tried once more on a fresh one, so a restarted
memcached serves again at once; when no server answers, requests fail with
:class:`MemcachedUnavailable`, whose message names the servers.
"""

from __future__ import annotations

import datetime
import math
import pickle
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from cherrypy_sessions import LockTimeout, Session
from cherrypy_sessions.locks import SessionQueue, deadline_after

__all__ = [
    "MemcachedSession",
    "MemcachedUnavailable",
    "SessionCountNotImplementedError",
    "parse_servers",
]

_THIRTY_DAYS = 30 * 24 * 3600
"""memcached reads an expiry above this as a Unix timestamp rather than a number of seconds."""


class MemcachedUnavailable(ConnectionError):
    """No memcached server of ``tools.sessions.servers`` answered."""


class SessionCountNotImplementedError(NotImplementedError, TypeError):
    """``len()`` of a memcached session store: memcached cannot count keys.

    A :class:`NotImplementedError` as in CherryPy, and a :class:`TypeError` so that
    ``list(cherrypy.session)`` (which asks ``len()`` for a size hint) still works.
    """


def parse_servers(servers: Any) -> tuple[tuple[str, int], ...]:
    """``"host:port"`` strings (one, a list, or comma-separated) as ``(host, port)`` pairs.

    A missing port means 11211; IPv6 addresses are written ``[::1]:11211``.
    """
    if isinstance(servers, str):
        servers = [part for part in servers.replace(",", " ").split() if part]
    parsed = []
    for server in servers or ():
        if isinstance(server, (tuple, list)):
            host, port = server
        else:
            text = str(server).strip()
            if text.startswith("["):
                host, _, rest = text[1:].partition("]")
                port = rest.lstrip(":") or 11211
            elif text.count(":") == 1:
                host, port = text.split(":")
            else:
                host, port = text, 11211
        try:
            port = int(port)
        except ValueError:
            raise ValueError(f"tools.sessions.servers: bad port in {server!r}") from None
        if not host or not 0 < port < 65536:
            raise ValueError(f"tools.sessions.servers: bad server address {server!r}")
        parsed.append((str(host), port))
    if not parsed:
        raise ValueError('tools.sessions.servers is empty: give ["host:port", ...]')
    return tuple(parsed)


waiters = SessionQueue()
"""The in-process queue of requests waiting for a session's lock (keys: lock item keys)."""

_clients: dict[Any, Any] = {}
_clients_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}
"""One semaphore of ``pool_size`` slots per client (by ``id``): a request waits for a free
connection instead of failing when every pooled one is busy (pymemcache raises at once)."""


def _client_for(
    servers: tuple[tuple[str, int], ...], connect_timeout: float, timeout: float, pool: int
) -> Any:
    """The shared pymemcache client of one configuration (created on first use)."""
    key = (servers, connect_timeout, timeout, pool)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                from pymemcache.client.base import PooledClient
                from pymemcache.client.hash import HashClient

                options: dict[str, Any] = {
                    "connect_timeout": connect_timeout,
                    "timeout": timeout,
                    "no_delay": True,
                    "max_pool_size": pool,
                }
                if len(servers) == 1:
                    client = PooledClient(servers[0], **options)
                else:
                    client = HashClient(
                        list(servers),
                        use_pooling=True,
                        retry_attempts=1,
                        dead_timeout=1,
                        ignore_exc=False,
                        **options,
                    )
                _slots[id(client)] = threading.BoundedSemaphore(pool)
                _clients[key] = client
    return client


def close_clients() -> None:
    """Close every pooled connection (tests, or before forking worker processes)."""
    with _clients_lock:
        _slots.clear()
        for client in _clients.values():
            try:
                client.close()
            except Exception:
                pass
        _clients.clear()


class MemcachedSession(Session):
    """Sessions in memcached, shared by every process that uses the same servers.

    Settings (``tools.sessions.<name>``): ``servers``, ``key_prefix``, ``lock_ttl``,
    ``connect_timeout``, ``socket_timeout``, ``pool_size``; and the usual ``timeout`` and
    ``lock_timeout``.
    """

    servers: Any = ("127.0.0.1:11211",)
    """memcached servers: ``"host:port"`` strings (a list, or one comma-separated string)."""

    key_prefix: str = "cherrypy-session:"
    """Prefix of every key this backend writes (give each application on shared servers its own)."""

    lock_ttl: float = 30
    """Seconds after which an abandoned lock expires; keep it above your slowest request."""

    connect_timeout: float = 2
    """Seconds to wait for a connection to a server."""

    socket_timeout: float = 5
    """Seconds to wait for a server's answer."""

    pool_size: int = 64
    """Most pooled connections per server and configuration; a request waits (up to
    ``socket_timeout``) for one when all are busy."""

    @property  # type: ignore[override]
    def clean_freq(self) -> float:
        """Always 0: memcached expires sessions itself, so no cleanup thread is started."""
        return 0

    @clean_freq.setter
    def clean_freq(self, value: float) -> None:
        pass

    @classmethod
    def setup(cls, **settings: Any) -> None:
        """Check the settings of one configuration (no connection is made here)."""
        parse_servers(settings.get("servers", cls.servers))
        prefix = str(settings.get("key_prefix", cls.key_prefix))
        if len(prefix) > 100 or any(ch.isspace() or ord(ch) < 33 for ch in prefix):
            raise ValueError(
                f"tools.sessions.key_prefix {prefix!r}: use at most 100 characters, "
                "no spaces or control characters (memcached keys)"
            )
        if float(settings.get("lock_ttl", cls.lock_ttl)) <= 0:
            raise ValueError("tools.sessions.lock_ttl must be a positive number of seconds")

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The pymemcache client of this configuration."""
        return _client_for(
            parse_servers(self.servers),
            float(self.connect_timeout),
            float(self.socket_timeout),
            int(self.pool_size),
        )

    def _key(self) -> str:
        return f"{self.key_prefix}{self._id}"

    def _call(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a client operation, once more on a fresh connection if the first one broke.

        Waits up to ``socket_timeout`` seconds for one of the ``pool_size`` connections.
        """
        slots = _slots.get(id(self.client))
        if slots is None:  # closed meanwhile (tests): no bound to keep
            return self._attempt(operation, *args, **kwargs)
        if not slots.acquire(timeout=float(self.socket_timeout)):
            raise MemcachedUnavailable(
                f"all {self.pool_size} pooled memcached connections stayed busy for "
                f"{self.socket_timeout} s (tools.sessions.pool_size)"
            )
        try:
            return self._attempt(operation, *args, **kwargs)
        finally:
            slots.release()

    def _attempt(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from pymemcache.exceptions import MemcacheClientError, MemcacheError

        for attempt in (1, 2):
            try:
                return operation(*args, **kwargs)
            except MemcacheClientError:
                raise
            except (OSError, MemcacheError) as exc:
                if attempt == 2:
                    servers = ", ".join(f"{h}:{p}" for h, p in parse_servers(self.servers))
                    raise MemcachedUnavailable(
                        f"memcached ({servers}) did not answer: {exc!r}; is it running and "
                        "reachable? (tools.sessions.servers)"
                    ) from exc
        raise AssertionError("unreachable")

    def _expire_seconds(self, expiration_time: datetime.datetime) -> int:
        # One second of slack: memcached's clock ticks in whole seconds, and the base class
        # compares expiration_time itself, so the item must not vanish early.
        seconds = 1 + max(1, math.ceil((expiration_time - self.now()).total_seconds()))
        if seconds > _THIRTY_DAYS:
            return int(time.time()) + seconds
        return seconds

    # -- storage primitives -----------------------------------------------------------------

    def _exists(self) -> bool:
        return self._call(self.client.get, self._key()) is not None

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        raw = self._call(self.client.get, self._key())
        if raw is None:
            return None
        try:
            data, expiration_time = pickle.loads(raw)
        except Exception:
            return None
        return data, expiration_time

    def _save(self, expiration_time: datetime.datetime) -> None:
        raw = pickle.dumps((self._data, expiration_time), pickle.HIGHEST_PROTOCOL)
        expire = self._expire_seconds(expiration_time)
        if not self._call(self.client.set, self._key(), raw, expire=expire, noreply=False):
            raise MemcachedUnavailable(
                f"memcached refused to store session {self._id} ({len(raw)} bytes; items "
                "above the server's item size limit, 1 MiB by default, are refused)"
            )

    def _delete(self) -> None:
        self._call(self.client.delete, self._key(), noreply=False)

    # -- the distributed lock ---------------------------------------------------------------

    def acquire_lock(self) -> None:
        """Take the session's lock item (``add`` with a TTL), waiting up to ``lock_timeout``."""
        if self.locked:
            return
        key = self._key() + ".lock"
        queued = (parse_servers(self.servers), key)
        deadline = deadline_after(self.lock_timeout)
        waiters.enter(queued, deadline, f"session {self._id}")
        try:
            token = self._take_lock_item(key, deadline)
        except BaseException:
            waiters.leave(queued)
            raise
        self._lock_token = token
        self._lock_key = key
        self._queued = queued
        self.locked = True

    def _take_lock_item(self, key: str, deadline: float | None) -> bytes:
        """``add`` the lock item ``key`` with a fresh token (polling until ``deadline``)."""
        client = self.client
        token = secrets.token_hex(16).encode()
        ttl = max(1, math.ceil(float(self.lock_ttl)))
        delay = 0.001
        while True:
            if self._call(client.add, key, token, expire=ttl, noreply=False):
                break
            # After a retried ``add`` whose first answer was lost, the lock may be ours.
            if self._call(client.get, key) == token:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise LockTimeout(f"Timeout acquiring the lock of session {self._id}")
            pause = delay if deadline is None else min(delay, deadline - time.monotonic())
            time.sleep(max(pause, 0.0))
            delay = min(delay * 2, 0.02)
        return token

    def release_lock(self) -> None:
        """Delete the lock item if it still holds this request's token; let the next in."""
        if not self.locked:
            return
        self.locked = False
        client = self.client
        key = self._lock_key
        try:
            if self._call(client.get, key) == self._lock_token:
                self._call(client.delete, key, noreply=False)
        except MemcachedUnavailable:
            # The server is gone (and with it the lock) or the TTL frees it: nothing to undo.
            pass
        finally:
            waiters.leave(self._queued)

    # -- the rest of the contract -----------------------------------------------------------

    def clean_up(self) -> None:
        """Nothing to do: memcached drops expired sessions by itself."""

    def __len__(self) -> int:
        """memcached cannot count the items under a prefix: raises :class:`SessionCountNotImplementedError`."""
        raise SessionCountNotImplementedError("memcached cannot count stored sessions")
