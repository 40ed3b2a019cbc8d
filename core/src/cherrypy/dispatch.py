"""``cherrypy.dispatch``: the dispatchers.

The default object-tree :class:`Dispatcher` is the kernel's; ``MethodDispatcher``,
``VirtualHost``, ``RoutesDispatcher`` and ``XMLRPCDispatcher`` come from plugin distributions
and resolve through the ``cherrypy.compat`` table (or name the distribution to install).
"""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.compat import module_getattr
from cherrypy.kernel.dispatch import (
    Dispatcher,
    LateParamPageHandler,
    PageHandler,
    punctuation_to_underscores,
    test_callable_spec,
)

__all__ = [
    "Dispatcher",
    "LateParamPageHandler",
    "PageHandler",
    "punctuation_to_underscores",
    "test_callable_spec",
]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from cherrypy.kernel.boot import dispatchers

    if name in dispatchers:
        return dispatchers[name]
    return module_getattr(__name__, name)
