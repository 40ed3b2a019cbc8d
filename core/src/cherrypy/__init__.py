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
from cherrypy.kernel.site import (
    FACADE_ATTRIBUTES,
    checker,
    config,
    engine,
    install_facade,
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
    return sorted(set(globals()) | set(__all__) | set(FACADE_ATTRIBUTES))


install_facade(sys.modules[__name__])
