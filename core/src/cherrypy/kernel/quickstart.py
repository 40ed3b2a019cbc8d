"""``cherrypy.quickstart()``: mount an app, start the server and the engine, block."""

from __future__ import annotations

from typing import Any

__all__ = ["quickstart"]


def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
    """Mount ``root`` at ``script_name`` with ``config``, start the built-in server and block.

    ``config`` (a dict or a config file name) updates the global config too, as in CherryPy.
    Without a server plugin this fails with a message naming ``cherrypy-server``.
    """
    import cherrypy
    from cherrypy.kernel import compat

    try:
        cherrypy.server  # noqa: B018 - resolves the server plugin
    except (AttributeError, ImportError):
        raise compat.missing_name_error("cherrypy.server") from None
    if config:
        cherrypy.config.update(config)
    cherrypy.tree.mount(root, script_name, config)
    signals = getattr(cherrypy.engine, "signals", None)
    if signals is not None:
        signals.subscribe()
    cherrypy.engine.start()
    cherrypy.engine.block()
