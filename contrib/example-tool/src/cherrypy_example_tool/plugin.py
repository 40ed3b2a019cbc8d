"""The plugin module named in the ``cherrypy.plugins`` entry point: registers the tool.

A plugin imports only ``cherrypy`` (the facade) and ``cherrypy.plugin`` (the plugin API); the
kernel's own modules are private and may change in any release.  ``CHERRYPY_PLUGIN_API``
states which versions of that API this distribution was written for.
"""

from __future__ import annotations

from cherrypy.plugin import KeyDeclarer, Tool, Toolbox, hookimpl

from .request_id import request_id

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "REQUEST_ID_TOOL",
    "cherrypy_config_keys",
    "cherrypy_register_tools",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The range of the plugin API (``cherrypy.plugin.PLUGIN_API_VERSION``) this plugin supports."""

REQUEST_ID_TOOL = Tool("on_start_resource", request_id, priority=10)
"""``tools.request_id``: early in ``on_start_resource`` so later hooks can read the id."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``request_id`` to ``cherrypy.tools`` when the kernel loads its plugins."""
    toolbox.request_id = REQUEST_ID_TOOL


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.request_id.*`` so typos in its keys are reported by the checker."""
    checker.declare_tool(
        "request_id",
        REQUEST_ID_TOOL,
        {
            "header": "The request and response header carrying the id.",
            "trust_incoming": "Reuse a well-formed id sent by the client instead of making one.",
            "log": "Write the method, path and id to the error log.",
        },
    )
