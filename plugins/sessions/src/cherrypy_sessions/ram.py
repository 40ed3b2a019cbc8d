"""The RAM backend (``storage_type = "ram"``, the default): sessions in this process's memory.

Data lives in the class-level :attr:`RamSession.cache` as ``id -> (data, expiration_time)``,
shared by every application of the process and lost when it exits.  Each id has its own
mutex in :attr:`RamSession.locks`.  A mutex is removed from that table only by someone holding
it (cleanup, or a request deleting its session); whoever then acquires a removed mutex sees
it is no longer the table's and starts again, so two requests can never both believe they
hold a session.  Cleanup deletes expired sessions but skips any whose lock is held, so a
request that is using a session never sees it vanish underneath it.
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
    """The per-id locks of the process.  Do not rebind."""

    def _exists(self) -> bool:
        return self._id in self.cache

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        return self.cache.get(self._id)  # type: ignore[arg-type]

    def _save(self, expiration_time: datetime.datetime) -> None:
        self.cache[self._id] = (self._data, expiration_time)  # type: ignore[index]

    def _delete(self) -> None:
        sid = self._id
        self.cache.pop(sid, None)  # type: ignore[arg-type]
        if self.locked and self.locks.get(sid) is self._lock:  # type: ignore[arg-type]
            del self.locks[sid]  # type: ignore[arg-type]

    def acquire_lock(self) -> None:
        """Take this id's lock (waiting up to ``lock_timeout``); a no-op if already held."""
        if self.locked:
            return
        sid = self._id
        locks = self.locks
        timeout = self.lock_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            lock = locks.get(sid)  # type: ignore[arg-type]
            if lock is None:
                lock = locks.setdefault(sid, threading.Lock())  # type: ignore[arg-type]
            if deadline is None:
                lock.acquire()
            elif not lock.acquire(True, max(deadline - time.monotonic(), 0.0)):
                raise LockTimeout(f"Timeout acquiring the lock of session {sid}")
            if locks.get(sid) is lock:  # type: ignore[arg-type]
                break
            lock.release()  # removed from the table while we waited: take the new one
        self._lock = lock
        self.locked = True
        if self.debug:
            _log("Lock acquired.")

    def release_lock(self) -> None:
        """Release the lock taken by :meth:`acquire_lock`."""
        self.locked = False
        self._lock.release()

    def clean_up(self) -> None:
        """Delete every expired session whose lock nobody holds, and unused locks."""
        now = self.now()
        cache, locks = self.cache, self.locks
        for sid, (_data, expiration_time) in list(cache.items()):
            if expiration_time <= now:
                self._drop_if_idle(sid, now)
        for sid in list(locks):
            if sid not in cache:
                self._drop_if_idle(sid, now)

    def _drop_if_idle(self, sid: str, now: datetime.datetime) -> None:
        """Delete ``sid``'s expired data and its lock, unless someone holds the lock."""
        cache, locks = self.cache, self.locks
        lock = locks.setdefault(sid, threading.Lock())
        if not lock.acquire(False):
            return
        try:
            entry = cache.get(sid)
            if entry is not None and entry[1] <= now:
                del cache[sid]
            if sid not in cache and locks.get(sid) is lock:
                del locks[sid]
        finally:
            lock.release()

    def __len__(self) -> int:
        """The number of sessions in memory."""
        return len(self.cache)
