"""The pluggy plugin of cherrypy-sessions-postgres: registers the ``postgresql`` storage type."""

from __future__ import annotations

from cherrypy.kernel.hookspecs import RegisterSessionBackend, hookimpl

__all__ = ["cherrypy_register_session_backends"]


@hookimpl
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Register :class:`~cherrypy_sessions_postgres.backend.PostgresqlSession` as
    ``postgresql`` (and its short name ``postgres``)."""
    from cherrypy_sessions_postgres.backend import PostgresqlSession

    register("postgresql", PostgresqlSession)
    register("postgres", PostgresqlSession)
