"""Locks for session backends: per-key thread locks and inter-process file locks.

:class:`KeyedLocks` hands out one mutex per key (a session id, a lock-file path), creates it
on first use and forgets it when its last user releases it, so the table never grows with the
number of sessions ever seen and no cleanup pass has to guess whether a lock is still wanted.

:class:`FileLock` is an exclusive lock on a lock file that works across threads *and*
processes: threads of one process queue on a :class:`KeyedLocks` mutex, and the one thread that
gets it takes an OS advisory lock on the file (``flock`` on POSIX, ``msvcrt.locking`` on
Windows).  The OS drops that lock when the holding process dies, however it dies, so a lock
left by a crashed or SIGKILLed process is recovered by the next caller without any timeout or
pid guessing.  A lock file may be removed only by the holder of its lock; a waiter that wins
the lock on a file that was removed meanwhile notices (the path no longer names the file it
locked) and starts again on the new file.

Advisory file locks are reliable on local file systems; on NFS they depend on the server and
client configuration, so keep ``storage_path`` on a local disk (or use a database backend).

:class:`SessionQueue` is what every backend that locks through a shared store (a database
connection, a memcached item) puts in front of that store: the requests of one process for one
session wait here, in memory, and only the first of them goes on to the store, so waiting
never holds a pooled connection or polls the server.  :class:`LockTimeout` is raised when
``lock_timeout`` passes first; it answers the request with 503 and ``Retry-After``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Hashable

import cherrypy

__all__ = ["FileLock", "KeyedLocks", "LockTimeout", "SessionQueue", "deadline_after", "remaining"]

RETRY_AFTER = "1"
"""``Retry-After`` seconds sent with the 503 of a :class:`LockTimeout`."""


class LockTimeout(cherrypy.HTTPError):
    """A session lock could not be acquired within ``lock_timeout`` seconds.

    An :class:`~cherrypy.HTTPError`: a request that raises it (and does not catch it) is
    answered ``503 Service Unavailable`` with ``Retry-After: 1`` and a page that names no
    session id or path (CherryPy 18 answers 500 with a traceback).  ``str()`` gives the detail,
    for logs.
    """

    def __init__(self, detail: str = "Timeout acquiring a session lock") -> None:
        super().__init__(503, "The session is busy with another request; try again shortly.")
        self.detail = detail

    def __str__(self) -> str:
        return self.detail

    def set_response(self) -> None:
        """Write the 503 and its ``Retry-After`` header into ``cherrypy.response``."""
        super().set_response()
        cherrypy.serving.response.headers["Retry-After"] = RETRY_AFTER


def deadline_after(timeout: float | None) -> float | None:
    """The :func:`time.monotonic` instant ``timeout`` seconds from now (None: no deadline)."""
    return None if timeout is None else time.monotonic() + max(timeout, 0.0)


def remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (never negative; None: no deadline)."""
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


class KeyedLocks:
    """One :class:`threading.Lock` per key, alive only while someone holds or waits for it.

    The table holds at most one entry per key that a thread holds or waits for: its size is
    bounded by the threads in flight, never by the number of keys ever seen.
    """

    __slots__ = ("_entries", "_mutex")

    def __init__(self) -> None:
        self._entries: dict[Hashable, list] = {}
        self._mutex = threading.Lock()

    def _enter(self, key: Hashable) -> list:
        mutex = self._mutex
        mutex.acquire()
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = [threading.Lock(), 1]
        else:
            entry[1] += 1
        mutex.release()
        return entry

    def _leave(self, key: Hashable, entry: list) -> None:
        mutex = self._mutex
        mutex.acquire()
        entry[1] -= 1
        if entry[1] == 0 and self._entries.get(key) is entry:
            del self._entries[key]
        mutex.release()

    def acquire(self, key: Hashable, timeout: float | None = None) -> bool:
        """Wait for the lock of ``key`` (at most ``timeout`` seconds); True if acquired."""
        entry = self._enter(key)
        if entry[0].acquire(True, -1 if timeout is None else max(timeout, 0.0)):
            return True
        self._leave(key, entry)
        return False

    def try_acquire(self, key: Hashable) -> bool:
        """Take the lock of ``key`` only if it is free right now; True if acquired."""
        entry = self._enter(key)
        if entry[0].acquire(False):
            return True
        self._leave(key, entry)
        return False

    def release(self, key: Hashable) -> None:
        """Release the lock of ``key``, held by the caller."""
        entry = self._entries[key]
        entry[0].release()
        self._leave(key, entry)

    def locked(self, key: Hashable) -> bool:
        """True if someone holds the lock of ``key`` now."""
        entry = self._entries.get(key)
        return entry is not None and entry[0].locked()

    def users(self, key: Hashable) -> int:
        """How many threads hold or wait for the lock of ``key`` now."""
        entry = self._entries.get(key)
        return 0 if entry is None else int(entry[1])

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


