"""The :class:`Session` base class: one object per request, with a dict-like API.

A backend subclasses :class:`Session` and implements the storage primitives

* ``_exists()`` -- is there stored data for ``self.id``?
* ``_load()`` -- ``(data, expiration_time)`` for ``self.id``, or ``None``;
* ``_save(expiration_time)`` -- store ``(self._data, expiration_time)`` under ``self.id``;
* ``_delete()`` -- forget the data of ``self.id``;
* ``acquire_lock()`` / ``release_lock()`` -- exclusive access to ``self.id`` (set
  ``self.locked``);
* ``clean_up()`` -- delete expired sessions (run by the cleanup monitor);
* ``__len__()`` -- the number of stored sessions;

and optionally the class method ``setup(**settings)``, called once per distinct configuration
before the first session of that configuration is created.  Expiration times are naive
:class:`datetime.datetime` values in the frame of :meth:`Session.now`, as in CherryPy, so
CherryPy backends written for ``cherrypy.lib.sessions.Session`` work unchanged.

The base class guarantees what no backend has to repeat: an id from the client is checked
against :attr:`Session.id_pattern` before any backend method sees it; an id the backend does
not know, or whose data has expired, is never adopted (a fresh id is issued); data is loaded
lazily and saved only if it was loaded.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, ItemsView, Iterator, KeysView, ValuesView
from types import MappingProxyType
from typing import Any

from cherrypy_sessions import cleanup, ids
from cherrypy_sessions.events import report_store_error

__all__ = ["Session", "missing"]

_monitor_of_class = cleanup.monitor_of_class

missing: Any = object()
"""Marker for "no default given" in :meth:`Session.pop`."""

_TIMEDELTAS: dict[float, datetime.timedelta] = {}


def _minutes(timeout: float) -> datetime.timedelta:
    delta = _TIMEDELTAS.get(timeout)
    if delta is None:
        delta = datetime.timedelta(minutes=timeout)
        if len(_TIMEDELTAS) < 64:
            _TIMEDELTAS[timeout] = delta
    return delta


def _log(message: str) -> None:
    import cherrypy

    cherrypy.log(message, "TOOLS.SESSIONS")


class Session:
    """A dict-like session bound to one id, created for each request that uses sessions."""

    _id: str | None = None

    _data: dict[Any, Any] = MappingProxyType({})  # type: ignore[assignment]
    """The session data once loaded (a read-only empty mapping before that)."""

    id_observers: list[Callable[[str | None], Any]]
    """Callables given each new id (the tool uses one to keep the cookie in step)."""

    timeout: float = 60
    """Minutes of inactivity after which the stored data expires."""

    locked = False
    """True while this object holds the exclusive lock on its id."""

    loaded = False
    """True once the stored data has been read (on first access)."""

    clean_thread: Any = None
    """The first cleanup :class:`~cherrypy.process.plugins.Monitor` started for this class."""

    clean_freq: float = 5
    """Minutes between two cleanup passes (0 or None: no cleanup thread)."""

    originalid: str | None = None
    """The id the client sent, as sent: it may be missing, unknown or malformed."""

    missing = False
    """True if the client sent an id that was refused (unknown, expired or malformed)."""

    regenerated = False
    """True if the application called :meth:`regenerate`."""

    debug = False
    """Log what the session does (to the error log, context ``TOOLS.SESSIONS``)."""

    lock_timeout: float | None = None
    """Seconds to wait for the lock before :class:`~cherrypy_sessions.locks.LockTimeout` (a
    503 with ``Retry-After``); None waits for ever."""

    id_pattern: re.Pattern[str] = ids.ID_PATTERN
    """Ids from clients must match this in full before any storage method sees them."""

    deleted = False
    """True once :meth:`delete` (or ``expire()``) removed the data: it is not saved again."""

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        self.id_observers = []
        self._data = {}
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._adopt(id)

    def _adopt(self, id: str | None) -> None:
        """Take the client's ``id`` if it is well-formed and known, else make a new one."""
        self.originalid = id
        if self.missing:
            self.missing = False
        if id is None:
            if self.debug:
                _log("No id given; making a new one")
            self._regenerate()
        elif not self.is_valid_id(id):
            if self.debug:
                _log(f"Malformed session id {id!r} refused; making a new one")
            self.missing = True
            self._regenerate()
        else:
            self._id = id
            if self._exists():
                if self.debug:
                    _log(f"Set id to {id}.")
            else:
                if self.debug:
                    _log(f"Unknown or expired session {id!r}; making a new one")
                self._id = None
                self.missing = True
                self._regenerate()

    # -- id ---------------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The current session id."""
        return self._id

    @id.setter
    def id(self, value: str | None) -> None:
        self._id = value
        for observer in self.id_observers:
            observer(value)

    def is_valid_id(self, value: object) -> bool:
        """True if ``value`` may be looked up in storage (see :attr:`id_pattern`)."""
        return ids.is_valid_id(value, self.id_pattern)

    def generate_id(self) -> str:
        """A new random id (from :mod:`secrets`)."""
        return ids.generate_id()

    def now(self) -> datetime.datetime:
        """The session's notion of "now" (naive local time, as CherryPy)."""
        return datetime.datetime.now()

    def regenerate(self) -> None:
        """Move this session's data to a new id and delete the old one (prevents fixation)."""
        self.regenerated = True
        if not self.loaded and self._id is not None and not self.missing:
            self.load()
        self._regenerate()
        self.deleted = False

    def _regenerate(self) -> None:
        if self._id is not None:
            if self.debug:
                _log(f"Deleting the existing session {self._id!r} before regeneration.")
            self._delete()
        relock = self.locked
        if relock:
            self.release_lock()
        self._id = None
        new_id = self.generate_id()
        while True:
            self._id = new_id
            if not self._exists():
                break
            new_id = self.generate_id()
        self.id = new_id
        if self.debug:
            _log(f"Set id to generated {new_id}.")
        if relock:
            self.acquire_lock()

    # -- storage life cycle -----------------------------------------------------------------

    def load(self) -> None:
        """Read the stored data (empty if none or expired) and start the cleanup monitor.

        If the client's id turns out to have no live data (it expired or was deleted since
        the request started), the session moves to a fresh id instead of reviving the old one.
        """
        try:
            data = self._load()
        except Exception as exc:
            report_store_error(self, "load", exc)
            raise
        if data is None or data[1] < self.now():
            self._data = {}
            if self._id is not None and self._id == self.originalid:
                if self.debug:
                    _log(f"Session {self._id!r} expired or vanished; making a new one")
                self.missing = True
                self._regenerate()
        else:
            if self.debug:
                _log(f"Data loaded for session {self._id!r}.")
            self._data = data[0]
        self.loaded = True
        if self.clean_freq:
            monitor = _monitor_of_class(self.__class__)
            if monitor is None or monitor.thread is None:
                cleanup.ensure_running(self)

    def save(self) -> None:
        """Store the data if it was loaded (with a fresh expiration), then release the lock."""
        try:
            if self.loaded and not self.deleted:
                delta = _TIMEDELTAS.get(self.timeout) or _minutes(self.timeout)
                expiration_time = self.now() + delta
                if self.debug:
                    _log(f"Saving session {self._id!r} with expiry {expiration_time}")
                try:
                    self._save(expiration_time)
                except Exception as exc:
                    report_store_error(self, "save", exc)
                    raise
            elif self.debug:
                _log(f"Skipping save of session {self._id!r} (not loaded or deleted).")
        finally:
            if self.locked:
                self.release_lock()
                if self.debug:
                    _log("Lock released after save.")

    def delete(self) -> None:
        """Delete the stored data of this id; the session is not saved again afterwards."""
        try:
            self._delete()
        except Exception as exc:
            report_store_error(self, "delete", exc)
            raise
        self.deleted = True
        if self.debug:
            _log(f"Deleted session {self._id}.")

    def clean_up(self) -> None:
        """Delete expired sessions from storage (backends override this)."""

    def cleanup_key(self) -> Any:
        """What identifies this session's storage, so one cleanup monitor serves it."""
        return None

    def cleaner(self) -> Session:
        """A copy of this session's configuration, with no id, for the cleanup monitor."""
        clone = object.__new__(type(self))
        state = dict(self.__dict__)
        for name in ("_id", "_data", "id_observers", "locked", "loaded", "deleted"):
            state.pop(name, None)
        clone.__dict__.update(state)
        clone.id_observers = []
        clone._data = {}
        return clone

    # -- primitives a backend implements ----------------------------------------------------

    def _exists(self) -> bool:
        raise NotImplementedError

    def _load(self) -> tuple[dict[Any, Any], datetime.datetime] | None:
        raise NotImplementedError

    def _save(self, expiration_time: datetime.datetime) -> None:
        raise NotImplementedError

    def _delete(self) -> None:
        raise NotImplementedError

    def acquire_lock(self) -> None:
        """Take the exclusive lock on this session's id (backends implement this)."""
        raise NotImplementedError

    def release_lock(self) -> None:
        """Release the lock taken by :meth:`acquire_lock` (backends implement this)."""
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of stored sessions (not of keys in this one)."""
        raise NotImplementedError

    # -- the dict API (loads on first use) --------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        if not self.loaded:
            self.load()
        return self._data[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        if not self.loaded:
            self.load()
        self._data[key] = value

    def __delitem__(self, key: Any) -> None:
        if not self.loaded:
            self.load()
        del self._data[key]

    def __contains__(self, key: Any) -> bool:
        if not self.loaded:
            self.load()
        return key in self._data

    def __iter__(self) -> Iterator[Any]:
        if not self.loaded:
            self.load()
        return iter(self._data)

    def pop(self, key: Any, default: Any = missing) -> Any:
        """Remove ``key`` and return its value (or ``default``; KeyError without one)."""
        if not self.loaded:
            self.load()
        if default is missing:
            return self._data.pop(key)
        return self._data.pop(key, default)

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        if not self.loaded:
            self.load()
        return self._data.get(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Update the data as :meth:`dict.update` does."""
        if not self.loaded:
            self.load()
        self._data.update(*args, **kwargs)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """The value of ``key``, storing ``default`` first if it is absent."""
        if not self.loaded:
            self.load()
        return self._data.setdefault(key, default)

    def clear(self) -> None:
        """Remove every key."""
        if not self.loaded:
            self.load()
        self._data.clear()

    def keys(self) -> KeysView[Any]:
        """The keys of the data."""
        if not self.loaded:
            self.load()
        return self._data.keys()

    def items(self) -> ItemsView[Any, Any]:
        """The ``(key, value)`` pairs of the data."""
        if not self.loaded:
            self.load()
        return self._data.items()

    def values(self) -> ValuesView[Any]:
        """The values of the data."""
        if not self.loaded:
            self.load()
        return self._data.values()

    def __repr__(self) -> str:
        state = "loaded" if self.loaded else "not loaded"
        return f"<{type(self).__name__} id={self._id!r} {state}{' locked' if self.locked else ''}>"
