"""The pluggy plugin of cherrypy-auth (entry point ``cherrypy.plugins: auth``).

It registers ``tools.auth_basic`` and ``tools.auth_digest``, both at ``before_handler`` with
priority 1 (as CherryPy), so they run before every other tool there and before the handler.
"""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.hookspecs import hookimpl
from cherrypy.kernel.tools import Tool

from .basic import basic_auth
from .digest import digest_auth

__all__ = ["auth_basic_tool", "auth_digest_tool", "cherrypy_register_tools"]

auth_basic_tool = Tool("before_handler", basic_auth, priority=1)
"""The ``cherrypy.tools.auth_basic`` tool."""

auth_digest_tool = Tool("before_handler", digest_auth, priority=1)
"""The ``cherrypy.tools.auth_digest`` tool."""


@hookimpl
def cherrypy_register_tools(toolbox: Any) -> None:
    """Add ``auth_basic`` and ``auth_digest`` to the default toolbox."""
    toolbox.auth_basic = auth_basic_tool
    toolbox.auth_digest = auth_digest_tool
