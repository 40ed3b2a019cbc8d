"""cherrypy-caching: ``tools.caching``, ``tools.expires`` and ``tools.etags`` for cherrypy-kernel.

``cherrypy.lib.caching`` resolves to :mod:`cherrypy_caching.caching`.
"""

from __future__ import annotations

from .caching import clear_process_cache, expires, get, process_cache, tee_output
from .conditional import validate_etags, validate_since
from .memory import AntiStampedeCache, Cache, MemoryCache

__all__ = [
    "AntiStampedeCache",
    "Cache",
    "MemoryCache",
    "clear_process_cache",
    "expires",
    "get",
    "process_cache",
    "tee_output",
    "validate_etags",
    "validate_since",
]
