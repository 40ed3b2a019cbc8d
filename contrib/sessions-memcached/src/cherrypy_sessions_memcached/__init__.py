"""cherrypy-sessions-memcached: sessions in memcached (``tools.sessions.storage_type = "memcached"``).

See ``docs/sessions-memcached.md``.
"""

from __future__ import annotations

from cherrypy_sessions_memcached.backend import MemcachedSession, MemcachedUnavailable

__version__ = "0.1.0"

__all__ = ["MemcachedSession", "MemcachedUnavailable", "__version__"]
