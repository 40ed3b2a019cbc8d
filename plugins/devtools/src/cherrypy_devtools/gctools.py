"""``cherrypy.lib.gctools``: find objects that outlive their request (reference leaks).

* :class:`GCRoot` is a page handler collection; its ``stats`` page collects garbage and
  reports uncollectable objects and too many live ``cherrypy._cprequest.Request`` /
  ``Response`` and ``cherrypy._cpwsgi.AppResponse`` objects, with the referrers keeping each alive.
* :class:`ReferrerTree` gathers and formats the referrers of an object.
* :class:`RequestCounter` counts requests in flight (``before_request`` / ``after_request``);
  ``request_counter`` is created and subscribed to ``cherrypy.engine`` on first use (first
  access, or when a :class:`GCRoot` is created), not on import.

The ``stats`` page shows reprs of arbitrary live objects (which may hold secrets): mount
:class:`GCRoot` only on a development or firewalled server.
"""

from __future__ import annotations

import gc
import inspect
import sys
import time
from typing import Any

# CherryPy's own names for the kernel's request objects (as CherryPy's gctools uses them).
from cherrypy._cprequest import Request, Response
from cherrypy._cpwsgi import AppResponse
from cherrypy.plugin import SimplePlugin, expose, serving

__all__ = ["GCRoot", "ReferrerTree", "RequestCounter", "get_context", "get_instances"]


class ReferrerTree:
    """Gather the referrers of an object, up to ``maxdepth`` levels and ``maxparents`` each."""

    peek_length = 40
    """Longest repr shown before it is shortened with ``...``."""

    def __init__(self, ignore: list[Any] | None = None, maxdepth: int = 2, maxparents: int = 10):
        self.ignore = ignore or []
        self.ignore.append(inspect.currentframe().f_back)  # type: ignore[union-attr]
        self.maxdepth = maxdepth
        self.maxparents = maxparents

    def ascend(self, obj: Any, depth: int = 1) -> list[tuple[Any, list[Any]]]:
        """Return ``[(referrer, its referrers...), ...]`` for ``obj``."""
        depth += 1
        refs = gc.get_referrers(obj)
        self.ignore.append(refs)
        if len(refs) > self.maxparents:
            return [(f"[{len(refs)} referrers]", [])]
        own_code = ReferrerTree.ascend.__code__
        parents: list[tuple[Any, list[Any]]] = []
        for parent in refs:
            if inspect.isframe(parent) and parent.f_code is own_code:
                continue
            if any(parent is ignored for ignored in self.ignore):
                continue
            if depth <= self.maxdepth:
                parents.append((parent, self.ascend(parent, depth)))
            else:
                parents.append((parent, []))
        return parents

    def peek(self, s: str) -> str:
        """Return ``s`` shortened to about :attr:`peek_length` characters."""
        if len(s) > self.peek_length + 3:
            half = self.peek_length // 2
            return s[:half] + "..." + s[-half:]
        return s

    def _format(self, obj: Any, descend: bool = True) -> str:
        if inspect.isframe(obj):
            return f"<frame of function '{obj.f_code.co_name}'>"
        if not descend:
            return self.peek(repr(obj))
        if isinstance(obj, dict):
            items = ", ".join(
                f"{self._format(k, descend=False)}: {self._format(v, descend=False)}"
                for k, v in obj.items()
            )
            return "{" + items + "}"
        if isinstance(obj, list):
            return "[" + ", ".join(self._format(item, descend=False) for item in obj) + "]"
        if isinstance(obj, tuple):
            return "(" + ", ".join(self._format(item, descend=False) for item in obj) + ")"
        text = self.peek(repr(obj))
        if isinstance(obj, (str, int, float)):
            return text
        return f"{type(obj)}: {text}"

    def format(self, tree: list[tuple[Any, list[Any]]]) -> list[str]:
        """Return indented lines describing a tree from :meth:`ascend`."""
        output: list[str] = []

        def walk(branch: list[tuple[Any, list[Any]]], depth: int = 1) -> None:
            for parent, grandparents in branch:
                output.append("    " * depth + self._format(parent))
                if grandparents:
                    walk(grandparents, depth + 1)

        walk(tree)
        return output


def get_instances(cls: type) -> list[Any]:
    """Every object tracked by the garbage collector that is an instance of ``cls``."""
    return [obj for obj in gc.get_objects() if isinstance(obj, cls)]


