"""cherrypy-routes: CherryPy's ``RoutesDispatcher`` on the ``routes`` package.

Available as ``cherrypy.dispatch.RoutesDispatcher`` once this distribution is installed.
"""

from __future__ import annotations

from .dispatcher import RoutesDispatcher

__all__ = ["RoutesDispatcher"]
