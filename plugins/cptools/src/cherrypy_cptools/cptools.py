"""``cherrypy.lib.cptools``: CherryPy's tool functions under their CherryPy name.

Compatibility module.  The functions live in this distribution's modules, in the kernel
(``log_traceback``, ``log_request_headers``, ``trailing_slash``), in cherrypy-caching
(``validate_etags``, ``validate_since``) and in cherrypy-sessions (``session_auth``,
``SessionAuth``); the last two groups resolve on first use and name their distribution when
it is missing.
"""

from __future__ import annotations

import importlib
from typing import Any

from cherrypy.kernel.builtin_tools import log_request_headers, log_traceback, trailing_slash

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

# Not in __all__: ``import *`` must work without the distributions that provide these.
_ELSEWHERE = {
    "validate_etags": ("cherrypy_caching.conditional", "cherrypy-caching"),
    "validate_since": ("cherrypy_caching.conditional", "cherrypy-caching"),
    "session_auth": ("cherrypy_sessions.auth", "cherrypy-sessions"),
    "SessionAuth": ("cherrypy_sessions.auth", "cherrypy-sessions"),
}


def __getattr__(name: str) -> Any:
    """Resolve the names other distributions provide, on first use."""
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
