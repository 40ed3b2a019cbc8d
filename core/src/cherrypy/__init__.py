"""CherryPy's public API on the cherrypy-kernel: ``import cherrypy``.

This module is the facade: it re-exports the public names; the singletons (``engine``,
``tree``, ``config``, ``tools``, ``log``, ``checker``) are made by
:mod:`cherrypy.kernel.site`.  Assigning one of them here (``cherrypy.tree = Tree()``) replaces
it for the whole kernel, which reads them from :data:`cherrypy.kernel.runtime.site` when used.  Importing it loads no
plugin, starts no thread and installs no signal handler; plugins load on first need.
Names that plugins provide (``cherrypy.server``, ``cherrypy.lib.sessions``, ...) resolve
through the ``cherrypy.compat`` entry-point table.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from cherrypy import dispatch, lib, process
from cherrypy.kernel import compat as _compat
from cherrypy.kernel.context import serving, thread_data
from cherrypy.kernel.dispatch import expose, popargs
from cherrypy.kernel.errors import (
    CherryPyException,
    HTTPError,
    HTTPRedirect,
    InternalRedirect,
    NotFound,
    TimeoutError,
)
from cherrypy.kernel.quickstart import quickstart
from cherrypy.kernel.runtime import VERSION as __version__  # noqa: F401 - re-exported
from cherrypy.kernel.runtime import site as _site
from cherrypy.kernel.site import (
    checker,
    config,
    engine,
    log,
    request,
    response,
    session,
    tools,
    tree,
)
from cherrypy.kernel.tools import Tool
from cherrypy.kernel.tree import Application
from cherrypy.kernel.urls import url

__all__ = [
    "Application",
    "CherryPyException",
    "HTTPError",
    "HTTPRedirect",
    "InternalRedirect",
    "NotFound",
    "TimeoutError",
    "Tool",
    "checker",
    "config",
    "dispatch",
    "engine",
    "expose",
    "lib",
    "log",
    "popargs",
    "process",
    "quickstart",
    "request",
    "response",
    "serving",
    "session",
    "thread_data",
    "tools",
    "tree",
    "url",
]

_compat.install_finder()


def __getattr__(name: str) -> Any:
    """Resolve names provided by plugins (``cherrypy.server``, ...) through the compat table."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _compat.module_getattr("cherrypy", name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SITE_NAMES))


def _site_attribute(name: str) -> property:
    def get(module: types.ModuleType) -> Any:
        value = getattr(_site, name)
        if value is None and name == "server":
            value = _compat.module_getattr("cherrypy", "server")
        return value

    def set_(module: types.ModuleType, value: Any) -> None:
        setattr(_site, name, value)

    def delete(module: types.ModuleType) -> None:
        setattr(_site, name, None)

    return property(
        get, set_, delete, doc=f"``cherrypy.{name}`` (kept in the kernel's site state)."
    )


_SITE_NAMES = ("checker", "config", "engine", "log", "server", "tools", "tree")


class _Facade(types.ModuleType):
    """The ``cherrypy`` module's class: its site singletons live in the kernel's runtime."""


for _name in _SITE_NAMES:
    setattr(_Facade, _name, _site_attribute(_name))
    globals().pop(_name, None)
del _name
sys.modules[__name__].__class__ = _Facade
