"""The plugin module named in the ``cherrypy.plugins`` entry point: registers the tool."""

from __future__ import annotations

from typing import Any

import cherrypy
from cherrypy.kernel.hookspecs import hookimpl

from .request_id import request_id

__all__ = ["REQUEST_ID_TOOL", "cherrypy_register_tools"]

REQUEST_ID_TOOL = cherrypy.Tool("on_start_resource", request_id, priority=10)
"""``tools.request_id``: early in ``on_start_resource`` so later hooks can read the id."""


@hookimpl
def cherrypy_register_tools(toolbox: Any) -> None:
    """Add ``request_id`` to ``cherrypy.tools`` when the kernel loads its plugins."""
    toolbox.request_id = REQUEST_ID_TOOL
