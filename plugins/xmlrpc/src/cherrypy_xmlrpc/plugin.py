"""The pluggy plugin of cherrypy-xmlrpc (entry point ``cherrypy.plugins: xmlrpc``).

Registers ``tools.xmlrpc`` and the ``XMLRPCDispatcher``.  ``CHERRYPY_PLUGIN_API`` states the
plugin API range it supports.
"""

from __future__ import annotations

from cherrypy.plugin import UNSET, ErrorTool, KeyDeclarer, RegisterDispatcher, Toolbox, hookimpl

from . import util
from .dispatcher import XMLRPCDispatcher

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "XMLRPC_TOOL",
    "XMLRPCTool",
    "cherrypy_config_keys",
    "cherrypy_register_dispatchers",
    "cherrypy_register_tools",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""


class XMLRPCTool(ErrorTool):
    """``tools.xmlrpc``: errors on its paths are answered as XML-RPC faults (HTTP 200).

    As in CherryPy 18, setting it up replaces ``request.error_response`` with
    :func:`~cherrypy_xmlrpc.util.on_error`; its other settings (``encoding``,
    ``allow_none``, ``max_body``) are read by :class:`~cherrypy_xmlrpc.controller.XMLRPCController`.
    """

    def __init__(self) -> None:
        super().__init__(util.on_error, "xmlrpc")


XMLRPC_TOOL = XMLRPCTool()
"""The tool instance registered as ``cherrypy.tools.xmlrpc``."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``tools.xmlrpc``."""
    toolbox.xmlrpc = XMLRPC_TOOL


@hookimpl
def cherrypy_register_dispatchers(register: RegisterDispatcher) -> None:
    """Offer ``XMLRPCDispatcher`` (``cherrypy.dispatch.XMLRPCDispatcher``)."""
    register("XMLRPCDispatcher", XMLRPCDispatcher)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.xmlrpc.*`` (read by ``XMLRPCController``) and the dispatcher."""
    checker.declare_tool(
        "xmlrpc",
        XMLRPC_TOOL,
        {},
        open=False,
        doc="Answer errors as XML-RPC faults; settings of XMLRPCController.",
        extra={
            "encoding": (str, "utf-8", "The charset of XML-RPC responses."),
            "allow_none": (bool, False, "Let responses marshal None (an XML-RPC extension)."),
            "max_body": (int, util.MAX_BODY_SIZE, "Bytes of request body accepted (413 beyond)."),
        },
    )
    checker.declare_key(
        "request",
        "dispatch",
        "XMLRPCDispatcher",
        UNSET,
        "cherrypy.dispatch.XMLRPCDispatcher() maps XML-RPC method names to handlers.",
    )
