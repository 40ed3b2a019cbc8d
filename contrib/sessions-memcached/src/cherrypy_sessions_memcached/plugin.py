"""The pluggy plugin of cherrypy-sessions-memcached: registers the ``memcached`` storage type."""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.hookspecs import RegisterSessionBackend, hookimpl

__all__ = ["cherrypy_config_keys", "cherrypy_register_session_backends"]


@hookimpl
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Register :class:`~cherrypy_sessions_memcached.backend.MemcachedSession` as ``memcached``."""
    from cherrypy_sessions_memcached.backend import MemcachedSession

    register("memcached", MemcachedSession)


@hookimpl
def cherrypy_config_keys(checker: Any) -> None:
    """Declare the ``tools.sessions.*`` keys of the ``memcached`` storage type."""
    from cherrypy_sessions_memcached.backend import MemcachedSession

    names = ("servers", "key_prefix", "lock_ttl", "connect_timeout", "socket_timeout", "pool_size")
    checker.declare_attributes("tools.sessions", MemcachedSession, names)
