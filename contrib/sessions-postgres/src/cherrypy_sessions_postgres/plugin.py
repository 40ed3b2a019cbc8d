"""The pluggy plugin of cherrypy-sessions-postgres: registers the ``postgresql`` storage type.

It implements ``cherrypy_register_session_backends``, the hook cherrypy-sessions adds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypy.plugin import KeyDeclarer, hookimpl

if TYPE_CHECKING:
    from cherrypy_sessions.hookspecs import RegisterSessionBackend

__all__ = ["CHERRYPY_PLUGIN_API", "cherrypy_config_keys", "cherrypy_register_session_backends"]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""


@hookimpl
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Register :class:`~cherrypy_sessions_postgres.backend.PostgresqlSession` as
    ``postgresql`` (and its short name ``postgres``)."""
    from cherrypy_sessions_postgres.backend import PostgresqlSession

    register("postgresql", PostgresqlSession)
    register("postgres", PostgresqlSession)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
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
