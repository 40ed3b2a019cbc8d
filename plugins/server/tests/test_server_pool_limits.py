"""The worker pool when the process cannot start more threads."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from cherrypy_server.pool import GROW_AFTER, WorkerPool


def test_pool_stops_growing_when_no_thread_can_start(monkeypatch, caplog):
    release = threading.Event()
    done: list[int] = []

    def handler(job: int) -> None:
        release.wait(10)
        done.append(job)

    pool = WorkerPool(handler, min_threads=1, max_threads=-1, name="limits")
    pool.start()
    try:
        for job in range(4):
            pool.submit(job)
        deadline = time.monotonic() + 5
        while pool.idle and time.monotonic() < deadline:
            time.sleep(0.01)
        real_start = threading.Thread.start

        def refuse(thread: threading.Thread) -> None:
            if thread.name.startswith("limits worker"):
                raise RuntimeError("can't start new thread")
            real_start(thread)

        monkeypatch.setattr(threading.Thread, "start", refuse)
        with caplog.at_level(logging.WARNING, logger="cherrypy_server"):
            pool.maybe_grow(time.monotonic() + GROW_AFTER * 10)
        assert pool.size == 1
        assert pool.max_threads == 1
        assert "could not start another worker thread" in caplog.text
        # Later growth attempts do not try again past the size the process allowed.
        pool.maybe_grow(time.monotonic() + GROW_AFTER * 20)
        assert pool.size == 1
        monkeypatch.undo()
        release.set()
        deadline = time.monotonic() + 10
        while len(done) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(done) == [0, 1, 2, 3]
    finally:
        release.set()
        pool.stop()


def test_pool_start_still_fails_loudly_for_its_first_workers(monkeypatch):
    pool = WorkerPool(lambda job: None, min_threads=2, name="first")

    def refuse(thread: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(RuntimeError):
        pool.start()
    assert pool.size == 0
