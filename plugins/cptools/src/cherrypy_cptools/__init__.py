"""cherrypy-cptools: CherryPy's small request tools on cherrypy-kernel.

The tools are registered by :mod:`cherrypy_cptools.plugin`; the functions behind them are
importable from here and, CherryPy style, from ``cherrypy.lib.cptools``.
"""

from __future__ import annotations

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
    "proxy",
    "redirect",
    "referer",
    "response_headers",
]
