"""CherryPy's names: cherrypy.lib.sessions, cherrypy.tools.sessions, cherrypy.session."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

import cherrypy
import cherrypy_sessions
from cherrypy_sessions.auth import SessionAuthTool
from cherrypy_sessions.tool import SessionTool


def test_lib_sessions_is_this_distribution() -> None:
    import cherrypy.lib.sessions as sessions

    assert sessions is cherrypy_sessions
    assert cherrypy.lib.sessions is cherrypy_sessions
    from cherrypy.lib.sessions import (  # noqa: F401
        FileSession,
        RamSession,
        Session,
        close,
        expire,
        init,
        save,
        set_response_cookie,
    )

    assert issubclass(RamSession, Session) and issubclass(FileSession, Session)


def test_memcached_session_names_its_distribution() -> None:
    if importlib.util.find_spec("cherrypy_sessions_memcached") is not None:
        # Installed (the whole workspace): the name resolves to its session class.
        assert issubclass(cherrypy.lib.sessions.MemcachedSession, cherrypy.lib.sessions.Session)
    else:
        with pytest.raises(AttributeError, match="cherrypy-sessions-memcached"):
            cherrypy.lib.sessions.MemcachedSession  # noqa: B018
    with pytest.raises(AttributeError):
        cherrypy.lib.sessions.NoSuchThing  # noqa: B018


def test_tools_are_registered() -> None:
    assert isinstance(cherrypy.tools.sessions, SessionTool)
    assert isinstance(cherrypy.tools.session_auth, SessionAuthTool)
    assert cherrypy.tools.sessions._name == "sessions"
    assert callable(cherrypy.tools.sessions.regenerate)


def test_compat_entry_points_resolve() -> None:
    from cherrypy.kernel import compat

    table = compat.compat_table()
    for alias in (
        "cherrypy.lib.sessions",
        "cherrypy.tools.sessions",
        "cherrypy.tools.session_auth",
    ):
        assert table[alias].distribution == "cherrypy-sessions"
        assert table[alias].load() is not None
    assert compat.resolve("cherrypy.tools.sessions") is cherrypy.tools.sessions


def test_plugin_module_is_importable_without_side_effects() -> None:
    module = importlib.import_module("cherrypy_sessions.plugin")
    assert module.SESSIONS_TOOL is cherrypy.tools.sessions
