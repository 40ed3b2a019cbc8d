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

from .autoreload import Autoreloader
from .daemonizer import Daemonizer
from .pidfile import PIDFile
from .privileges import DropPrivileges
from .signals import SignalHandler

__all__ = ["Autoreloader", "Daemonizer", "DropPrivileges", "PIDFile", "SignalHandler"]
