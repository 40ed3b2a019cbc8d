"""The hook cherrypy-json adds to the plugin manager (``cherrypy_addhooks``).

Only this distribution calls it, so it lives here rather than in the kernel: the ``json``
plugin registers this module with ``pluginmanager.add_hookspecs`` as it is loaded, and
:func:`cherrypy_json.codec.get_codec` calls it once through
:func:`cherrypy.plugin.get_plugin_manager`.  Other plugins implement it as usual::

    import orjson
    from cherrypy.plugin import hookimpl

    @hookimpl
    def cherrypy_json_codec():
        return (lambda value: orjson.dumps(value).decode()), orjson.loads
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cherrypy.plugin import hookspec

__all__ = ["JsonCodec", "cherrypy_json_codec"]

JsonCodec = tuple[Callable[[Any], str], Callable[[str | bytes], Any]]
"""A ``(dumps, loads)`` pair: ``dumps(obj) -> str`` and ``loads(text_or_bytes) -> obj``."""


@hookspec(firstresult=True)
def cherrypy_json_codec() -> JsonCodec | None:
    """Provide the JSON codec used by ``tools.json_in`` and ``tools.json_out``.

    Called once, the first time JSON is needed.  Return a ``(dumps, loads)`` pair where
    ``dumps(obj)`` returns ``str`` and ``loads(text_or_bytes)`` returns the object, or ``None``
    for the standard library's :mod:`json`.
    """
