"""cherrypy-xmlrpc: XML-RPC endpoints for cherrypy-kernel.

:class:`XMLRPCController` answers calls, :func:`XMLRPCDispatcher` strips the ``/RPC2``
prefix, ``tools.xmlrpc`` turns errors into faults; :mod:`cherrypy_xmlrpc.util` is
``cherrypy.lib.xmlrpcutil``.
"""

from __future__ import annotations

from .controller import XMLRPCController
from .dispatcher import XMLRPCDispatcher
from .plugin import XMLRPC_TOOL, XMLRPCTool

__all__ = ["XMLRPC_TOOL", "XMLRPCController", "XMLRPCDispatcher", "XMLRPCTool"]
