"""Hook points of the request life cycle: :class:`Hook` and the per-request :class:`HookMap`."""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable, Iterable
from typing import Any

from cherrypy.kernel.hookspecs import REQUEST_PHASES
from cherrypy.kernel.runtime import site

__all__ = ["HOOKPOINTS", "Hook", "HookMap", "run_point"]

HOOKPOINTS = REQUEST_PHASES
"""The eight request phases (CherryPy's ``hookpoints``): the hookspecs' one phase tuple."""


class Hook:
    """A callback attached to a hook point, with its priority, failsafe flag and kwargs.

    Lower priorities run first (default 50, or the callback's ``priority`` attribute).  A
    failsafe hook still runs after an earlier hook at the same point failed.
    """

    __slots__ = ("callback", "failsafe", "kwargs", "priority")

    def __init__(
        self,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.callback = callback
        if failsafe is None:
            failsafe = getattr(callback, "failsafe", False)
        self.failsafe = bool(failsafe)
        if priority is None:
            priority = getattr(callback, "priority", 50)
        self.priority = priority
        self.kwargs = kwargs

    def __lt__(self, other: Hook) -> bool:
        return self.priority < other.priority

    def __call__(self) -> Any:
        """Run the callback with the configured keyword arguments."""
        kwargs = self.kwargs
        if kwargs:
            return self.callback(**kwargs)
        return self.callback()

    def __repr__(self) -> str:
        name = getattr(self.callback, "__qualname__", repr(self.callback))
        return f"<Hook {name} priority={self.priority} failsafe={self.failsafe} kwargs={self.kwargs!r}>"


_priority_of = operator.attrgetter("priority")

_QUIET: tuple[type[BaseException], ...] = ()


def _quiet_errors() -> tuple[type[BaseException], ...]:
    global _QUIET
    if not _QUIET:
        from cherrypy.kernel.errors import HTTPError, HTTPRedirect, InternalRedirect

        _QUIET = (HTTPError, HTTPRedirect, InternalRedirect)
    return _QUIET


class HookMap(dict):
    """Hook point name -> list of :class:`Hook`, as ``cherrypy.request.hooks``.

    The kernel fills a HookMap per request from a compiled pipeline; :meth:`run` orders
    each point's hooks by priority when it runs them.
    """

    # point -> the pipeline's already sorted list of its hooks (never handed out or changed):
    # a point whose hooks still equal it (same Hook objects, same order) needs no sort.
    _presorted: dict[str, list[Hook]] = {}

    def __new__(cls, points: Iterable[str] | None = None) -> HookMap:
        hookmap = dict.__new__(cls)
        for point in points or ():
            hookmap[point] = []
        return hookmap

    def __init__(self, points: Iterable[str] | None = None) -> None:
        pass  # everything happens in __new__ (the kernel builds maps without __init__)

    def __missing__(self, point: str) -> list[Hook]:
        """Points without hooks are created on first use (the kernel omits empty ones)."""
        if point not in HOOKPOINTS:
            raise KeyError(point)
        hooks: list[Hook] = []
        dict.__setitem__(self, point, hooks)
        return hooks

    def attach(
        self,
        point: str,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Attach ``callback`` to ``point`` for this request (or this map)."""
        hooks = self.get(point)
        if hooks is None:
            if point not in HOOKPOINTS:
                raise KeyError(
                    f"{point!r} is not a hook point; choose one of {', '.join(HOOKPOINTS)}"
                )
            hooks = self[point] = []
        hooks.append(Hook(callback, failsafe, priority, **kwargs))

    def run(self, point: str) -> None:
        """Run the hooks of ``point`` in priority order (failsafe ones even after a failure).

        The hooks run from a sorted snapshot, so hooks attached to ``point`` while it runs
        wait for the next run, and lists appended to directly are still ordered.
        """
        hooks = self.get(point)
        if not hooks:
            return
        count = len(hooks)
        if count == 1:
            self.run_hooks((hooks[0],))
        elif count == 2:
            first, second = hooks
            # What a stable sort of two hooks gives, without building the key list.
            self.run_hooks((second, first) if second.priority < first.priority else (first, second))
        else:
            presorted = self._presorted.get(point)
            if presorted is not None and hooks == presorted:
                # Untouched since the pipeline sorted them: that list is the snapshot.
                self.run_hooks(presorted)
            else:
                self.run_hooks(sorted(hooks, key=_priority_of))

    @classmethod
    def run_hooks(cls, hooks: Iterable[Hook]) -> None:
        """Run ``hooks``; after a failure only the remaining failsafe hooks run, then re-raise."""
        iterator = iter(hooks)
        for hook in iterator:
            try:
                if hook.__class__ is Hook:
                    # What Hook.__call__ does, without the extra Python call per hook.
                    kwargs = hook.kwargs
                    if kwargs:
                        hook.callback(**kwargs)
                    else:
                        hook.callback()
                else:
                    hook()
            except BaseException as exc:
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                if not isinstance(exc, _quiet_errors()):
                    _log_hook_failure()
                cls._run_failsafe(iterator)
                raise

    @classmethod
    def _run_failsafe(cls, remaining: Iterable[Hook]) -> None:
        for hook in remaining:
            if not hook.failsafe:
                continue
            try:
                hook()
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:
                if not isinstance(exc, _quiet_errors()):
                    _log_hook_failure()

    def copy(self) -> HookMap:
        """Return a map with copies of each point's list."""
        new = self.__class__()
        for key, value in self.items():
            new[key] = list(value)
        return new

    __copy__ = copy

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}(points={list(self)!r})"


def run_point(hooks: HookMap, point: str) -> None:
    """``hooks.run(point)``; for a :class:`HookMap` (of that very class) whose point holds
    one hook, as the request path has it for most tools, the hook is called here with the
    same error handling (logged unless an HTTP error or redirect, then re-raised), without
    the two calls and the snapshot tuple :meth:`HookMap.run` makes."""
    if hooks.__class__ is HookMap:
        attached = dict.get(hooks, point)
        if attached is not None and len(attached) == 1:
            hook = attached[0]
            try:
                if hook.__class__ is Hook:
                    kwargs = hook.kwargs
                    if kwargs:
                        hook.callback(**kwargs)
                    else:
                        hook.callback()
                else:
                    hook()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                if not isinstance(exc, _quiet_errors()):
                    _log_hook_failure()
                raise
            return
    hooks.run(point)


def _log_hook_failure() -> None:
    try:
        site.log(traceback=True, severity=40)
    except Exception:  # pragma: no cover - logging must never mask the real error
        sys.stderr.write("cherrypy: a hook failed and could not be logged\n")
