"""Unit tests of the lock primitives: KeyedLocks and the inter-process FileLock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cherrypy_sessions.locks import FileLock, KeyedLocks, LockTimeout


def test_keyed_locks_exclude_per_key_and_forget_unused_keys() -> None:
    locks = KeyedLocks()
    assert locks.acquire("a")
    assert not locks.try_acquire("a")
    assert locks.try_acquire("b")
    assert locks.locked("a") and len(locks) == 2
    assert not locks.acquire("a", timeout=0.05)
    locks.release("a")
    locks.release("b")
    assert len(locks) == 0 and "a" not in locks


def test_keyed_locks_serialise_threads() -> None:
    locks = KeyedLocks()
    inside = []
    overlaps = []

    def work() -> None:
        for _ in range(200):
            locks.acquire("k")
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(1)
            inside.pop()
            locks.release("k")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [] and len(locks) == 0


def test_file_lock_excludes_threads_of_one_process(tmp_path: Path) -> None:
    path = str(tmp_path / "x.lock")
    first = FileLock(path)
    first.acquire()
    assert not FileLock(path).acquire(blocking=False)
    with pytest.raises(LockTimeout):
        FileLock(path, timeout=0.1).acquire()
    first.release()
    with FileLock(path) as again:
        assert again.held


def test_file_lock_is_not_reentrant_on_one_object(tmp_path: Path) -> None:
    lock = FileLock(str(tmp_path / "x.lock"))
    lock.acquire()
    with pytest.raises(RuntimeError):
        lock.acquire()
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()


HOLDER = """
import sys, time
from cherrypy_sessions.locks import FileLock
FileLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_file_lock_excludes_other_processes_and_recovers_from_sigkill(tmp_path: Path) -> None:
    path = str(tmp_path / "x.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockTimeout):
            FileLock(path, timeout=0.3).acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(5)
        started = time.monotonic()
        lock = FileLock(path, timeout=5)
        lock.acquire()
        assert time.monotonic() - started < 1
        lock.release()
    finally:
        holder.kill()
        holder.wait(5)


def test_waiter_moves_to_the_new_file_when_the_holder_unlinks(tmp_path: Path) -> None:
    path = str(tmp_path / "x.lock")
    holder = FileLock(path)
    holder.acquire()
    got: list[FileLock] = []
    waiter = threading.Thread(target=lambda: got.append(FileLock(path)) or got[0].acquire())
    waiter.start()
    time.sleep(0.1)
    holder.release(unlink=True)
    waiter.join(5)
    assert got and got[0].held
    # The waiter holds the lock on the file now at ``path``: nobody else gets it.
    assert os.path.exists(path)
    assert not FileLock(path).acquire(blocking=False)
    got[0].release()
