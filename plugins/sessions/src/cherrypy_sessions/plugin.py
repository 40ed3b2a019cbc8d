"""The pluggy plugin of cherrypy-sessions (entry point ``cherrypy.plugins: sessions``).

It adds ``tools.sessions`` and ``tools.session_auth`` to ``cherrypy.tools`` and registers the
``"ram"`` and ``"file"`` storage types, through the same hooks any other plugin uses.
"""

from __future__ import annotations

from typing import Any

from cherrypy.kernel.hookspecs import RegisterSessionBackend, hookimpl
from cherrypy_sessions.auth import SessionAuthTool, session_auth
from cherrypy_sessions.file import FileSession
from cherrypy_sessions.ram import RamSession
from cherrypy_sessions.tool import SessionTool

__all__ = [
    "SESSIONS_TOOL",
    "SESSION_AUTH_TOOL",
    "cherrypy_register_session_backends",
    "cherrypy_register_tools",
]

SESSIONS_TOOL = SessionTool()
"""The ``cherrypy.tools.sessions`` instance."""

SESSION_AUTH_TOOL = SessionAuthTool(session_auth)
"""The ``cherrypy.tools.session_auth`` instance."""


@hookimpl
def cherrypy_register_tools(toolbox: Any) -> None:
    """Add ``sessions`` and ``session_auth`` to the toolbox."""
    toolbox.sessions = SESSIONS_TOOL
    toolbox.session_auth = SESSION_AUTH_TOOL


@hookimpl
def cherrypy_register_session_backends(register: RegisterSessionBackend) -> None:
    """Register the ``ram`` and ``file`` storage types."""
    register("ram", RamSession)
    register("file", FileSession)
