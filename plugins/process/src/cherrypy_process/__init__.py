"""cherrypy-process: the process-management side of ``cherrypy.engine``.

* :class:`SignalHandler` (``cherrypy.engine.signal_handler``): SIGTERM exits, SIGHUP restarts
  a daemon (exits otherwise), SIGUSR1 reloads gracefully;
* :class:`Autoreloader` (``cherrypy.engine.autoreload``): restarts the process when a source
  or config file changes;
* :class:`Daemonizer`, :class:`PIDFile` and :class:`DropPrivileges`, also importable from
  ``cherrypy.process.plugins``;
* the ``cherryd`` command (:mod:`cherrypy_process.cherryd`), also run by ``python -m cherrypy``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .autoreload import Autoreloader
    from .daemonizer import Daemonizer
    from .pidfile import PIDFile
    from .privileges import DropPrivileges
    from .signals import SignalHandler

__all__ = ["Autoreloader", "Daemonizer", "DropPrivileges", "PIDFile", "SignalHandler"]

# The plugin entry point imports this package at start-up: each class is imported from its
# module when first asked for.
_MODULES = {
    "Autoreloader": "autoreload",
    "Daemonizer": "daemonizer",
    "DropPrivileges": "privileges",
    "PIDFile": "pidfile",
    "SignalHandler": "signals",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
