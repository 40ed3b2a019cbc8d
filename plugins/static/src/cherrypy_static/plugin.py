"""The pluggy plugin of cherrypy-static (entry point ``cherrypy.plugins: static``).

It registers ``tools.staticdir`` and ``tools.staticfile``, two handler tools: switched on for
a path they answer the request themselves when a file matches (the page handler is then
skipped), and ``.handler(...)`` turns either into a page handler of its own::

    class Root:
        nav = cherrypy.tools.staticdir.handler(section="/nav", dir="/srv/site/nav")

``CHERRYPY_PLUGIN_API`` states the plugin API range it supports.
"""

from __future__ import annotations

from cherrypy.plugin import HandlerTool, KeyDeclarer, Toolbox, hookimpl

from .serving import staticdir, staticfile

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "STATICDIR_TOOL",
    "STATICFILE_TOOL",
    "cherrypy_config_keys",
    "cherrypy_register_tools",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""

STATICDIR_TOOL = HandlerTool(staticdir, "staticdir")
"""``cherrypy.tools.staticdir``: serve a directory (see :func:`~.serving.staticdir`)."""

STATICFILE_TOOL = HandlerTool(staticfile, "staticfile")
"""``cherrypy.tools.staticfile``: serve one file (see :func:`~.serving.staticfile`)."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Put the two static tools into ``cherrypy.tools``."""
    toolbox.staticdir = STATICDIR_TOOL
    toolbox.staticfile = STATICFILE_TOOL


_MATCH = "A regular expression the request path must contain."
_TYPES = "Media types by file extension (without dot), besides the built-in table."


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.staticdir.*`` and ``tools.staticfile.*``."""
    checker.declare_tool(
        "staticdir",
        STATICDIR_TOOL,
        {
            "section": "The config path the tool is on for (filled in by the dispatcher).",
            "dir": "The directory to serve: absolute, or relative to root.",
            "root": "The absolute directory a relative dir is joined to.",
            "match": _MATCH,
            "content_types": _TYPES,
            "index": "The file served for a directory (e.g. 'index.html').",
            "follow_symlinks": "Serve symbolic links leading out of dir.",
        },
        doc="Serve the files of a directory.",
    )
    checker.declare_tool(
        "staticfile",
        STATICFILE_TOOL,
        {
            "filename": "The file to serve: absolute, or relative to root.",
            "root": "The absolute directory a relative filename is joined to.",
            "match": _MATCH,
            "content_types": _TYPES,
        },
        doc="Serve one file.",
    )
