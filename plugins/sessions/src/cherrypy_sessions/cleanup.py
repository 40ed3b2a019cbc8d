"""Cleanup monitors: one background thread per session storage, started on first use.

Nothing starts at import.  The first time a session with ``clean_freq`` set loads its data,
:func:`ensure_running` creates a :class:`~cherrypy.process.plugins.Monitor` for that storage
(keyed by backend class and :meth:`~cherrypy_sessions.base.Session.cleanup_key`),
subscribes it to ``cherrypy.engine`` (so ``engine.stop()`` stops it and ``engine.start()``
restarts it) and starts its thread at once, which also covers applications served by another
WSGI server with the engine never started.  A failing cleanup pass is logged and the thread
carries on at the next tick.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["ensure_running", "monitors", "stop_all"]

_monitors: dict[Any, Any] = {}
_by_class: dict[type, Any] = {}
"""Monitors of backends that keep the default ``cleanup_key`` (one storage per class)."""
_lock = threading.Lock()

monitor_of_class = _by_class.get
"""The monitor serving a backend class with the default ``cleanup_key``, or None (fast)."""


class _CleanupPass:
    """Runs one backend's ``clean_up`` and logs (rather than raises) its failures."""

    def __init__(self, cleaner: Any) -> None:
        self.cleaner = cleaner

    def __call__(self) -> None:
        try:
            self.cleaner.clean_up()
        except Exception as exc:
            import cherrypy
            from cherrypy_sessions.events import report_store_error

            report_store_error(self.cleaner, "clean_up", exc)

            cherrypy.log(
                f"Session cleanup of {type(self.cleaner).__name__} failed",
                "TOOLS.SESSIONS",
                severity=40,
                traceback=True,
            )

    def __repr__(self) -> str:
        return f"<session cleanup of {type(self.cleaner).__name__}>"


def _default_cleanup_key(cls: type) -> bool:
    from cherrypy_sessions.base import Session

    return getattr(cls, "cleanup_key", None) is Session.cleanup_key


def ensure_running(session: Any) -> None:
    """Make sure a cleanup thread runs for ``session``'s storage (cheap when it does).

    One monitor serves each storage (backend class and
    :meth:`~cherrypy_sessions.base.Session.cleanup_key`); the first session seen sets its
    frequency.
    """
    cls = session.__class__
    monitor = _by_class.get(cls)
    if monitor is not None and monitor.thread is not None:
        return
    storage = session.cleanup_key()
    key: Any = cls if storage is None else (cls, storage)
    try:
        monitor = _monitors.get(key)
    except TypeError:
        key = (cls, repr(storage))
        monitor = _monitors.get(key)
    if monitor is not None and monitor.thread is not None:
        return
    with _lock:
        monitor = _monitors.get(key)
        if monitor is None:
            import cherrypy
            from cherrypy.plugin import Monitor

            monitor = Monitor(
                cherrypy.engine,
                _CleanupPass(session.cleaner()),
                session.clean_freq * 60,
                name=f"Session cleanup ({cls.__name__})",
            )
            monitor.subscribe()
            _monitors[key] = monitor
            if _default_cleanup_key(cls):
                _by_class[cls] = monitor
            if cls.__dict__.get("clean_thread") is None:
                cls.clean_thread = monitor
        if monitor.thread is None:
            monitor.start()


def monitors() -> list[Any]:
    """The cleanup monitors created so far."""
    return list(_monitors.values())


def stop_all() -> None:
    """Stop and forget every cleanup monitor (for tests and embedding)."""
    with _lock:
        for key, monitor in list(_monitors.items()):
            cls = key[0] if isinstance(key, tuple) else key
            monitor.unsubscribe()
            if monitor.thread is not None:
                monitor.stop()
            if cls.__dict__.get("clean_thread") is monitor:
                cls.clean_thread = None
        _monitors.clear()
        _by_class.clear()
