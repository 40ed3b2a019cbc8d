"""The pluggy plugin of cherrypy-json (entry point ``cherrypy.plugins: json``).

It registers ``tools.json_in`` (``before_request_body``, priority 30) and ``tools.json_out``
(``before_handler``, priority 30), adds the ``cherrypy_json_codec`` hook
(:mod:`cherrypy_json.hookspecs`) and offers the ujson codec through it as a last resort, so
that any other plugin's codec wins over it.  ``CHERRYPY_PLUGIN_API`` states the plugin API
range it supports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypy.plugin import KeyDeclarer, Tool, Toolbox, hookimpl

from . import hookspecs
from .codec import Codec, ujson_codec
from .json_in import json_in
from .json_out import json_out

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "cherrypy_addhooks",
    "cherrypy_config_keys",
    "cherrypy_json_codec",
    "cherrypy_register_tools",
    "json_in_tool",
    "json_out_tool",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""

json_in_tool = Tool("before_request_body", json_in, priority=30)
"""The ``cherrypy.tools.json_in`` tool."""

json_out_tool = Tool("before_handler", json_out, priority=30)
"""The ``cherrypy.tools.json_out`` tool."""


@hookimpl
def cherrypy_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add the ``cherrypy_json_codec`` hook specification."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``json_in`` and ``json_out`` to the default toolbox."""
    toolbox.json_in = json_in_tool
    toolbox.json_out = json_out_tool


@hookimpl(trylast=True)
def cherrypy_json_codec() -> Codec | None:
    """The ujson codec (None when ujson is missing: the standard library is used)."""
    return ujson_codec()


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.json_in.*`` and ``tools.json_out.*``."""
    checker.declare_tool(
        "json_in",
        json_in_tool,
        {
            "content_type": "Media type(s) accepted as JSON.",
            "force": "Answer 415 to bodies of another media type.",
            "processor": "The function that parses the body into request.json.",
            "max_bytes": "The largest body parsed (413 beyond; None: no limit).",
            "max_depth": "The deepest nesting accepted (400 beyond; None: no limit).",
        },
        doc="Parse JSON request bodies into cherrypy.request.json.",
    )
    checker.declare_tool(
        "json_out",
        json_out_tool,
        {
            "content_type": "The Content-Type of the response (None: leave it).",
            "handler": "The function that turns the handler's result into JSON bytes.",
        },
        doc="Serialize what the page handler returns as JSON.",
    )
