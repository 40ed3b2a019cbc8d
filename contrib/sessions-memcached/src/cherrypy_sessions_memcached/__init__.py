"""cherrypy-sessions-memcached: sessions in memcached (``tools.sessions.storage_type = "memcached"``).

See ``docs/sessions-memcached.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrypy_sessions_memcached.backend import MemcachedSession, MemcachedUnavailable

__version__ = "0.1.0"

__all__ = ["MemcachedSession", "MemcachedUnavailable", "__version__"]


def __getattr__(name: str) -> Any:
    """The backend's names, imported on first use (the plugin entry point imports this package
    at start-up; the backend module is needed only when the storage type is used)."""
    if name in ("MemcachedSession", "MemcachedUnavailable"):
        from cherrypy_sessions_memcached import backend

        return getattr(backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