class RequestCounter(SimplePlugin):
    """Count the requests being served (engine channels ``before_request`` and
    ``after_request``)."""

    def __init__(self, bus: Any) -> None:
        super().__init__(bus)
        self.count = 0

    def subscribe(self) -> None:
        """Subscribe to ``start``, ``before_request`` and ``after_request``."""
        self.bus.subscribe("start", self.start)
        self.bus.subscribe("before_request", self.before_request)
        self.bus.subscribe("after_request", self.after_request)

    def unsubscribe(self) -> None:
        """Undo :meth:`subscribe`."""
        self.bus.unsubscribe("start", self.start)
        self.bus.unsubscribe("before_request", self.before_request)
        self.bus.unsubscribe("after_request", self.after_request)

    def start(self) -> None:
        """Reset the count when the engine starts."""
        self.count = 0

    def before_request(self) -> None:
        """A request began."""
        self.count += 1

    def after_request(self) -> None:
        """A request ended."""
        self.count -= 1


def _engine() -> Any:
    import cherrypy

    return cherrypy.engine


class _LazyCounter:
    """The module's :data:`request_counter`: created and subscribed on first use.

    CherryPy subscribes it when ``gctools`` is imported; here nothing happens on import, and
    applications that never use gctools pay no ``before_request`` / ``after_request``
    publishing per request.
    """

    _counter: RequestCounter | None = None

    def get(self) -> RequestCounter:
        if self._counter is None:
            counter = RequestCounter(_engine())
            counter.subscribe()
            self._counter = counter
        return self._counter

    def forget(self) -> None:
        """Unsubscribe and drop the counter (for tests)."""
        if self._counter is not None:
            self._counter.unsubscribe()
            self._counter = None


_lazy = _LazyCounter()


def __getattr__(name: str) -> Any:
    if name == "request_counter":
        return _lazy.get()
    raise AttributeError(name)


def get_context(obj: Any) -> str:
    """A short description of a kernel request object, for reports."""
    if isinstance(obj, Request):
        return f"path={obj.path_info};stage={obj.stage}"
    if isinstance(obj, Response):
        return f"status={obj.status}"
    if isinstance(obj, AppResponse):
        return f"PATH_INFO={obj.environ.get('PATH_INFO', '')}"
    if hasattr(obj, "tb_lineno"):
        return f"tb_lineno={obj.tb_lineno}"
    return ""


class GCRoot:
    """Page handlers for hunting reference leaks (see the module docstring)."""

    classes: list[tuple[type, int, int, str]] = [
        (Request, 1, 1, "Should be 1, in this request's thread."),
        (Response, 1, 1, "Should be 1, in this request's thread."),
        (AppResponse, 1, 1, "Should be 1, in this request's thread."),
    ]
    """``(class, fewest, most, explanation)``: how many live instances are expected while the
    ``stats`` page runs."""

    def __init__(self) -> None:
        _lazy.get()

    @expose
    def index(self) -> str:
        """A trivial page, to make requests with."""
        return "Hello, world!"

    @expose
    def stats(self) -> str:
        """Collect garbage, then report leaks as plain text."""
        output = ["Statistics:"]
        counter = _lazy.get()
        # Give other requests a moment to finish; this one is counted when the counter is on.
        for _ in range(10):
            if counter.count <= 1:
                break
            time.sleep(0.5)
        else:
            output.append("\nNot all requests closed properly.")

        # Collecting may free cycles that free further cycles: collect three times.
        gc.collect()
        gc.collect()
        unreachable = gc.collect()
        if unreachable:
            trash: dict[type, int] = {}
            for obj in gc.garbage:
                trash[type(obj)] = trash.get(type(obj), 0) + 1
            if trash:
                output.insert(0, f"\n{unreachable} unreachable objects:")
                for pair in sorted(((v, k) for k, v in trash.items()), key=repr):
                    output.append("    " + repr(pair))

        found = {cls: get_instances(cls) for cls, _, _, _ in self.classes}
        for cls, fewest, most, _ in self.classes:
            objs = found[cls]
            if fewest <= len(objs) <= most:
                continue
            if fewest == most:
                output.append(f"\nExpected {fewest} {cls!r} references, got {len(objs)}.")
            else:
                output.append(f"\nExpected {fewest} to {most} {cls!r} references, got {len(objs)}.")
            for obj in objs:
                output.append(f"\nReferrers for {obj!r} (refcount={sys.getrefcount(obj)}):")
                tree = ReferrerTree(ignore=[objs, found], maxdepth=3)
                output.extend(tree.format(tree.ascend(obj)))
        # Plain text, so that reprs of live objects are never rendered as HTML.
        serving.response.headers["Content-Type"] = "text/plain;charset=utf-8"
        return "\n".join(output)
