"""The pluggy plugin of cherrypy-sessions-memcached: registers the ``memcached`` storage type."""

from __future__ import annotations

from cherrypy.kernel.hookspecs import RegisterSessionBackend, hookimpl

__all__ = ["cherrypy_register_session_backends"]


@hookimpl
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Register :class:`~cherrypy_sessions_memcached.backend.MemcachedSession` as ``memcached``."""
    from cherrypy_sessions_memcached.backend import MemcachedSession

    register("memcached", MemcachedSession)
