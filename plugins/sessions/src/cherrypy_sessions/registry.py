"""The session backend registry: ``tools.sessions.storage_type`` name -> session class.

Backends are offered by plugins through the ``cherrypy_register_session_backends`` hook,
which this distribution adds (:mod:`cherrypy_sessions.hookspecs`)::

    from cherrypy.plugin import hookimpl

    @hookimpl
    def cherrypy_register_session_backends(register):
        from cherrypy_sessions_memcached.backend import MemcachedSession

        register("memcached", MemcachedSession)

The first lookup (:func:`get_backend`) loads the plugins and makes that historic call with
:func:`register_backend`; plugins registered later receive it too.  This distribution
registers ``"ram"`` (:class:`~cherrypy_sessions.ram.RamSession`) and ``"file"``
(:class:`~cherrypy_sessions.file.FileSession`) the same way.  See ``docs/sessions.md``.
"""

from __future__ import annotations

import re
import threading
import warnings
from typing import Any

from cherrypy_sessions import hookspecs
from cherrypy_sessions.base import Session

__all__ = [
    "BUILTIN_BACKENDS",
    "KNOWN_DISTRIBUTIONS",
    "UnknownBackendError",
    "available_backends",
    "get_backend",
    "register_backend",
    "reset",
]

_NAME = re.compile(r"[a-z][a-z0-9_]*")

KNOWN_DISTRIBUTIONS: dict[str, str] = {
    "memcached": "cherrypy-sessions-memcached",
    "postgres": "cherrypy-sessions-postgres",
    "postgresql": "cherrypy-sessions-postgres",
}
"""Storage types provided by other distributions of ours, for the "pip install" hint."""

BUILTIN_BACKENDS = ("ram", "file")
"""The storage types this distribution provides."""

_backends: dict[str, type[Session]] = {}
_offered_to: Any = None
_lock = threading.RLock()


class UnknownBackendError(LookupError):
    """``storage_type`` names no registered backend."""


def register_backend(name: str, cls: type[Session]) -> None:
    """Make ``cls`` available as ``tools.sessions.storage_type = name``.

    This is the ``register`` callback given to ``cherrypy_register_session_backends``.
    ``name`` is lower-case letters, digits and ``_`` (case-insensitive in config); ``cls`` must
    subclass :class:`~cherrypy_sessions.base.Session`.  Registering the same class again is a
    no-op; if two plugins claim one name with different classes the first keeps it and a
    warning names both.
    """
    key = str(name).lower()
    if not _NAME.fullmatch(key):
        raise ValueError(f"invalid session backend name {name!r}: use [a-z][a-z0-9_]*")
    if not (isinstance(cls, type) and issubclass(cls, Session)):
        raise TypeError(
            f"session backend {name!r} must be a subclass of cherrypy.lib.sessions.Session, "
            f"not {cls!r}"
        )
    with _lock:
        known = _backends.get(key)
        if known is None:
            _backends[key] = cls
        elif known is not cls:
            warnings.warn(
                f"session backend {key!r} is registered as {known.__module__}."
                f"{known.__qualname__} and again as {cls.__module__}.{cls.__qualname__}; "
                "keeping the first",
                stacklevel=2,
            )


def _offer() -> None:
    """Make the historic registration call once per plugin manager (loading plugins first)."""
    global _offered_to
    from cherrypy.plugin import get_plugin_manager

    manager = get_plugin_manager()
    if _offered_to is manager:
        return
    with _lock:
        if _offered_to is manager:
            return
        _offered_to = manager
        # The sessions plugin added the hook as it loaded; add it here if it did not load
        # (plugin autoload off), so that plugins registered by hand are still offered.
        hookspecs.add_hookspecs(manager)
        caller = getattr(manager.hook, hookspecs.HOOK_NAME)
        caller.call_historic(kwargs={"register": register_backend})


def get_backend(name: str) -> type[Session]:
    """The session class registered as ``name`` (case-insensitive).

    Raises :class:`UnknownBackendError` naming the distribution to install for a storage type
    we know of, and listing the registered names otherwise.
    """
    key = str(name).lower()
    cls = _backends.get(key)
    if cls is not None:
        return cls
    _offer()
    cls = _backends.get(key) or _builtin(key) or _assigned(key)
    if cls is not None:
        return cls
    distribution = KNOWN_DISTRIBUTIONS.get(key)
    if distribution is not None:
        raise UnknownBackendError(
            f"tools.sessions.storage_type {name!r} is provided by {distribution}: "
            f"pip install {distribution}"
        )
    names = ", ".join(sorted(available_backends())) or "none"
    raise UnknownBackendError(
        f"no session backend is registered as {name!r} (tools.sessions.storage_type); "
        f"registered: {names}"
    )


def _assigned(key: str) -> type[Session] | None:
    """A class an application put on ``cherrypy.lib.sessions`` CherryPy's way.

    CherryPy looks ``storage_type = "redis"`` up as ``cherrypy.lib.sessions.RedisSession``, so
    extensions such as cherrys are installed by assigning that name; it is honoured here.
    """
    import cherrypy_sessions  # ``cherrypy.lib.sessions`` is this package

    cls = vars(cherrypy_sessions).get(key.title() + "Session")
    return cls if isinstance(cls, type) and issubclass(cls, Session) else None


def _builtin(key: str) -> type[Session] | None:
    """Our own backends, even when plugin loading is switched off."""
    if key == "ram":
        from cherrypy_sessions.ram import RamSession

        return RamSession
    if key == "file":
        from cherrypy_sessions.file import FileSession

        return FileSession
    return None


def available_backends() -> dict[str, type[Session]]:
    """Every registered storage type and its class (loads plugins first)."""
    _offer()
    found = {name: cls for name in BUILTIN_BACKENDS if (cls := _builtin(name)) is not None}
    found.update(_backends)
    return found


def reset() -> None:
    """Forget the registered backends, so the next lookup asks the plugins again (tests)."""
    global _offered_to
    with _lock:
        _backends.clear()
        _offered_to = None
