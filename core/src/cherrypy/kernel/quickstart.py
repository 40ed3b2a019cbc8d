"""``cherrypy.quickstart()``: mount an app, start the server and the engine, block."""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.runtime import get_server, site

__all__ = ["quickstart"]


def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
    """Mount ``root`` at ``script_name`` with ``config``, start the built-in server and block.

    ``config`` (a dict or a config file name) updates the global config too, as in CherryPy.
    Without a server plugin this fails with a message naming ``cherrypy-server``.
    """
    from cherrypy.kernel import compat

    try:
        get_server()
    except (AttributeError, ImportError):
        raise compat.missing_name_error("cherrypy.server") from None
    if config:
        site.config.update(config)
    site.tree.mount(root, script_name, config)
    signals = getattr(site.engine, "signals", None)
    if signals is not None:
        signals.subscribe()
    site.engine.start()
    site.engine.block()
