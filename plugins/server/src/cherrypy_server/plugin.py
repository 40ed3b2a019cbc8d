"""The pluggy plugin of cherrypy-server (entry point ``cherrypy.plugins: server``).

It subscribes ``cherrypy.server`` to the engine, registers the ``server`` config namespace,
adds the ``cherrypy_make_http_server`` hook (:mod:`cherrypy_server.hookspecs`) and answers it
with :class:`~cherrypy_server.wsgi_server.CPWSGIServer`.  Another plugin may answer that hook
first to replace the server.  ``CHERRYPY_PLUGIN_API`` states the plugin API range it supports.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from cherrypy.plugin import BusView, KeyDeclarer, hookimpl

from . import hookspecs

if TYPE_CHECKING:
    import pluggy

    from .adapter import Server
    from .wsgi_server import CPWSGIServer

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "cherrypy_addhooks",
    "cherrypy_config_keys",
    "cherrypy_config_namespaces",
    "cherrypy_engine_setup",
    "cherrypy_make_http_server",
    "hookimpl",
]

CHERRYPY_PLUGIN_API = ">=1.3,<2"  # 1.3: the listening sockets a reload hands over
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""


@hookimpl
def cherrypy_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add the ``cherrypy_make_http_server`` hook specification."""
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl(trylast=True)
def cherrypy_engine_setup(engine: BusView) -> None:
    """Subscribe ``cherrypy.server`` to ``engine`` unless it already is.

    Runs after the other plugins' engine setup: when none of them (cherrypy-process) gave the
    engine a ``signal_handler``, a :class:`~cherrypy_server.signals.StopSignalHandler` fills
    the slot, so that SIGTERM stops the server cleanly once ``engine.signals.subscribe()`` is
    called (``quickstart`` and ``python -m cherrypy serve`` call it).
    """
    from .adapter import server

    if server._bus is None:
        server.bus = engine
    listeners = getattr(server.bus, "listeners", {}).get("start", ())
    if server.start not in listeners:
        server.subscribe()
    if getattr(engine, "signal_handler", None) is None:
        from .signals import StopSignalHandler

        bus: Any = engine
        bus.signal_handler = StopSignalHandler(engine)


@hookimpl
def cherrypy_config_namespaces(namespaces: MutableMapping[str, Any], scope: str) -> None:
    """Register the ``server`` namespace in global config."""
    if scope == "global":
        from .adapter import server_namespace_handler

        namespaces["server"] = server_namespace_handler


@hookimpl
def cherrypy_make_http_server(adapter: Server, wsgi_app: Callable[..., Any]) -> CPWSGIServer:
    """Build this distribution's HTTP server for ``adapter``, serving ``wsgi_app``."""
    from .wsgi_server import CPWSGIServer

    return CPWSGIServer(adapter, wsgi_app)


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare the ``server`` namespace: one key per setting of the ``Server`` adapter."""
    from .adapter import Server

    checker.declare_namespace(
        "server",
        "The HTTP server, cherrypy.server (server.<name>.<key> configures another server).",
        scope="global",
        instances=True,
    )
    names = [name for name, value in vars(Server).items() if _is_setting(name, value)]
    checker.declare_attributes("server", Server, names, defaults={"socket_host": "127.0.0.1"})


def _is_setting(name: str, value: Any) -> bool:
    """Whether a ``Server`` class attribute is a ``server.*`` setting (public, not a method)."""
    return not name.startswith("_") and (isinstance(value, property) or not callable(value))
