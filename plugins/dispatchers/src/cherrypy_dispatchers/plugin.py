"""The pluggy plugin of cherrypy-dispatchers (entry point ``cherrypy.plugins: dispatchers``).

It registers ``MethodDispatcher`` and ``VirtualHost`` by name, so that they are listed by
``python -m cherrypy plugins`` and reachable as ``cherrypy.dispatch.MethodDispatcher`` and
``cherrypy.dispatch.VirtualHost`` (also through the ``cherrypy.compat`` table, before boot).
"""

from __future__ import annotations

from cherrypy.plugin import UNSET, KeyDeclarer, RegisterDispatcher, hookimpl

from .method import MethodDispatcher
from .vhost import VirtualHost

__all__ = ["CHERRYPY_PLUGIN_API", "cherrypy_config_keys", "cherrypy_register_dispatchers"]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The range of the plugin API (``cherrypy.plugin``) this distribution supports."""


@hookimpl
def cherrypy_register_dispatchers(register: RegisterDispatcher) -> None:
    """Offer ``MethodDispatcher`` and ``VirtualHost`` to ``request.dispatch`` config."""
    register("MethodDispatcher", MethodDispatcher)
    register("VirtualHost", VirtualHost)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Document the dispatchers this distribution offers to ``request.dispatch``."""
    checker.declare_key(
        "request",
        "dispatch",
        "MethodDispatcher | VirtualHost",
        UNSET,
        "cherrypy.dispatch.MethodDispatcher() dispatches on the HTTP method (REST); "
        "cherrypy.dispatch.VirtualHost(next, **domains) on the Host header.",
    )
