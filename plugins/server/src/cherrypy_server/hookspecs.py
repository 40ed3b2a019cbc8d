"""The hook cherrypy-server adds to the plugin manager (``cherrypy_addhooks``).

Only this distribution calls it, so it lives here rather than in the kernel: the server
plugin registers this module with ``pluginmanager.add_hookspecs`` as it is loaded, and
:func:`cherrypy_server.adapter.make_http_server` calls it through
:func:`cherrypy.plugin.get_plugin_manager`.  Other plugins implement it as usual::

    from cherrypy.plugin import hookimpl

    @hookimpl
    def cherrypy_make_http_server(adapter, wsgi_app):
        return MyServer(adapter.bind_addr, wsgi_app)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cherrypy.plugin import ServerView, hookspec

if TYPE_CHECKING:
    from .adapter import Server

__all__ = ["cherrypy_make_http_server"]


@hookspec(firstresult=True)
def cherrypy_make_http_server(adapter: Server, wsgi_app: Callable[..., Any]) -> ServerView | None:
    """Build the HTTP server that serves ``wsgi_app``.

    Called once when ``cherrypy.server`` (``adapter``, which carries ``bind_addr``,
    ``thread_pool``, ``ssl_*`` and the other ``server.*`` settings) starts.  Return a server
    object with ``start()`` (serve until stopped), ``stop()`` and a ``ready`` flag, or ``None``
    to let another plugin answer.
    """
