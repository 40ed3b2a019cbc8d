"""The plugin module named in the ``cherrypy.plugins`` entry point: registers the tool."""

from __future__ import annotations

from typing import Any

import cherrypy
from cherrypy.kernel.hookspecs import hookimpl

from .request_id import request_id

__all__ = ["REQUEST_ID_TOOL", "cherrypy_config_keys", "cherrypy_register_tools"]

REQUEST_ID_TOOL = cherrypy.Tool("on_start_resource", request_id, priority=10)
"""``tools.request_id``: early in ``on_start_resource`` so later hooks can read the id."""


@hookimpl
def cherrypy_register_tools(toolbox: Any) -> None:
    """Add ``request_id`` to ``cherrypy.tools`` when the kernel loads its plugins."""
    toolbox.request_id = REQUEST_ID_TOOL


@hookimpl
def cherrypy_config_keys(checker: Any) -> None:
    """Declare ``tools.request_id.*`` so typos in its keys are reported by the checker."""
    checker.declare_tool(
        "request_id",
        REQUEST_ID_TOOL,
        {
            "header": "The request and response header carrying the id.",
            "trust_incoming": "Reuse an id sent by the client instead of making one.",
            "log": "Add the id to the access log line.",
        },
    )
