"""The pluggy plugin of cherrypy-routes (entry point ``cherrypy.plugins: routes``).

It registers ``RoutesDispatcher`` by name, so that it is listed by ``python -m cherrypy plugins``
and reachable as ``cherrypy.dispatch.RoutesDispatcher``.  Like every plugin it loads on first
need, never on ``import cherrypy``.
"""

from __future__ import annotations

from cherrypy.plugin import UNSET, KeyDeclarer, RegisterDispatcher, hookimpl

from .dispatcher import RoutesDispatcher

__all__ = ["CHERRYPY_PLUGIN_API", "cherrypy_config_keys", "cherrypy_register_dispatchers"]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The range of the plugin API (``cherrypy.plugin``) this distribution supports."""


@hookimpl
def cherrypy_register_dispatchers(register: RegisterDispatcher) -> None:
    """Offer ``RoutesDispatcher`` to ``request.dispatch`` config."""
    register("RoutesDispatcher", RoutesDispatcher)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Document ``RoutesDispatcher`` as a value of ``request.dispatch``."""
    checker.declare_key(
        "request",
        "dispatch",
        "RoutesDispatcher",
        UNSET,
        "cherrypy.dispatch.RoutesDispatcher() maps URLs with a routes.Mapper (d.connect(...)).",
    )
