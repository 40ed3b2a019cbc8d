"""The pluggy plugin of cherrypy-sessions (entry point ``cherrypy.plugins: sessions``).

It adds ``tools.sessions`` and ``tools.session_auth`` to ``cherrypy.tools``, adds the
``cherrypy_register_session_backends`` hook (:mod:`cherrypy_sessions.hookspecs`) and registers
the ``"ram"`` and ``"file"`` storage types through it, as any other store does.
``CHERRYPY_PLUGIN_API`` states the plugin API range it supports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cherrypy.plugin import KeyDeclarer, Toolbox, hookimpl
from cherrypy_sessions import hookspecs
from cherrypy_sessions.auth import SessionAuthTool, session_auth
from cherrypy_sessions.file import FileSession
from cherrypy_sessions.hookspecs import RegisterSessionBackend
from cherrypy_sessions.ram import RamSession
from cherrypy_sessions.tool import SessionTool

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "SESSIONS_TOOL",
    "SESSION_AUTH_TOOL",
    "cherrypy_addhooks",
    "cherrypy_check_config",
    "cherrypy_config_keys",
    "cherrypy_register_session_backends",
    "cherrypy_register_tools",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""

SESSIONS_TOOL = SessionTool()
"""The ``cherrypy.tools.sessions`` instance."""

SESSION_AUTH_TOOL = SessionAuthTool(session_auth)
"""The ``cherrypy.tools.session_auth`` instance."""


@hookimpl
def cherrypy_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add the ``cherrypy_register_session_backends`` hook specification."""
    hookspecs.add_hookspecs(pluginmanager)


@hookimpl
def cherrypy_check_config(
    path: str, section: Mapping[str, Any], report: Callable[[str, str], None]
) -> None:
    """Before start: the session backend a section names must be registered."""
    from cherrypy_sessions import registry
    from cherrypy_sessions.registry import UnknownBackendError

    for key in ("tools.sessions.storage_type", "tools.sessions.storage_class"):
        name = section.get(key)
        if not name or not isinstance(name, str) or "." in name:
            continue
        try:
            registry.get_backend(name)
        except UnknownBackendError as exc:
            report(key, str(exc))


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add ``sessions`` and ``session_auth`` to the toolbox."""
    toolbox.sessions = SESSIONS_TOOL
    toolbox.session_auth = SESSION_AUTH_TOOL


@hookimpl
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Register the ``ram`` and ``file`` storage types."""
    register("ram", RamSession)
    register("file", FileSession)


_SESSION_DOCS = {
    "storage_type": "The registered backend: 'ram', 'file', 'memcached', 'postgresql'...",
    "path": "The cookie's Path (default: the script name, or path_header's value).",
    "path_header": "A request header whose value is the cookie path.",
    "name": "The session cookie's name.",
    "timeout": "Minutes of inactivity after which a session expires.",
    "domain": "The cookie's Domain.",
    "secure": "Send the cookie over HTTPS only.",
    "clean_freq": "Minutes between two sweeps of expired sessions.",
    "persistent": "Give the cookie an expiry (False: a browser-session cookie).",
    "httponly": "Hide the cookie from JavaScript (HttpOnly).",
    "samesite": "The cookie's SameSite attribute ('Lax', 'Strict', 'None' or None).",
}

_SESSION_EXTRA = {
    "locking": (str, "implicit", "'implicit', 'early' or 'explicit' (acquire_lock() yourself)."),
    "storage_class": ("type | str", None, "A session class to use instead of storage_type."),
    "storage_path": (str, FileSession.storage_path, "The directory of the 'file' backend."),
    "lock_timeout": ("float | None", None, "Seconds to wait for a lock, then 503 (None: forever)."),
    "fsync": (bool, FileSession.fsync, "'file' backend: fsync each saved session file."),
    "pickle_protocol": (int, FileSession.pickle_protocol, "'file' backend: the pickle protocol."),
}

_SESSION_AUTH_DOCS = {
    "session_key": "The session key holding the user name.",
    "check_username_and_password": "(username, password) -> error message or None.",
    "anonymous": "() -> a user name to log in without a form, or None.",
    "on_login": "(username) -> None, called after a login.",
    "on_logout": "(username) -> None, called after a logout.",
    "on_check": "(username) -> None, called on every authenticated request.",
    "login_screen": "(from_page, username, error_msg) -> the login page.",
}


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare ``tools.sessions.*`` and ``tools.session_auth.*``."""
    from cherrypy_sessions.auth import SessionAuth

    checker.declare_tool(
        "sessions",
        SESSIONS_TOOL,
        _SESSION_DOCS,
        extra=_SESSION_EXTRA,
        doc="Sessions (cherrypy.session); backends may take further keys of their own.",
        accepts=_backend_setting,
    )
    checker.declare_tool(
        "session_auth", SESSION_AUTH_TOOL, {}, doc="Form-based login kept in the session."
    )
    checker.declare_attributes(
        "tools.session_auth", SessionAuth, ("debug", *_SESSION_AUTH_DOCS), docs=_SESSION_AUTH_DOCS
    )


def _backend_setting(key: str, section: Mapping[str, Any]) -> bool:
    """Whether ``key`` is an attribute of the session class that ``section`` configures."""
    from cherrypy.plugin import attributes
    from cherrypy_sessions.registry import get_backend

    storage_type = section.get("tools.sessions.storage_type")
    storage_class = section.get("tools.sessions.storage_class")
    if storage_type:
        storage_class = get_backend(storage_type)
    elif isinstance(storage_class, str):
        storage_class = attributes(storage_class) if "." in storage_class else None
    return isinstance(storage_class, type) and hasattr(storage_class, key)
