"""The pluggy plugin of cherrypy-process (entry point ``cherrypy.plugins: process``).

On engine setup it fills ``engine.signal_handler`` and ``engine.autoreload`` and subscribes the
autoreloader, as CherryPy does when it is imported.  Signal handlers are only installed by
``engine.signals.subscribe()`` (``quickstart`` and ``cherryd`` call it); the autoreloader's
thread only starts with the engine, and ``engine.autoreload.on = False`` (set by the
production, staging, embedded and test_suite environments) unsubscribes it.
"""

from __future__ import annotations

from typing import Any

from cherrypy.plugin import KeyDeclarer, hookimpl

__all__ = ["CHERRYPY_PLUGIN_API", "cherrypy_config_keys", "cherrypy_engine_setup"]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The range of the plugin API (``cherrypy.plugin``) this distribution supports."""


@hookimpl
def cherrypy_engine_setup(engine: Any) -> None:
    """Attach the signal handler and the autoreloader to ``engine`` unless it has its own."""
    from .autoreload import Autoreloader
    from .signals import SignalHandler

    if getattr(engine, "signal_handler", None) is None:
        engine.signal_handler = SignalHandler(engine)
    if getattr(engine, "autoreload", None) is None:
        engine.autoreload = Autoreloader(engine)
        engine.autoreload.subscribe()


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``engine.autoreload.*``."""
    from .autoreload import Autoreloader

    checker.declare_namespace(
        "engine.autoreload",
        "The autoreloader: restarts the process when a source or config file changes.",
        scope="global",
    )
    checker.declare_key(
        "engine.autoreload", "on", bool, True, "Watch files (production and staging turn it off)."
    )
    checker.declare_attributes("engine.autoreload", Autoreloader, ("frequency", "match", "files"))
