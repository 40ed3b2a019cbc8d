"""cherrypy-sessions-postgres: sessions in PostgreSQL (``storage_type = "postgresql"``).

See ``docs/sessions-postgres.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrypy_sessions_postgres.backend import PostgresqlSession, PostgresUnavailable

__version__ = "0.1.0"

__all__ = ["PostgresUnavailable", "PostgresqlSession", "__version__"]


def __getattr__(name: str) -> Any:
    """The backend's names, imported on first use (the plugin entry point imports this package
    at start-up; the backend module is needed only when the storage type is used)."""
    if name in ("PostgresUnavailable", "PostgresqlSession"):
        from cherrypy_sessions_postgres import backend

        return getattr(backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
