"""The site's state, as kernel code reads it: one typed holder instead of ``import cherrypy``.

:mod:`cherrypy.kernel.site` creates the singletons (engine, tree, config, tools, log, checker)
and installs them in :data:`site`; ``cherrypy/__init__.py`` re-exports them, and assigning a
facade attribute (``cherrypy.tree = Tree()``, as CherryPy's own test helper does) replaces the
object here, so kernel code that reads ``site.tree`` when it runs always sees the current one.

This module imports nothing of the kernel at run time: any module may import it without
joining an import cycle.  The boot function (which loads plugins) is installed the same way,
by :mod:`cherrypy.kernel.site`, so that low-level modules can reach the plugin hooks without
importing the modules that boot imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrypy.kernel.bus import Bus
    from cherrypy.kernel.checker import Checker
    from cherrypy.kernel.config import Config
    from cherrypy.kernel.logs import LogManager
    from cherrypy.kernel.pluginmanager import PluginHooks
    from cherrypy.kernel.tools import Toolbox
    from cherrypy.kernel.tree import Tree

__all__ = ["VERSION", "Site", "boot", "get_server", "site"]

VERSION = "18.10.0"
"""The CherryPy version this kernel is compatible with (``cherrypy.__version__``)."""


class Site:
    """The process-wide objects behind ``cherrypy.engine``, ``cherrypy.tree`` and friends.

    Every attribute is ``None`` until :mod:`cherrypy.kernel.site` installs it (importing
    ``cherrypy`` does), except :attr:`server`, which the server plugin provides on first use.
    """

    __slots__ = ("booter", "checker", "config", "engine", "log", "server", "tools", "tree")

    def __init__(self) -> None:
        self.engine: Bus = None  # type: ignore[assignment]
        self.tree: Tree = None  # type: ignore[assignment]
        self.config: Config = None  # type: ignore[assignment]
        self.tools: Toolbox = None  # type: ignore[assignment]
        self.log: LogManager = None  # type: ignore[assignment]
        self.checker: Checker = None  # type: ignore[assignment]
        self.server: Any = None
        self.booter: Callable[[], PluginHooks] | None = None


site = Site()
"""The one :class:`Site` of the process."""


def get_server() -> Any:
    """``cherrypy.server``: the server plugin's adapter (raises naming the plugin if missing)."""
    server = site.server
    if server is None:
        from cherrypy.kernel.compat import module_getattr

        server = site.server = module_getattr("cherrypy", "server")
    return server


def boot() -> PluginHooks:
    """Load the plugins once (see :func:`cherrypy.kernel.boot.boot`); return the hook facade."""
    booter = site.booter
    if booter is None:
        raise RuntimeError("the cherrypy kernel is not set up: import cherrypy first")
    return booter()
