"""The RAM backend (``storage_type = "ram"``, the default): sessions in this process's memory.

Data lives in the class-level :attr:`RamSession.cache` as ``id -> (data, expiration_time)``,
shared by every application of the process and lost when it exits.  Each id has its own mutex
in :attr:`RamSession.locks`, present only while a request holds it: whoever releases a mutex
first removes it from the table.  A waiter that then wins a mutex which is no longer the
table's lets it go and starts again on the table's current one, so two requests can never
both believe they hold a session, and the table never outgrows the requests in flight.
Cleanup deletes expired sessions but skips any whose lock is held, so a request that is using
a session never sees it vanish underneath it.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

from cherrypy_sessions.base import Session, _log
from cherrypy_sessions.locks import LockTimeout

__all__ = ["RamSession"]


class RamSession(Session):
    """Sessions kept in memory, for a single process."""

    cache: dict[str, tuple[dict[Any, Any], datetime.datetime]] = {}
    """Stored sessions of the process: ``id -> (data, expiration_time)``.  Do not rebind."""

    locks: dict[str, threading.Lock] = {}
    """The locks held now, one per id.  Do not rebind."""

    def _exists(self) -> bool:
        return self._id in self.cache

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        return self.cache.get(self._id)  # type: ignore[arg-type]

    def _save(self, expiration_time: datetime.datetime) -> None:
        self.cache[self._id] = (self._data, expiration_time)  # type: ignore[index]

    def _delete(self) -> None:
        self.cache.pop(self._id, None)  # type: ignore[arg-type]

    def acquire_lock(self) -> None:
        """Take this id's lock (waiting up to ``lock_timeout``); a no-op if already held."""
        if self.locked:
            return
        sid: str = self._id  # type: ignore[assignment]
        self._lock = _take(self.locks, sid, self.lock_timeout)
        self._locked_id = sid
        self.locked = True
        if self.debug:
            _log("Lock acquired.")

    def release_lock(self) -> None:
        """Release the lock taken by :meth:`acquire_lock` (and drop it from the table)."""
        self.locked = False
        _give_back(self.locks, self._locked_id, self._lock)

    def clean_up(self) -> None:
        """Delete every expired session whose lock nobody holds."""
        now = self.now()
        cache, locks = self.cache, self.locks
        for sid, (_data, expiration_time) in list(cache.items()):
            if expiration_time > now:
                continue
            lock = _take(locks, sid, 0.0, blocking=False)
            if lock is None:
                continue  # in use: a request is working with this session
            try:
                entry = cache.get(sid)
                if entry is not None and entry[1] <= now:
                    del cache[sid]
            finally:
                _give_back(locks, sid, lock)

    def __len__(self) -> int:
        """The number of sessions in memory."""
        return len(self.cache)


def _take(
    locks: dict[str, threading.Lock], sid: str, timeout: float | None, blocking: bool = True
) -> Any:
    """Acquire the table's lock for ``sid`` (creating it); None if non-blocking and busy.

    Raises :class:`LockTimeout` when ``timeout`` seconds pass first.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        lock = locks.get(sid)
        if lock is None:
            lock = locks.setdefault(sid, threading.Lock())
        if not blocking:
            if not lock.acquire(False):
                return None
        elif deadline is None:
            lock.acquire()
        elif not lock.acquire(True, max(deadline - time.monotonic(), 0.0)):
            raise LockTimeout(f"Timeout acquiring the lock of session {sid}")
        if locks.get(sid) is lock:
            return lock
        lock.release()  # its holder dropped it from the table: take the current one


def _give_back(locks: dict[str, threading.Lock], sid: str, lock: threading.Lock) -> None:
    """Drop ``lock`` (held by the caller) from the table, then release it."""
    if locks.get(sid) is lock:
        del locks[sid]
    lock.release()
