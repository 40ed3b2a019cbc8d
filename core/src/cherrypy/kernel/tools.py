"""The tools API: :class:`Tool`, :class:`HandlerTool`, :class:`HandlerWrapperTool`,
:class:`ErrorTool` and :class:`Toolbox` (``cherrypy.tools``).

A tool packages a callable with the hook point it runs at.  It is switched on per path in
config (``tools.NAME.on = True``, its arguments as ``tools.NAME.ARG``) or with the tool used as a
decorator.  The kernel does not set tools up per request: :mod:`cherrypy.kernel.pipeline`
calls each tool's :meth:`Tool.compile` once per path, with the path's settings and a
:class:`PipelineBuilder`, while compiling that path's pipeline.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any

from cherrypy.kernel.context import serving

__all__ = [
    "ErrorTool",
    "HandlerTool",
    "HandlerWrapperTool",
    "PipelineBuilder",
    "Tool",
    "Toolbox",
]

_ON_ERROR = (
    "The 'on' attribute of a tool is not available; switch a tool on in config "
    "(tools.NAME.on = True) or use the tool as a decorator."
)


class Tool:
    """A callable attached to a hook point (``point``) when switched on for a path."""

    namespace = "tools"

    def __init__(
        self,
        point: str | None,
        callable: Callable[..., Any],
        name: str | None = None,
        priority: int = 50,
    ) -> None:
        self._point = point
        self.callable = callable
        self._name = name
        self._priority = priority
        self.__doc__ = getattr(callable, "__doc__", None)
        self._setargs()

    @property
    def on(self) -> bool:
        """Not readable: tools are switched on in config."""
        raise AttributeError(_ON_ERROR)

    @on.setter
    def on(self, value: bool) -> None:
        raise AttributeError(_ON_ERROR)

    def _setargs(self) -> None:
        """Mirror the callable's parameter names as attributes (for introspection)."""
        target = self.callable
        try:
            sig = inspect.signature(target)
        except (TypeError, ValueError):
            return
        for param in sig.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if param.name in ("self",) or hasattr(type(self), param.name):
                continue
            try:
                setattr(self, param.name, None)
            except AttributeError:
                pass

    def _merged_args(self, d: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return this tool's config for the current path, updated by ``d``; without ``on``."""
        conf = dict(d) if d else {}
        toolmap = serving.request.toolmaps.get(self.namespace, {})
        if self._name in toolmap:
            conf.update(toolmap[self._name])
        conf.pop("on", None)
        return conf

    def __call__(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        """Use the tool as a decorator: ``@cherrypy.tools.NAME(arg=value)``."""
        if args:
            raise TypeError(
                f"The {self._name!r} Tool does not accept positional arguments; "
                "you must use keyword arguments."
            )

        def decorate(func: Any) -> Any:
            conf = func.__dict__.get("_cp_config") if hasattr(func, "__dict__") else None
            if conf is None:
                # A class may inherit _cp_config: extend a copy, never the base class's dict.
                from cherrypy.kernel.config import LiveConfigDict

                conf = LiveConfigDict(getattr(func, "_cp_config", None) or {})
                func._cp_config = conf
            prefix = f"{self.namespace}.{self._name}."
            conf[prefix + "on"] = True
            for key, value in kwargs.items():
                conf[prefix + key] = value
            _bump()
            return func

        return decorate

    def _setup(self) -> None:
        """Attach this tool to the current request (CherryPy's per-request entry point).

        The kernel never calls it for a tool that keeps this implementation: it calls
        :meth:`compile` once per path instead.  A subclass that overrides ``_setup`` (a
        CherryPy-style legacy tool) is still honoured, through a recording stand-in.
        """
        self.compile(PipelineBuilder(serving.request), self._merged_args())

    def _hook_point(self) -> str:
        if self._point is None:
            raise TypeError(f"{self!r} has no hook point to attach to")
        return self._point

    def priority_for(self, settings: dict[str, Any]) -> int:
        """Pop ``priority`` from ``settings``; else the callable's attribute or the tool's."""
        priority = settings.pop("priority", None)
        if priority is None:
            priority = getattr(self.callable, "priority", self._priority)
        return int(priority)

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Attach this tool's callbacks to ``pipeline`` for a path where it is switched on.

        Called once per (application, path, config generation), never per request.
        ``settings`` holds the path's ``tools.NAME.*`` values without ``on``; the tool's
        callable receives them as keyword arguments.  Override this (not ``_setup``) to
        attach more than one callback.
        """
        priority = self.priority_for(settings)
        pipeline.attach(self._hook_point(), self.callable, priority=priority, **settings)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.namespace}.{self._name} at {self._point}>"


class HandlerTool(Tool):
    """A tool that may answer the request itself: if its callable returns True, the page
    handler is skipped.  :meth:`handler` turns it into a page handler of its own."""

    def __init__(self, callable: Callable[..., Any], name: str | None = None) -> None:
        super().__init__("before_handler", callable, name)

    def handler(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Return an exposed page handler that runs the tool (404 if it did not handle)."""

        def handle_func(*a: Any, **kw: Any) -> Any:
            from cherrypy.kernel.errors import NotFound

            handled = self.callable(*args, **self._merged_args(kwargs))
            if not handled:
                raise NotFound()
            return serving.response.body

        handle_func.exposed = True  # type: ignore[attr-defined]
        return handle_func

    def _wrapper(self, **kwargs: Any) -> None:
        if self.callable(**kwargs):
            serving.request.handler = None

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Attach the tool so that a true result skips the page handler."""
        priority = self.priority_for(settings)
        pipeline.attach(self._hook_point(), self._wrapper, priority=priority, **settings)


class HandlerWrapperTool(Tool):
    """A tool that wraps the page handler: ``newhandler(innerfunc, *args, **kwargs)``."""

    def __init__(
        self,
        newhandler: Callable[..., Any],
        point: str = "before_handler",
        name: str | None = None,
        priority: int = 50,
    ) -> None:
        self.newhandler = newhandler
        self._point = point
        self._name = name
        self._priority = priority

    def callable(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Replace the request's handler with one that calls ``newhandler``."""
        inner = serving.request.handler

        def wrap(*a: Any, **kw: Any) -> Any:
            return self.newhandler(inner, *a, **kw)

        serving.request.handler = wrap


class ErrorTool(Tool):
    """A tool that replaces ``request.error_response`` (how errors are turned into responses)."""

    def __init__(self, callable: Callable[..., Any], name: str | None = None) -> None:
        super().__init__(None, callable, name)

    def compile(self, pipeline: PipelineBuilder, settings: dict[str, Any]) -> None:
        """Make the tool's callable (with the path's settings) the request's error response."""
        settings.pop("priority", None)
        pipeline.set_error_response(functools.partial(self.callable, **settings))


class PipelineBuilder:
    """The pipeline being compiled for one path, as :meth:`Tool.compile` sees it.

    At compile time it records into the path's cached pipeline; for a legacy per-request
    ``_setup`` it writes to the live request.  Either way a tool attaches callbacks to the
    request phases and may replace the error response, nothing else.
    """

    __slots__ = ("_request",)

    def __init__(self, request: Any) -> None:
        self._request = request

    def attach(
        self,
        point: str,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Run ``callback(**kwargs)`` at request phase ``point`` (lower priority first)."""
        self._request.hooks.attach(point, callback, failsafe, priority, **kwargs)

    def set_error_response(self, callback: Callable[[], Any]) -> None:
        """Make ``callback()`` turn unexpected errors into a response (``ErrorTool``)."""
        self._request.error_response = callback


class Toolbox:
    """A collection of tools under one config namespace (``cherrypy.tools`` is ``tools``).

    Used as a config namespace handler (a context manager) it collects ``NAME.ARG`` keys into
    ``request.toolmaps[namespace]`` and sets up every tool whose ``on`` is true.
    """

    def __init__(self, namespace: str) -> None:
        object.__setattr__(self, "namespace", namespace)
        object.__setattr__(self, "_candidates", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Tool):
            if value._name is None:
                value._name = name
            value.namespace = self.namespace
            candidates: dict[str, list[tuple[str, Tool]]] = self._candidates
            offers = candidates.setdefault(name, [])
            module = _setting_module()
            offers[:] = [(m, tool) for m, tool in offers if m != module]
            offers.append((module, value))
        object.__setattr__(self, name, value)
        _bump()

    def offers(self, name: str) -> list[tuple[str, Tool]]:
        """Every ``(module, tool)`` that set tool ``name``, in order; the last one is in use.

        ``module`` is the module whose code set it (a plugin's, or the application's): the
        plugin listing and the start-up check map it to its distribution to find conflicts.
        """
        return list(self._candidates.get(name, ()))

    def choose(self, name: str, tool: Tool) -> None:
        """Make ``tool``, one of the :meth:`offers` for ``name``, the one in use."""
        object.__setattr__(self, name, tool)
        _bump()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _missing_tool(self, name)

    def __enter__(self) -> Callable[[str, Any], None]:
        toolmap: dict[str, dict[str, Any]] = {}
        serving.request.toolmaps[self.namespace] = toolmap

        def populate(key: str, value: Any) -> None:
            toolname, _, arg = key.partition(".")
            toolmap.setdefault(toolname, {})[arg] = value

        return populate

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        toolmap = serving.request.toolmaps.get(self.namespace)
        if not toolmap:
            return
        for name, settings in toolmap.items():
            if settings.get("on", False):
                getattr(self, name)._setup()

    def register(
        self, point: str, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: make ``func`` a :class:`Tool` at ``point`` in this toolbox."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            attr_name = kwargs.get("name", func.__name__)
            setattr(self, attr_name, Tool(point, func, **kwargs))
            return func

        return decorator

    def __iter__(self) -> Any:
        return iter(name for name, value in vars(self).items() if isinstance(value, Tool))


def _setting_module() -> str:
    """The module of the code that sets a tool (the first caller outside this module)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back  # type: ignore[assignment]
    return str(frame.f_globals.get("__name__", "?")) if frame is not None else "?"


_change_listeners: list[Callable[[], None]] = []


def on_tools_changed(listener: Callable[[], None]) -> None:
    """Call ``listener()`` whenever a tool is added or a decorator changes a ``_cp_config``.

    :mod:`cherrypy.kernel.pipeline` listens, to drop the pipelines compiled before.
    """
    _change_listeners.append(listener)


def _bump() -> None:
    for listener in _change_listeners:
        listener()


def _missing_tool(toolbox: Toolbox, name: str) -> Any:
    """Load plugins once and retry; then fail naming the distribution that provides it."""
    from cherrypy.kernel import compat
    from cherrypy.kernel.runtime import boot

    boot()
    try:
        return object.__getattribute__(toolbox, name)
    except AttributeError:
        pass
    raise AttributeError(str(compat.missing_name_error(f"cherrypy.{toolbox.namespace}.{name}")))


def __getattr__(name: str) -> Any:
    """Resolve CherryPy's other ``_cptools`` names (SessionTool, XMLRPCController, ...) from
    the plugins that provide them."""
    from cherrypy.kernel.compat import module_getattr

    return module_getattr("cherrypy._cptools", name)
