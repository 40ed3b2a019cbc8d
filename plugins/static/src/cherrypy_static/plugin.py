"""The pluggy plugin of cherrypy-static (entry point ``cherrypy.plugins: static``).

It registers ``tools.staticdir`` and ``tools.staticfile``, two handler tools: switched on for
a path they answer the request themselves when a file matches (the page handler is then
skipped), and ``.handler(...)`` turns either into a page handler of its own::

    class Root:
        nav = cherrypy.tools.staticdir.handler(section="/nav", dir="/srv/site/nav")
"""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.hookspecs import hookimpl
from cherrypy.kernel.tools import HandlerTool

from .serving import staticdir, staticfile

__all__ = ["STATICDIR_TOOL", "STATICFILE_TOOL", "cherrypy_register_tools"]

STATICDIR_TOOL = HandlerTool(staticdir, "staticdir")
"""``cherrypy.tools.staticdir``: serve a directory (see :func:`~.serving.staticdir`)."""

STATICFILE_TOOL = HandlerTool(staticfile, "staticfile")
"""``cherrypy.tools.staticfile``: serve one file (see :func:`~.serving.staticfile`)."""


@hookimpl
def cherrypy_register_tools(toolbox: Any) -> None:
    """Put the two static tools into ``cherrypy.tools``."""
    toolbox.staticdir = STATICDIR_TOOL
    toolbox.staticfile = STATICFILE_TOOL
