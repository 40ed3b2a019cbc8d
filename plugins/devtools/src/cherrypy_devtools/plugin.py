"""The pluggy plugin of cherrypy-devtools (entry point ``cherrypy.plugins: devtools``).

Registers ``tools.cpstats``.  (The gctools request counter subscribes itself on first use,
so that applications not using it publish nothing extra per request.)
"""

from __future__ import annotations

from cherrypy.kernel.hookspecs import hookimpl
from cherrypy.kernel.tools import Toolbox

from .statistics import StatsTool

__all__ = ["CPSTATS_TOOL", "cherrypy_register_tools"]

CPSTATS_TOOL = StatsTool()
"""The tool instance registered as ``cherrypy.tools.cpstats``."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``tools.cpstats``."""
    toolbox.cpstats = CPSTATS_TOOL
