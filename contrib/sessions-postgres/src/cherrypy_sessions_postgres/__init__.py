"""cherrypy-sessions-postgres: sessions in PostgreSQL (``storage_type = "postgresql"``).

See ``docs/sessions-postgres.md``.
"""

from __future__ import annotations

from cherrypy_sessions_postgres.backend import PostgresqlSession, PostgresUnavailable

__version__ = "0.1.0"

__all__ = ["PostgresUnavailable", "PostgresqlSession", "__version__"]
