"""``XMLRPCController`` (``cherrypy._cptools.XMLRPCController``): a base class for XML-RPC
endpoints.

XML-RPC needs two dispatch steps.  The URL selects the controller (through the normal object
tree); the method name in the request body then selects the exposed method on it, dotted
names descending into attributes (``math.add`` calls ``controller.math.add``).  Parameters
come from the body; the return value becomes the method response, and any error becomes a
fault with HTTP ``200 OK``, as the XML-RPC specification asks::

    class Api(XMLRPCController):
        @cherrypy.expose
        def add(self, a, b):
            return a + b

    cherrypy.tree.mount(Api(), "/rpc")

Subclassing switches ``tools.xmlrpc`` on; ``tools.xmlrpc.encoding`` and
``tools.xmlrpc.allow_none`` tune the response.
"""

from __future__ import annotations

from typing import Any

from cherrypy.plugin import expose, serving

from . import util

__all__ = ["XMLRPCController"]


def _find_method(root: Any, name: str) -> tuple[Any, str]:
    """Follow dotted ``name`` from ``root``; return (callable or None, the last segment)."""
    target = root
    segment = name
    for segment in name.split("."):
        # Private names are never RPC methods: do not even look them up.
        if target is None or not segment or segment.startswith("_"):
            target = None
            continue
        target = getattr(target, segment, None)
    if target is not None and getattr(target, "exposed", False):
        return target, segment
    return None, segment


class XMLRPCController:
    """Page-handler collection answering XML-RPC calls (see the module docstring)."""

    _cp_config: dict[str, Any] = {"tools.xmlrpc.on": True}

    @expose
    def default(self, *vpath: Any, **params: Any) -> Any:
        """Read the call from the body, run the exposed method, answer with its result."""
        rpcparams, rpcmethod = util.process_body()
        method, last = _find_method(self, str(rpcmethod))
        if method is None:
            raise Exception(f'method "{last}" is not supported')
        result = method(*(vpath + tuple(rpcparams)), **params)
        conf = serving.request.toolmaps.get("tools", {}).get("xmlrpc", {})
        util.respond(result, conf.get("encoding", "utf-8"), conf.get("allow_none", 0))
        return serving.response.body
