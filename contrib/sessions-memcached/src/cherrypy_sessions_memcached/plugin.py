"""The pluggy plugin of cherrypy-sessions-memcached: registers the ``memcached`` storage type.

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
    """Register :class:`~cherrypy_sessions_memcached.backend.MemcachedSession` as ``memcached``."""
    from cherrypy_sessions_memcached.backend import MemcachedSession

    register("memcached", MemcachedSession)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare the ``tools.sessions.*`` keys of the ``memcached`` storage type."""
    from cherrypy_sessions_memcached.backend import MemcachedSession

    names = ("servers", "key_prefix", "lock_ttl", "connect_timeout", "socket_timeout", "pool_size")
    checker.declare_attributes("tools.sessions", MemcachedSession, names)
