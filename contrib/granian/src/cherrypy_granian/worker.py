"""What runs in each granian worker process: the application and its own CherryPy engine.

granian calls the loader it was given (:func:`worker_application`, bound to how this worker
finds the application) once per worker before serving.  The loader makes sure the
applications are mounted on ``cherrypy.tree`` (a forked worker inherited them from the
supervisor; a spawned one mounts them again), starts ``cherrypy.engine`` without the built-in
HTTP server, the autoreloader or signal handlers (granian owns the sockets and the signals)
and returns ``cherrypy.tree`` as the WSGI application.  The engine exits when the worker
process ends, after granian stopped serving.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from multiprocessing import util as mp_util
from typing import Any

import cherrypy

__all__ = ["in_worker", "keep_worker_engine_quiet", "stop_engine", "worker_application"]

_lock = threading.Lock()
_engine_pid: int | None = None
"""The process whose engine this module started (a forked child must start its own)."""

_worker_pid: int | None = None
"""The process that is a granian worker, once :func:`worker_application` ran in it."""


def in_worker() -> bool:
    """Whether this process is a granian worker (its engine must not take over again)."""
    return _worker_pid == os.getpid()


def keep_worker_engine_quiet() -> None:
    """Keep what only a process that owns the socket and the signals may run off the engine.

    Unsubscribes the built-in HTTP server (``cherrypy.server``) and the autoreloader, which
    would re-execute the worker.  Safe to call again; the engine setup callback calls it too,
    since engine setup subscribes the server.
    """
    engine: Any = cherrypy.engine
    try:
        autoreload = engine.autoreload
    except AttributeError:  # cherrypy-process is not installed
        autoreload = None
    if autoreload is not None:
        autoreload.unsubscribe()
    try:
        server = cherrypy.server
    except (AttributeError, ImportError):  # cherrypy-server is not installed
        server = None
    if server is not None:
        server.unsubscribe()


def worker_application(load: Callable[[], None] | None = None) -> Callable[..., Any]:
    """granian's target loader: mount the applications, start the engine, return the tree.

    ``load`` mounts the applications in a process that has none (a worker started with
    multiprocessing's ``spawn``); None when only inherited applications can exist.  The engine
    starts once per process, however many of granian's workers share it.
    """
    global _engine_pid, _worker_pid
    with _lock:
        pid = os.getpid()
        if _engine_pid != pid:
            _worker_pid = pid
            if not cherrypy.tree.apps:
                if load is None:
                    raise RuntimeError("this granian worker has no mounted application")
                load()
            keep_worker_engine_quiet()
            # Run by multiprocessing as the worker process ends (forked or spawned), and by
            # atexit where workers are threads of one process.
            mp_util.Finalize(None, stop_engine, exitpriority=50)
            _engine_pid = pid
            try:
                cherrypy.engine.start()
            except Exception:
                # The engine logged why (or the start-up check wrote its lines on stderr);
                # the worker ends with status 1 and granian shuts the server down.
                raise SystemExit(1) from None
    return cherrypy.tree


def stop_engine() -> None:
    """Exit this worker's engine (``Bus STOPPING`` ... ``Bus EXITED``) if it is running."""
    if _engine_pid != os.getpid():
        return
    engine: Any = cherrypy.engine
    if engine.state in (engine.states.STARTED, engine.states.STARTING):
        engine.exit()
