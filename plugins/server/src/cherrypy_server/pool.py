"""The worker threads that run requests whose head is complete.

The pool starts ``min_threads`` workers.  It grows only when work waits in the queue while
no worker is free and none has taken a job for :data:`GROW_AFTER` seconds, that is when the
workers are stuck (slow request bodies, slow applications) rather than merely busy: adding
threads to a pool that keeps up only adds GIL contention.  Workers added that way leave again
after :data:`IDLE_EXIT` idle seconds.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["DEFAULT_MAX_THREADS", "WorkerPool"]

_log = logging.getLogger("cherrypy_server")

GROW_AFTER = 0.05
"""Seconds without any job taken, with jobs waiting, before the pool grows."""

IDLE_EXIT = 30.0
"""Seconds an extra worker waits for a job before leaving."""

DEFAULT_MAX_THREADS = 100
"""The default most worker threads (``server.thread_pool_max``); CherryPy 18 had no limit."""


class _Worker:
    __slots__ = ("current", "extra", "thread")

    def __init__(self, extra: bool) -> None:
        self.extra = extra
        self.current: Any = None
        self.thread: threading.Thread | None = None


class WorkerPool:
    """A queue of jobs and the threads that call ``handler(job)`` for each of them."""

    def __init__(
        self,
        handler: Callable[[Any], None],
        min_threads: int = 10,
        max_threads: int = DEFAULT_MAX_THREADS,
        name: str = "HTTPServer",
    ) -> None:
        """Prepare a pool; ``max_threads`` < 1 means no upper bound (CherryPy's ``-1``)."""
        self.handler = handler
        self.min_threads = max(1, min_threads)
        self.max_threads = max_threads if max_threads > 0 else -1
        if 0 < self.max_threads < self.min_threads:
            self.max_threads = self.min_threads
        self.name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._idle = 0
        self._last_take = time.monotonic()
        self._serial = 0

    @property
    def size(self) -> int:
        """Number of worker threads alive."""
        return len(self._workers)

    @property
    def idle(self) -> int:
        """Number of workers waiting for a job."""
        return self._idle

    @property
    def backlog(self) -> int:
        """Jobs waiting for a worker."""
        return self._queue.qsize()

    @property
    def busy(self) -> int:
        """Workers running a job."""
        return sum(1 for worker in self._workers if worker.current is not None)

    def busy_except(self, job: Any) -> int:
        """Workers running a job other than ``job`` (the one stopping the server, if any)."""
        return sum(
            1
            for worker in list(self._workers)
            if worker.current is not None and worker.current is not job
        )

    def start(self) -> None:
        """Start the minimum number of workers."""
        self._last_take = time.monotonic()
        for _ in range(self.min_threads - len(self._workers)):
            self._spawn(extra=False)

    def _spawn(self, extra: bool) -> None:
        worker = _Worker(extra)
        self._serial += 1
        thread = threading.Thread(
            target=self._run, args=(worker,), name=f"{self.name} worker {self._serial}", daemon=True
        )
        worker.thread = thread
        with self._lock:
            self._workers.append(worker)
        try:
            thread.start()
        except RuntimeError:
            # The process cannot start another thread (its limit, or memory): an extra worker
            # is given up and the pool stops growing at its present size rather than failing
            # the selector that asked for it.
            with self._lock:
                self._workers.remove(worker)
            if not extra:
                raise
            self.max_threads = max(self.min_threads, len(self._workers))
            _log.warning(
                "%s could not start another worker thread; the pool stays at %d threads",
                self.name,
                self.max_threads,
            )

    def submit(self, job: Any) -> None:
        """Queue ``job`` for the next free worker."""
        self._queue.put(job)

    def maybe_grow(self, now: float) -> None:
        """Add workers if jobs wait and every worker has been stuck for a while."""
        if self._idle or self._queue.empty() or now - self._last_take < GROW_AFTER:
            return
        room = self._queue.qsize()
        if self.max_threads > 0:
            room = min(room, self.max_threads - len(self._workers))
        for _ in range(min(room, 16)):
            self._spawn(extra=True)
            if 0 < self.max_threads <= len(self._workers):
                break
        self._last_take = now

    def _run(self, worker: _Worker) -> None:
        get = self._queue.get
        lock = self._lock
        handler = self.handler
        while True:
            with lock:
                self._idle += 1
            try:
                job = get(timeout=IDLE_EXIT) if worker.extra else get()
            except queue.Empty:
                with lock:
                    self._idle -= 1
                    if len(self._workers) > self.min_threads:
                        self._workers.remove(worker)
                        return
                continue
            with lock:
                self._idle -= 1
            if job is None:
                with lock:
                    if worker in self._workers:
                        self._workers.remove(worker)
                return
            self._last_take = time.monotonic()
            worker.current = job
            try:
                handler(job)
            finally:
                worker.current = None

    def current_jobs(self) -> list[Any]:
        """Jobs being run right now."""
        return [
            job for job in (worker.current for worker in list(self._workers)) if job is not None
        ]

    def own_job(self) -> Any:
        """The job the calling thread runs, when it is one of the workers (else None)."""
        me = threading.current_thread()
        for worker in list(self._workers):
            if worker.thread is me:
                return worker.current
        return None

    def wait_idle(self, deadline: float) -> bool:
        """Wait until no job is queued or running, or until ``deadline``; True if idle.

        A worker calling this (an application stopping the server from a request) does not
        wait for its own job.
        """
        me = threading.current_thread()

        def idle() -> bool:
            if not self._queue.empty():
                return False
            return not any(
                w.current is not None and w.thread is not me for w in list(self._workers)
            )

        while time.monotonic() < deadline:
            if idle():
                return True
            time.sleep(0.01)
        return idle()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask every worker to leave once the queue is empty and wait up to ``timeout``."""
        workers = list(self._workers)
        for _ in workers:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for worker in workers:
            thread = worker.thread
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._workers = [
                w for w in self._workers if w.thread is not None and w.thread.is_alive()
            ]
