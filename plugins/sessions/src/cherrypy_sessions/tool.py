"""``tools.sessions``: the session tool and its request hooks.

When the tool is on for a path, the kernel's pipeline compiler calls
:meth:`SessionTool.compile` once for that path's config.  It turns the ``tools.sessions.*``
settings into a :class:`SessionSettings` (backend class resolved, backend ``setup()`` run,
cookie attributes prepared) and attaches four plain callables:

========================  ============================  ==================================
hook point                callable                      does
========================  ============================  ==================================
before_request_body (50)  :func:`start_session`         session object for the cookie's id
before_handler (50)       :func:`lock_session`          lock (``locking = "implicit"``)
before_request_body (60)  :func:`lock_session`          lock (``locking = "early"``)
before_finalize (50)      :func:`save`                  save if loaded (at the end if streaming)
on_end_request (90)       :func:`close`                 release a lock still held
========================  ============================  ==================================

With ``locking = "explicit"`` the application calls ``cherrypy.session.acquire_lock()``
itself.  :func:`init` is CherryPy's public entry point (``cherrypy.lib.sessions.init``) and
does the same as the tool's first hook for the settings it is given.

Per-request state lives on ``cherrypy.request`` under public names: ``sessions_started``
(the session was created for this request) and ``sessions_saved`` (it was saved, or its save
is scheduled after a streamed body).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from cherrypy.plugin import (
    PipelineBuilder,
    ThreadLocalProxy,
    Tool,
    attributes,
    request_cookie_value,
    serving,
)
from cherrypy_sessions import ids, registry
from cherrypy_sessions.base import Session
from cherrypy_sessions.cookies import CookieSpec
from cherrypy_sessions.events import LOCK_CHANNEL, listened, report_store_error
from cherrypy_sessions.ram import RamSession

__all__ = [
    "SessionSettings",
    "SessionTool",
    "close",
    "init",
    "lock_session",
    "save",
    "settings_for",
    "start_session",
]

LOCKING_MODES = ("implicit", "early", "explicit")
"""Values of ``tools.sessions.locking`` (any other value means "explicit", as in CherryPy)."""


class SessionSettings:
    """The compiled ``tools.sessions.*`` settings of one path."""

    __slots__ = (
        "cookie",
        "debug",
        "direct",
        "instance_state",
        "locking",
        "plain_ids",
        "session_kwargs",
        "storage_class",
    )

    def __init__(
        self,
        storage_class: type,
        session_kwargs: dict[str, Any],
        cookie: CookieSpec,
        locking: str,
        debug: bool,
    ) -> None:
        self.storage_class = storage_class
        """The session class instantiated for each request."""
        self.session_kwargs = session_kwargs
        """Keyword arguments given to each session (timeout, clean_freq, backend options)."""
        self.cookie = cookie
        """The cookie name and attributes."""
        self.locking = locking
        """``"implicit"``, ``"early"`` or ``"explicit"``."""
        self.debug = debug
        """Whether sessions log what they do."""
        self.direct = _can_build_directly(storage_class, session_kwargs)
        """True if sessions may be built without calling the class (a faster equivalent)."""
        self.instance_state = {
            name: value
            for name, value in session_kwargs.items()
            if not (hasattr(storage_class, name) and getattr(storage_class, name) == value)
        }
        """The keyword arguments that differ from the class defaults (for direct builds)."""
        self.plain_ids = (
            getattr(storage_class, "is_valid_id", None) is Session.is_valid_id
            and getattr(storage_class, "id_pattern", None) is ids.ID_PATTERN
        )
        """True if the class validates ids the standard way (alphanumeric ids pass)."""

    def __repr__(self) -> str:
        return (
            f"<SessionSettings {self.storage_class.__name__} cookie={self.cookie.name!r} "
            f"locking={self.locking!r}>"
        )


def _can_build_directly(cls: type, kwargs: dict[str, Any]) -> bool:
    """True if ``cls(id, **kwargs)`` only stores ``kwargs`` as attributes and adopts ``id``
    (no ``__new__``/``__init__`` override, no descriptor among the keyword names)."""
    overridden = cls.__init__ is not Session.__init__  # type: ignore[misc]
    if overridden or cls.__new__ is not object.__new__:
        return False
    return not any(hasattr(type(getattr(cls, name, None)), "__set__") for name in kwargs)


_new_object = object.__new__

_cherrypy_globals = vars(sys.modules["cherrypy"])

_settings_cache: dict[Any, SessionSettings] = {}
_setup_done: set[Any] = set()
_settings_lock = threading.Lock()


def _freeze(conf: dict[str, Any]) -> Any:
    items = tuple(sorted(conf.items()))
    try:
        hash(items)
    except TypeError:
        return repr(items)
    return items


def _resolve_class(storage_type: Any, storage_class: Any) -> type:
    if storage_type:
        return registry.get_backend(storage_type)
    if storage_class is None:
        return RamSession
    if isinstance(storage_class, str):
        if "." not in storage_class:
            return registry.get_backend(storage_class)
        storage_class = attributes(storage_class)
    if not isinstance(storage_class, type):
        raise TypeError(f"tools.sessions.storage_class must be a class, not {storage_class!r}")
    return storage_class


def _build(conf: dict[str, Any]) -> SessionSettings:
    conf = dict(conf)
    storage_class = _resolve_class(conf.pop("storage_type", None), conf.pop("storage_class", None))
    path = conf.pop("path", None)
    path_header = conf.pop("path_header", None)
    name = conf.pop("name", "session_id")
    timeout = conf.pop("timeout", 60)
    domain = conf.pop("domain", None)
    secure = conf.pop("secure", False)
    clean_freq = conf.pop("clean_freq", 5)
    persistent = conf.pop("persistent", True)
    httponly = conf.pop("httponly", True)
    samesite = conf.pop("samesite", "Lax")
    debug = bool(conf.pop("debug", False))
    locking = conf.pop("locking", "implicit")
    conf.pop("priority", None)
    if locking not in LOCKING_MODES:
        locking = "explicit"
    if conf.get("storage_path"):
        conf["storage_path"] = os.path.abspath(os.fspath(conf["storage_path"]))
    setup = getattr(storage_class, "setup", None)
    if setup is not None:
        key = (storage_class, _freeze(conf))
        if key not in _setup_done:
            setup(**dict(conf))
            _setup_done.add(key)
    cookie = CookieSpec(
        name, path, path_header, timeout if persistent else None, domain, secure, httponly, samesite
    )
    session_kwargs = dict(conf, timeout=timeout, clean_freq=clean_freq, debug=debug)
    return SessionSettings(storage_class, session_kwargs, cookie, locking, debug)


def settings_for(conf: dict[str, Any]) -> SessionSettings:
    """The :class:`SessionSettings` for a ``tools.sessions`` config dict (without ``on``)."""
    key = _freeze(conf)
    settings = _settings_cache.get(key)
    if settings is None:
        with _settings_lock:
            settings = _settings_cache.get(key)
            if settings is None:
                settings = _build(conf)
                if len(_settings_cache) >= 256:
                    _settings_cache.clear()
                _settings_cache[key] = settings
    return settings


def reset_settings() -> None:
    """Forget compiled settings and which backends were set up (tests)."""
    with _settings_lock:
        _settings_cache.clear()
        _setup_done.clear()


# -- the request hooks ----------------------------------------------------------------------


def _restore_session_proxy() -> None:
    """Put ``cherrypy.session`` back if an application deleted it (CherryPy recreates it)."""
    _cherrypy_globals["session"] = ThreadLocalProxy("session")


def start_session(settings: SessionSettings) -> None:
    """Create ``cherrypy.session`` for this request from the cookie, and set the cookie."""
    if "session" not in _cherrypy_globals:
        _restore_session_proxy()
    request = serving.request
    state = vars(request)
    if "sessions_started" in state:
        return
    state["sessions_started"] = True
    cookie = settings.cookie
    sid = request_cookie_value(request, cookie.name)
    session: Any
    if settings.direct:
        session = _new_object(settings.storage_class)
        if settings.instance_state:
            session.__dict__.update(settings.instance_state)
        session.id_observers = observers = [cookie]
        if (
            sid is not None
            and 16 <= len(sid) <= 128
            and sid.isascii()
            and sid.isalnum()
            and settings.plain_ids
        ):
            # The common case inlined: a well-formed id; adopt it if the backend knows it.
            session.originalid = session._id = sid
            if session._exists():
                serving.session = session
                cookie.apply(sid)
                return
            session._id = None
        observers.clear()
        session._adopt(sid)
        observers.append(cookie)
    else:
        session = settings.storage_class(sid, **settings.session_kwargs)
        session.id_observers.append(cookie)
    serving.session = session
    cookie.apply(session.id)


def lock_session() -> None:
    """Take the lock of the current session (publishing the wait on :data:`LOCK_CHANNEL`
    and failures on :data:`STORE_ERROR_CHANNEL` when someone listens)."""
    session = serving.session
    engine = listened(LOCK_CHANNEL)
    started = time.time_ns() if engine is not None else 0
    try:
        session.acquire_lock()
    except Exception as exc:
        report_store_error(session, "lock", exc)
        raise
    if engine is not None:
        storage = type(session).__name__.removesuffix("Session").lower() or "session"
        engine.publish(LOCK_CHANNEL, storage, started, time.time_ns())


def save() -> None:
    """Save the session if it was loaded: now, or after the body for streamed responses."""
    session = serving.session
    if session is None:
        return
    request = serving.request
    state = vars(request)
    if "sessions_saved" in state:
        return
    state["sessions_saved"] = True
    response = serving.response
    if response.stream:
        request.hooks.attach("on_end_request", session.save)
    else:
        body = response.body
        if not isinstance(body, (list, tuple, bytes)):
            response.collapse_body()
        session.save()


save.failsafe = True  # type: ignore[attr-defined]


def close() -> None:
    """Release the session lock if the request still holds it."""
    session = serving.session
    if session is not None and session.locked:
        session.release_lock()
        if session.debug:
            import cherrypy

            cherrypy.log("Lock released on close.", "TOOLS.SESSIONS")


close.failsafe = True  # type: ignore[attr-defined]
close.priority = 90  # type: ignore[attr-defined]


def init(
    storage_type: str | None = None,
    path: str | None = None,
    path_header: str | None = None,
    name: str = "session_id",
    timeout: float = 60,
    domain: str | None = None,
    secure: bool = False,
    clean_freq: float = 5,
    persistent: bool = True,
    httponly: bool = True,
    debug: bool = False,
    samesite: str | None = "Lax",
    **kwargs: Any,
) -> None:
    """Start the session of the current request (CherryPy's ``cherrypy.lib.sessions.init``).

    ``storage_type`` names a registered backend (``"ram"``, ``"file"``, ...);
    ``storage_class`` (a keyword) gives the class itself.  Other keywords go to the backend
    (``storage_path``, ``lock_timeout``, ...).  ``timeout`` and ``clean_freq`` are minutes.
    """
    kwargs.pop("locking", None)
    conf = dict(
        kwargs,
        storage_type=storage_type,
        path=path,
        path_header=path_header,
        name=name,
        timeout=timeout,
        domain=domain,
        secure=secure,
        clean_freq=clean_freq,
        persistent=persistent,
        httponly=httponly,
        debug=debug,
        samesite=samesite,
    )
    start_session(settings_for(conf))


class SessionTool(Tool):
    """``cherrypy.tools.sessions``: sessions through a cookie, with CherryPy's config keys.

    Keys: ``storage_type`` / ``storage_class``, ``storage_path``, ``timeout`` (minutes),
    ``clean_freq`` (minutes), ``name``, ``path``, ``path_header``, ``domain``, ``secure``,
    ``httponly`` (default True), ``samesite`` (default ``"Lax"``), ``persistent``,
    ``locking`` (``implicit``, ``early``, ``explicit``), ``lock_timeout``, ``debug``.
    """

    def __init__(self) -> None:
        super().__init__("before_request_body", init)

    def _lock_session(self) -> None:
        lock_session()

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Attach the session hooks for a path's ``tools.sessions.*`` ``settings`` (once per
        path)."""
        priority = self.priority_for(settings)
        compiled = settings_for(settings)
        pipeline.attach("before_request_body", start_session, priority=priority, settings=compiled)
        if compiled.locking == "implicit":
            pipeline.attach("before_handler", lock_session)
        elif compiled.locking == "early":
            pipeline.attach("before_request_body", lock_session, priority=60)
        pipeline.attach("before_finalize", save)
        pipeline.attach("on_end_request", close)

    def regenerate(self) -> None:
        """Give the current session a new id (keeping its data) and re-issue the cookie."""
        session = serving.session
        session.regenerate()
        for observer in session.id_observers:
            if isinstance(observer, CookieSpec):
                observer.apply(session.id)
                return
        settings_for(self._merged_args()).cookie.apply(session.id)
