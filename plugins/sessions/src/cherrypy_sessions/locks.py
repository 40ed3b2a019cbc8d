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
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Hashable

__all__ = ["FileLock", "KeyedLocks", "LockTimeout"]


class LockTimeout(Exception):
    """A session lock could not be acquired within ``lock_timeout`` seconds."""


class KeyedLocks:
    """One :class:`threading.Lock` per key, alive only while someone holds or waits for it."""

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

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


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
                raise LockTimeout(f"Timeout acquiring the session lock {self.path}")
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
            remaining = deadline - time.monotonic()  # type: ignore[operator]
            if remaining <= 0:
                raise LockTimeout(f"Timeout acquiring the session lock {self.path}")
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.05)
        return True

    def release(self, unlink: bool = False) -> None:
        """Release the lock; with ``unlink``, remove the lock file first (while still held)."""
        fd = self._fd
        if fd is None:
            raise RuntimeError(f"{self.path} is not locked by this FileLock")
        self._fd = None
        try:
            if unlink:
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
