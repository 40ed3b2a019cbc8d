"""The hook cherrypy-sessions adds to the plugin manager (``cherrypy_addhooks``).

Only this distribution calls it, so it lives here rather than in the kernel: the ``sessions``
plugin adds this module's specification (:func:`add_hookspecs`) as it is loaded, and
:mod:`cherrypy_sessions.registry` makes the historic call once per plugin manager, on the
first backend lookup.  Session stores (cherrypy-sessions-memcached, ...) implement it::

    from cherrypy.plugin import hookimpl

    @hookimpl
    def cherrypy_register_session_backends(register):
        from cherrypy_sessions_memcached.backend import MemcachedSession

        register("memcached", MemcachedSession)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from cherrypy.plugin import hookspec

if TYPE_CHECKING:
    import pluggy

    from cherrypy_sessions.base import Session

__all__ = [
    "HOOK_NAME",
    "RegisterSessionBackend",
    "add_hookspecs",
    "cherrypy_register_session_backends",
]

HOOK_NAME = "cherrypy_register_session_backends"
"""The name of the hook specified here."""

RegisterSessionBackend = Callable[[str, "type[Session]"], None]
"""``register(name, cls)``: makes a session class available as ``tools.sessions.storage_type``."""


@hookspec(historic=True)
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Make session storage classes available by name.

    Called once with a ``register(name, cls)`` callback; ``name`` is what users write in
    ``tools.sessions.storage_type`` (``"ram"``, ``"file"``, ...) and ``cls`` a subclass of
    ``cherrypy.lib.sessions.Session``.  The return value is ignored.
    """


def add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add this module's hook specification to ``pluginmanager`` unless it already has it."""
    caller = getattr(pluginmanager.hook, HOOK_NAME, None)
    if caller is None or not caller.has_spec():
        pluginmanager.add_hookspecs(sys.modules[__name__])
