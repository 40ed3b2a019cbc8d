"""``cherrypy.process``: the engine's compatibility namespace.

``cherrypy.process.wspbus`` is the kernel's bus; ``cherrypy.process.plugins`` holds the generic
engine plugins, with the process-management ones (signals, autoreload, daemon tools) provided
by ``cherrypy-process``; ``cherrypy.process.servers`` comes with ``cherrypy-server``.
"""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.compat import module_getattr
from cherrypy.kernel.runtime import site

__all__ = ["bus"]


def __getattr__(name: str) -> Any:
    if name == "bus":
        return site.engine
    return module_getattr(__name__, name)
