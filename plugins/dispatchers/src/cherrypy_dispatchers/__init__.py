"""cherrypy-dispatchers: ``MethodDispatcher`` and the ``VirtualHost`` dispatcher.

Both are CherryPy's, under their usual names ``cherrypy.dispatch.MethodDispatcher`` and
``cherrypy.dispatch.VirtualHost`` once this distribution is installed.
"""

from __future__ import annotations

from .method import MethodDispatcher, allowed_methods, clear_method_cache
from .vhost import VirtualHost, request_host

__all__ = [
    "MethodDispatcher",
    "VirtualHost",
    "allowed_methods",
    "clear_method_cache",
    "request_host",
]
