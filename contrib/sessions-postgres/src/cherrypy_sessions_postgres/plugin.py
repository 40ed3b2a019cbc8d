"""The pluggy plugin of cherrypy-sessions-postgres: registers the ``postgresql`` storage type."""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.hookspecs import RegisterSessionBackend, hookimpl

__all__ = ["cherrypy_config_keys", "cherrypy_register_session_backends"]


@hookimpl
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Register :class:`~cherrypy_sessions_postgres.backend.PostgresqlSession` as
    ``postgresql`` (and its short name ``postgres``)."""
    from cherrypy_sessions_postgres.backend import PostgresqlSession

    register("postgresql", PostgresqlSession)
    register("postgres", PostgresqlSession)


@hookimpl
def cherrypy_config_keys(checker: Any) -> None:
    """Declare the ``tools.sessions.*`` keys of the ``postgresql`` storage type."""
    from cherrypy_sessions_postgres.backend import PostgresqlSession

    names = (
        "dsn",
        "connect_kwargs",
        "table",
        "pool_min_size",
        "pool_max_size",
        "pool_timeout",
        "connect_timeout",
    )
    checker.declare_attributes("tools.sessions", PostgresqlSession, names)
