"""cherrypy-sessions: sessions for cherrypy-kernel; also ``cherrypy.lib.sessions``.

Switch sessions on in config (``tools.sessions.on = True``) and use ``cherrypy.session`` as
a dict in page handlers.  This module is what ``cherrypy.lib.sessions`` resolves to: the
:class:`Session` base class and the :class:`RamSession` and :class:`FileSession` backends (for
subclassing), and CherryPy's functions :func:`init`, :func:`save`, :func:`close`,
:func:`expire` and :func:`set_response_cookie`.  Other backends register a storage type
through the ``cherrypy_register_session_backends`` hook (:mod:`cherrypy_sessions.registry`);
names they provide here (``MemcachedSession``) resolve through the compat table.
"""

from __future__ import annotations

from typing import Any

from cherrypy_sessions.base import Session, missing
from cherrypy_sessions.cookies import expire, set_response_cookie
from cherrypy_sessions.file import FileSession, StoragePathError
from cherrypy_sessions.locks import LockTimeout
from cherrypy_sessions.ram import RamSession
from cherrypy_sessions.registry import UnknownBackendError, get_backend, register_backend
from cherrypy_sessions.tool import close, init, save

__version__ = "0.1.0"

__all__ = [
    "FileSession",
    "LockTimeout",
    "RamSession",
    "Session",
    "StoragePathError",
    "UnknownBackendError",
    "__version__",
    "close",
    "expire",
    "get_backend",
    "init",
    "missing",
    "register_backend",
    "save",
    "set_response_cookie",
]


def __getattr__(name: str) -> Any:
    """Names other distributions provide here (``MemcachedSession``), via the compat table."""
    from cherrypy.plugin import missing_name

    return missing_name("cherrypy.lib.sessions", name)
