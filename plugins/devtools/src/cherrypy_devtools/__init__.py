"""cherrypy-devtools: CherryPy's development aids for cherrypy-kernel.

:mod:`~cherrypy_devtools.cpstats` (``cherrypy.lib.cpstats``: ``tools.cpstats`` and the stats
page), :mod:`~cherrypy_devtools.profiler` (``cherrypy.lib.profiler``) and
:mod:`~cherrypy_devtools.gctools` (``cherrypy.lib.gctools``).  Their pages expose server
internals: never mount them on a public site.
"""

from __future__ import annotations

__all__: list[str] = []
