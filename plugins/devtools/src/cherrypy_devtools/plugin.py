"""The pluggy plugin of cherrypy-devtools (entry point ``cherrypy.plugins: devtools``).

Registers ``tools.cpstats``.  (The gctools request counter subscribes itself on first use,
so that applications not using it publish nothing extra per request.)
"""

from __future__ import annotations

from cherrypy.plugin import KeyDeclarer, Toolbox, hookimpl

from .statistics import StatsTool

__all__ = ["CHERRYPY_PLUGIN_API", "CPSTATS_TOOL", "cherrypy_config_keys", "cherrypy_register_tools"]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The range of the plugin API (``cherrypy.plugin``) this distribution supports."""

CPSTATS_TOOL = StatsTool()
"""The tool instance registered as ``cherrypy.tools.cpstats``."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``tools.cpstats``."""
    toolbox.cpstats = CPSTATS_TOOL


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.cpstats.*``."""
    checker.declare_tool(
        "cpstats",
        CPSTATS_TOOL,
        {
            "uriset": "A name to aggregate this path's timings under.",
            "slow_queries": "Seconds above which a request is kept as slow (0: off).",
            "slow_queries_count": "How many slow requests are kept.",
        },
        open=False,
        doc="Record each request in the statistics shown by the StatsPage.",
    )
