"""``cherrypy.lib.cptools``: CherryPy's tool functions under their CherryPy name.

Compatibility module.  The functions live in this distribution's modules, in the kernel
(``log_traceback``, ``log_request_headers``, ``trailing_slash``: the callables of its default
tools ``cherrypy.tools.log_tracebacks``, ``log_headers`` and ``trailing_slash``, as in
CherryPy), in cherrypy-caching (``validate_etags``, ``validate_since``) and in cherrypy-sessions
(``session_auth``, ``SessionAuth``); all of these resolve on first use, and the last two groups
name their distribution when it is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import cherrypy

from .bodies import flatten
from .debugging import log_hooks
from .headers import ignore_headers, referer, response_headers
from .negotiation import MonitoredHeaderMap, accept, allow, autovary
from .params import convert_params
from .proxy import proxy
from .redirects import redirect

__all__ = [
    "MonitoredHeaderMap",
    "accept",
    "allow",
    "autovary",
    "convert_params",
    "flatten",
    "ignore_headers",
    "log_hooks",
    "log_request_headers",
    "log_traceback",
    "proxy",
    "redirect",
    "referer",
    "response_headers",
    "trailing_slash",
]

# Declared for type checkers; the values come from ``__getattr__`` on first use.
log_request_headers: Callable[..., None]
log_traceback: Callable[..., None]
trailing_slash: Callable[..., None]

# The kernel's default tools: CherryPy's name here -> the tool in ``cherrypy.tools``.
_KERNEL_TOOLS = {
    "log_request_headers": "log_headers",
    "log_traceback": "log_tracebacks",
    "trailing_slash": "trailing_slash",
}

# Not in __all__: ``import *`` must work without the distributions that provide these.
_ELSEWHERE = {
    "validate_etags": ("cherrypy_caching.conditional", "cherrypy-caching"),
    "validate_since": ("cherrypy_caching.conditional", "cherrypy-caching"),
    "session_auth": ("cherrypy_sessions.auth", "cherrypy-sessions"),
    "SessionAuth": ("cherrypy_sessions.auth", "cherrypy-sessions"),
}


def __getattr__(name: str) -> Any:
    """Resolve the kernel's tool callables and the names other distributions provide."""
    tool_name = _KERNEL_TOOLS.get(name)
    if tool_name is not None:
        value = getattr(cherrypy.tools, tool_name).callable
        globals()[name] = value
        return value
    found = _ELSEWHERE.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, distribution = found
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise AttributeError(
            f"cherrypy.lib.cptools.{name} is provided by {distribution}: pip install {distribution}"
        ) from None
    value = getattr(module, name)
    globals()[name] = value
    return value