class SessionQueue:
    """The in-process queue in front of a shared store's session lock.

    ``enter(key, deadline)`` waits (in memory) until no other thread of this process holds
    ``key``, or raises :class:`LockTimeout` at ``deadline``; ``leave(key)`` lets the next one
    in.  A backend calls :meth:`enter` before it takes a connection and waits on the store,
    and :meth:`leave` after it released the store's lock and gave the connection back: one
    request per session and process at a time uses the store for locking.
    """

    __slots__ = ("_locks",)

    def __init__(self) -> None:
        self._locks = KeyedLocks()

    def enter(self, key: Hashable, deadline: float | None, what: str = "a session") -> None:
        """Wait for our turn on ``key`` until ``deadline`` (monotonic; None: for ever)."""
        if not self._locks.acquire(key, remaining(deadline)):
            raise LockTimeout(f"Timeout acquiring the lock of {what} (queued in process)")

    def leave(self, key: Hashable) -> None:
        """Let the next waiter for ``key`` in (the caller entered it)."""
        self._locks.release(key)

    def depth(self, key: Hashable) -> int:
        """How many threads of this process hold or wait for ``key`` now."""
        return self._locks.users(key)

    def __len__(self) -> int:
        """The number of keys held or waited for now."""
        return len(self._locks)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _os_lock(fd: int, wait: bool) -> bool:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                return True
            except OSError:
                if not wait:
                    return False
                time.sleep(0.01)

    def _os_unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

else:
    import fcntl

    def _os_lock(fd: int, wait: bool) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _os_unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _names_same_file(fd: int, path: str) -> bool:
    """True if ``path`` still names the file open as ``fd``."""
    try:
        on_disk = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_ino, held.st_dev) == (on_disk.st_ino, on_disk.st_dev)


class FileLock:
    """An exclusive lock on the file ``path``, between threads and between processes.

    ``timeout`` is in seconds; ``None`` waits for ever.  Not reentrant: a holder must call
    :meth:`release` before acquiring again.
    """

    _threads = KeyedLocks()
    """The per-path thread locks of this process."""

    __slots__ = ("_fd", "path", "timeout")

    def __init__(self, path: str, timeout: float | None = None) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock.

        Blocking, wait up to :attr:`timeout` and raise :class:`LockTimeout` when it passes;
        non-blocking, return False at once if another thread or process holds it.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this FileLock")
        timeout = self.timeout if blocking else 0.0
        deadline = None if timeout is None else time.monotonic() + timeout
        threads = self._threads
        got = threads.acquire(self.path, timeout) if blocking else threads.try_acquire(self.path)
        if not got:
            if blocking:
                raise LockTimeout(f"Timeout acquiring the session lock {self.path} (in process)")
            return False
        try:
            fd = self._lock_file(deadline, blocking)
        except BaseException:
            threads.release(self.path)
            raise
        if fd is None:
            threads.release(self.path)
            return False
        self._fd = fd
        return True

    def _lock_file(self, deadline: float | None, blocking: bool) -> int | None:
        """Open and lock the current file at ``path``; None if non-blocking and busy."""
        while True:
            fd = os.open(self.path, _OPEN_FLAGS, 0o600)
            try:
                if not self._wait_os_lock(fd, deadline, blocking):
                    os.close(fd)
                    return None
                if _names_same_file(fd, self.path):
                    return fd
                # The holder removed this lock file while we waited: lock the new one.
                _os_unlock(fd)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def _wait_os_lock(self, fd: int, deadline: float | None, blocking: bool) -> bool:
        if blocking and deadline is None:
            return _os_lock(fd, wait=True)
        delay = 0.001
        while not _os_lock(fd, wait=False):
            if not blocking:
                return False
            left = deadline - time.monotonic()  # type: ignore[operator]
            if left <= 0:
                raise LockTimeout(f"Timeout acquiring the session lock {self.path}")
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
        return True

    def release(self, unlink: bool = False) -> None:
        """Release the lock; with ``unlink``, remove the lock file first (while still held).

        The file is removed only if ``path`` still names the file this object locked (someone
        outside the protocol may have replaced it).
        """
        fd = self._fd
        if fd is None:
            raise RuntimeError(f"{self.path} is not locked by this FileLock")
        self._fd = None
        try:
            if unlink and _names_same_file(fd, self.path):
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
            _os_unlock(fd)
        finally:
            os.close(fd)
            self._threads.release(self.path)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "held" if self.held else "free"
        return f"<FileLock {self.path!r} {state}>"
