"""The pluggy plugin of cherrypy-auth (entry point ``cherrypy.plugins: auth``).

It registers ``tools.auth_basic`` and ``tools.auth_digest``, both at ``before_handler`` with
priority 1 (as CherryPy), so they run before every other tool there and before the handler.
``CHERRYPY_PLUGIN_API`` states the plugin API range it supports.
"""

from __future__ import annotations

from cherrypy.plugin import KeyDeclarer, Tool, Toolbox, hookimpl

from .basic import basic_auth
from .digest import digest_auth

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "auth_basic_tool",
    "auth_digest_tool",
    "cherrypy_config_keys",
    "cherrypy_register_tools",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""

auth_basic_tool = Tool("before_handler", basic_auth, priority=1)
"""The ``cherrypy.tools.auth_basic`` tool."""

auth_digest_tool = Tool("before_handler", digest_auth, priority=1)
"""The ``cherrypy.tools.auth_digest`` tool."""


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``auth_basic`` and ``auth_digest`` to the default toolbox."""
    toolbox.auth_basic = auth_basic_tool
    toolbox.auth_digest = auth_digest_tool


_REALM = "The realm shown by the browser's login dialog."
_CHARSET = "The charset announced for credentials (RFC 7617 / 7616)."


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.auth_basic.*`` and ``tools.auth_digest.*``."""
    checker.declare_tool(
        "auth_basic",
        auth_basic_tool,
        {
            "realm": _REALM,
            "checkpassword": "(realm, username, password) -> True if valid.",
            "accept_charset": _CHARSET,
        },
        doc="HTTP Basic authentication (RFC 7617).",
    )
    checker.declare_tool(
        "auth_digest",
        auth_digest_tool,
        {
            "realm": _REALM,
            "get_ha1": "(realm, username) -> the HA1 hash of the user, or None.",
            "key": "A secret for signing nonces (random per process if not given).",
            "accept_charset": _CHARSET,
            "algorithm": "The digest algorithm(s) offered: 'MD5', 'SHA-256'...",
            "nonce_lifetime": "Seconds a nonce stays valid.",
        },
        doc="HTTP Digest authentication (RFC 7616).",
    )
