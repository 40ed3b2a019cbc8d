"""The pluggy plugin of cherrypy-dispatchers (entry point ``cherrypy.plugins: dispatchers``).

It registers ``MethodDispatcher`` and ``VirtualHost`` by name, so that they are listed by
``python -m cherrypy plugins`` and reachable as ``cherrypy.dispatch.MethodDispatcher`` and
``cherrypy.dispatch.VirtualHost`` (also through the ``cherrypy.compat`` table, before boot).
"""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.configkeys import UNSET
from cherrypy.kernel.hookspecs import RegisterDispatcher, hookimpl

from .method import MethodDispatcher
from .vhost import VirtualHost

__all__ = ["cherrypy_config_keys", "cherrypy_register_dispatchers"]


@hookimpl
def cherrypy_register_dispatchers(register: RegisterDispatcher) -> None:
    """Offer ``MethodDispatcher`` and ``VirtualHost`` to ``request.dispatch`` config."""
    register("MethodDispatcher", MethodDispatcher)
    register("VirtualHost", VirtualHost)


@hookimpl
def cherrypy_config_keys(checker: Any) -> None:
    """Document the dispatchers this distribution offers to ``request.dispatch``."""
    checker.declare_key(
        "request",
        "dispatch",
        "MethodDispatcher | VirtualHost",
        UNSET,
        "cherrypy.dispatch.MethodDispatcher() dispatches on the HTTP method (REST); "
        "cherrypy.dispatch.VirtualHost(next, **domains) on the Host header.",
    )
