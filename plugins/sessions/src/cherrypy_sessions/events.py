"""Engine channels the session tool publishes on, for observability plugins.

* :data:`STORE_ERROR_CHANNEL` -- a session store failed: ``(store, operation, error)`` where
  ``store`` is the session class's name (``"FileSession"``), ``operation`` one of ``"load"``,
  ``"save"``, ``"delete"``, ``"lock"``, ``"clean_up"`` and ``error`` the exception (which
  still propagates as before).  cherrypy-metrics counts these as
  ``cherrypy_session_store_errors_total``.
* :data:`LOCK_CHANNEL` -- the tool holds a session's lock: ``(storage_type, started_ns,
  acquired_ns)``, :func:`time.time_ns` values taken before waiting and once the lock is held.
  cherrypy-otel makes a ``session.lock`` child span of it.

Nothing is published, and nothing measured, while no one listens on a channel.
"""

from __future__ import annotations

from typing import Any

import cherrypy

__all__ = ["LOCK_CHANNEL", "STORE_ERROR_CHANNEL", "listened", "report_store_error"]

STORE_ERROR_CHANNEL = "session_store_error"
"""Published with ``(store, operation, error)`` when a session store operation fails."""

LOCK_CHANNEL = "session_lock_acquired"
"""Published with ``(storage_type, started_ns, acquired_ns)`` once a session lock is held."""


def listened(channel: str) -> Any:
    """The engine when someone listens on ``channel``, else None (cheap)."""
    engine = cherrypy.engine
    return engine if engine.listeners.get(channel) else None


def report_store_error(session: Any, operation: str, error: BaseException) -> None:
    """Publish a failure of ``session``'s store, unless it is an HTTP answer (a 503 for a
    lock timeout is the tool's decision, not a store failure).  Never raises."""
    try:
        if isinstance(error, (cherrypy.HTTPError, cherrypy.HTTPRedirect)):
            return
        engine = listened(STORE_ERROR_CHANNEL)
        if engine is not None:
            engine.publish(STORE_ERROR_CHANNEL, type(session).__name__, operation, error)
    except Exception:
        pass  # reporting must not hide the store's own error
