"""Per-thread request context behind ``cherrypy.request``, ``cherrypy.response`` and friends.

The kernel keeps one :data:`serving` object per thread.  Its ``request`` and ``response``
attributes are swapped in by the WSGI adapter for the duration of a request and reset to
harmless defaults afterwards, so module-level proxies such as ``cherrypy.request`` always point
at the object of the request the current thread is serving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "RequestProxy",
    "ResponseProxy",
    "ThreadLocalProxy",
    "serving",
    "set_idle_factory",
    "thread_data",
]


class _Serving(threading.local):
    """Holds the request and response of the request this thread is serving."""

    request: Any = None
    response: Any = None
    session: Any = None

    def load(self, request: Any, response: Any) -> None:
        """Make ``request`` and ``response`` current for this thread."""
        self.request = request
        self.response = response

    def clear(self) -> None:
        """Forget the current request (a fresh default pair is created lazily)."""
        self.__dict__.clear()


serving = _Serving()
"""The thread-local that holds the current ``request`` and ``response``."""

thread_data = threading.local()
"""A thread-local namespace applications may use freely (``cherrypy.thread_data``)."""


class ThreadLocalProxy:
    """Forward attribute access to ``serving.<attrname>`` of the current thread."""

    __slots__ = ("__attrname__",)

    def __init__(self, attrname: str) -> None:
        object.__setattr__(self, "__attrname__", attrname)

    def _target(self) -> Any:
        obj = getattr(serving, self.__attrname__)
        if obj is None:
            obj = _default(self.__attrname__)
        return obj

    def __getattribute__(self, name: str) -> Any:
        # Every name the proxy does not have itself is the target's.  Looked up here, not
        # in ``__getattr__``: that runs only after the normal look-up has failed, and the
        # AttributeError it raises first costs more than the rest of the access.
        if name in _PROXY_NAMES or (
            type(self) is not ThreadLocalProxy and hasattr(type(self), name)
        ):
            return object.__getattribute__(self, name)
        attrname = _attrname_of(self)
        obj = getattr(serving, attrname)
        if obj is None:
            obj = _default(attrname)
        return getattr(obj, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._target(), name)

    def __dir__(self) -> list[str]:
        return dir(self._target())

    def __getitem__(self, key: Any) -> Any:
        return self._target()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._target()[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._target()

    def __len__(self) -> int:
        return len(self._target())

    def __iter__(self) -> Any:
        return iter(self._target())

    def __bool__(self) -> bool:
        return bool(self._target())

    def __eq__(self, other: object) -> bool:
        return self._target() == other

    def __ne__(self, other: object) -> bool:
        return self._target() != other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._target())


_attrname_of = ThreadLocalProxy.__dict__["__attrname__"].__get__
_PROXY_NAMES = frozenset(dir(ThreadLocalProxy))
"""The names a proxy answers itself (its methods, ``__class__``, ``__attrname__``, ...)."""


class RequestProxy(ThreadLocalProxy):
    """``cherrypy.request``: a :class:`ThreadLocalProxy` for ``serving.request`` whose
    look-up is written out (handlers read ``cherrypy.request.<name>`` all the time)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("request")

    def __getattribute__(self, name: str) -> Any:
        if name in _PROXY_NAMES:
            return object.__getattribute__(self, name)
        obj = serving.request
        if obj is None:
            obj = _default("request")
        return getattr(obj, name)


class ResponseProxy(ThreadLocalProxy):
    """``cherrypy.response``: :class:`RequestProxy`'s counterpart for ``serving.response``."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("response")

    def __getattribute__(self, name: str) -> Any:
        if name in _PROXY_NAMES:
            return object.__getattribute__(self, name)
        obj = serving.response
        if obj is None:
            obj = _default("response")
        return getattr(obj, name)


_idle_factory: Callable[[], tuple[Any, Any]] | None = None


def set_idle_factory(factory: Callable[[], tuple[Any, Any]]) -> None:
    """Install what makes the idle-thread default ``(request, response)`` pair.

    :mod:`cherrypy.kernel.request` installs it when imported, so this module needs no
    import of the request and response classes.
    """
    global _idle_factory
    _idle_factory = factory


def _default(attrname: str) -> Any:
    """Create the idle-thread default for ``serving.<attrname>``."""
    if attrname in ("request", "response") and _idle_factory is not None:
        serving.request, serving.response = _idle_factory()
        return getattr(serving, attrname)
    raise AttributeError(f"no {attrname!r} is being served on this thread")
