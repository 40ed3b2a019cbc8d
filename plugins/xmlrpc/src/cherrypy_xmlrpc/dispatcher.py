"""``XMLRPCDispatcher``: strip the optional ``/RPC2`` prefix, then dispatch as usual.

XML-RPC clients often post to ``/RPC2``; with this dispatcher ``/RPC2/api/`` reaches the
controller mounted at ``/api``::

    conf = {"/": {"request.dispatch": cherrypy.dispatch.XMLRPCDispatcher()}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cherrypy.plugin import Dispatcher

from .util import patched_path

__all__ = ["XMLRPCDispatcher"]


def XMLRPCDispatcher(next_dispatcher: Callable[[str], Any] | None = None) -> Callable[[str], Any]:
    """Return a dispatcher that patches the path (:func:`~.util.patched_path`) and then
    hands it to ``next_dispatcher`` (the default object-tree dispatcher if omitted)."""
    following = Dispatcher() if next_dispatcher is None else next_dispatcher

    def xmlrpc_dispatch(path_info: str) -> Any:
        return following(patched_path(path_info))

    xmlrpc_dispatch.next_dispatcher = following  # type: ignore[attr-defined]
    return xmlrpc_dispatch
