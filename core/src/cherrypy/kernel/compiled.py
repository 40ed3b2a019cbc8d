"""Compiled routes: what the default dispatcher found for a path, kept as one object.

CherryPy looks the dispatcher up in the path's config, walks the object tree and finds the
path's pipeline on every request.  With the default :class:`~cherrypy.kernel.dispatch.Dispatcher`
all of that depends only on the path, the config and plugin generations and the objects the
walk read, so after the first request for a path the kernel keeps a :class:`CompiledRoute`:
the handler and its arguments, the merged config, the compiled pipeline and the objects to
re-check.  The next request for the path checks that nothing it depends on changed (a few
identity tests) and goes straight to the handler's pipeline; anything else takes the general
path, which is always correct.

What a request sees is the same either way: ``cherrypy.request.handler``, ``config``, ``route``,
``is_index``, the hooks and tools of the path, the error handling and the log lines.
"""

from __future__ import annotations

from types import MethodType
from typing import TYPE_CHECKING, Any

from cherrypy.kernel import config as _config
from cherrypy.kernel import pipeline as _pipeline
from cherrypy.kernel.dispatch import Dispatcher, LateParamPageHandler, walk_cache_entry
from cherrypy.kernel.errors import NotFound
from cherrypy.kernel.request import Request
from cherrypy.kernel.requesthooks import Hook
from cherrypy.kernel.response import Response

if TYPE_CHECKING:
    from cherrypy.kernel.tree import Application

__all__ = [
    "APPLICATION_CLASSES",
    "DEFAULT_TOOLS",
    "MAX_ROUTES",
    "NEVER",
    "CompiledRoute",
    "compile_route",
    "generations",
]

MAX_ROUTES = 1024
"""Routes kept per application; clients choose the paths, so the table is cleared when full."""

DEFAULT_TOOLS: dict[str, Any] = {}
"""The callables of CherryPy's default ``tools.trailing_slash`` and ``tools.encode`` (filled by
``cherrypy.kernel.builtin_tools``): a route runs them without the hook machinery."""

APPLICATION_CLASSES: set[type] = set()
"""Application classes whose paths may be compiled (``cherrypy.kernel.tree`` registers its
own; a subclass may change how config is found, so it keeps the general path)."""


class CompiledRoute:
    """The dispatch result and pipeline of one path of one application."""

    __slots__ = (
        "args",
        "entry",
        "full_path",
        "func",
        "generations",
        "hooked",
        "is_index",
        "lane",
        "method_reads",
        "path",
        "pipeline",
        "plain_before_handler",
        "reads",
        "request_attrs",
        "route",
        "script_name",
    )

    def __init__(self, app: Application, path: str, hit: tuple[Any, ...]) -> None:
        _app, reads, func, vpath, entry, is_index, route, _route_sn, _suffix = hit
        self.path = path
        self.script_name: str = app._script_name or ""
        self.generations = generations()
        # The attributes the walk read (owner, name, value) that must be the same object
        # again; bound methods, new objects on every access, as (owner, name, function,
        # instance).
        self.reads = tuple(read for read in reads if read[2].__class__ is not MethodType)
        self.method_reads = tuple(
            (owner, attr, value.__func__, value.__self__)
            for owner, attr, value in reads
            if value.__class__ is MethodType
        )
        self.func = func
        # What Dispatcher.__call__ makes of the virtual path.
        self.args = tuple(segment.replace("%2F", "/") for segment in vpath)
        self.entry = entry
        self.pipeline = entry.pipeline
        self.is_index = is_index
        self.route = route  # the walk's script name is this application's fixed one
        self.full_path = self.script_name + path
        self.plain_before_handler = _plain_before_handler(self.pipeline, path, is_index)
        # What installing the pipeline sets besides the hooks, when that is all it does
        # (None: the route calls Pipeline.install).
        self.request_attrs: tuple[tuple[str, Any], ...] | None = (
            self.pipeline.request_attrs if self.pipeline.only_hooks_and_attributes else None
        )
        # Whether the lane (CPWSGIApp.serve_lane) may serve the path: no hook on the way of a
        # successful request but CherryPy's default before_handler tools (a path without a
        # handler too: the lane raises its 404 and hands the request back).
        hooks = self.pipeline.hooks
        self.lane = (
            self.request_attrs is not None
            and self.plain_before_handler is not None
            and not any(hooks.get(point) for point in _LANE_FREE_POINTS)
        )
        # Whether the lane serves the path with its hooks (a pipeline of hooks and request
        # attributes whose tools attach more than the lane does without them).
        self.hooked = self.request_attrs is not None and not self.lane

    def lane_handler(self, request: Any) -> Any:
        """The handler objects the general path makes for a request to this route, for a
        request the lane served without them (``request.handler`` makes them on first use):
        the page handler wrapped in the ``tools.encode`` encoder (a lane's path has it on)."""
        page: Any
        if self.func is None:  # no handler at the path: its 404 stands in for one
            page = NotFound(request.script_name + request.path_info)
        else:
            page = LateParamPageHandler.__new__(LateParamPageHandler)
            page.callable = self.func
            page._kwargs = request.__dict__.get("kwargs", {})  # what request.kwargs was set to
        encoder_class = DEFAULT_TOOLS["encode"]
        encoder = encoder_class.__new__(encoder_class)
        encoder.attempted_charsets = set()
        encoder.oldhandler = page
        return encoder

    def lane_encode(self, request: Any, result: Any) -> Any:
        """What ``tools.encode`` makes of ``result``, the page handler's return value, for a
        request the lane hands back to the general path."""
        encoder = request.handler
        if encoder.__class__ is not DEFAULT_TOOLS["encode"]:  # the page assigned its own
            encoder = self.lane_handler(request)
        return encoder._encode_result(result)

    def current(self) -> bool:
        """Whether the route still stands: same generations, same objects along the walk."""
        plugins, config = self.generations
        if plugins != _pipeline._generation or config != _config._generation:
            return False
        # Each attribute the walk read, read again: the same object (identity, never
        # equality: an equal but new object in the tree is another handler's owner) ...
        # (a loop: for the few reads of a path, map() and all() cost more in the iterator
        # objects they make than they save)
        for owner, attr, value in self.reads:
            if getattr(owner, attr, None) is not value:
                return False
        # ... or a bound method of the same function and instance.
        for owner, attr, function, instance in self.method_reads:
            found = getattr(owner, attr, None)
            if (
                found.__class__ is not MethodType
                or found.__func__ is not function
                or found.__self__ is not instance
            ):
                return False
        return True


def _plain_before_handler(
    pipeline: Any, path: str, is_index: bool | None
) -> tuple[Any, ...] | None:
    """The ``before_handler`` hooks of ``pipeline`` when they are CherryPy's defaults, which
    a route runs without the hook machinery: ``tools.trailing_slash`` with its default
    arguments, on a path where it has nothing to do, then ``tools.encode`` with its own."""
    hooks = pipeline.hooks.get("before_handler", ())
    if len(hooks) != 2:
        return None
    slash, encode = hooks
    if (
        slash.__class__ is not Hook
        or encode.__class__ is not Hook
        or slash.callback is not DEFAULT_TOOLS.get("trailing_slash")
        or slash.kwargs
        or encode.callback is not DEFAULT_TOOLS.get("encode")
        or encode.kwargs
        or slash.priority > encode.priority
    ):
        return None
    if is_index is True and not path.endswith("/"):
        return None  # trailing_slash redirects here
    return hooks


_LANE_FREE_POINTS = (
    "on_start_resource",
    "before_request_body",
    "before_finalize",
    "on_end_resource",
    "on_end_request",
)
"""Hook points a path must have no hooks at for the lane to serve it (``before_handler`` must
have CherryPy's defaults; the error points are the general path's business)."""


NEVER: Any = object()
"""What :func:`compile_route` answers when the path cannot have a route while the config and
plugin generations stay the same (so the caller need not ask again until they change)."""


def generations() -> tuple[int, int]:
    """The (plugin, config) generations a route is compiled under."""
    return (_pipeline._generation, _config._generation)


def compile_route(app: Application, path: str, script_name: str) -> Any:
    """The :class:`CompiledRoute` of ``path`` (a PATH_INFO under ``script_name``) once a
    request has been served there.  :data:`NEVER` when the general path must serve it under
    the current generations (another dispatcher, an application, request or response class of
    one's own, a script name read from the environ, a path the server sent in another form);
    None when it may have one later (the walk is not cached yet, or called ``_cp_dispatch``)."""
    if (
        app.__class__ not in APPLICATION_CLASSES
        or app.request_class is not Request
        or app.response_class is not Response
        or app._script_name is None
        or script_name != app._script_name
        or not path.startswith("/")
        or "//" in path
        or not path.isascii()
    ):
        return NEVER
    dispatcher = app.find_config(path, "request.dispatch", Request.dispatch)
    if dispatcher.__class__ is not Dispatcher:
        return NEVER
    hit = walk_cache_entry(dispatcher, app, path)
    if hit is None or hit[4].pipeline is None:
        return None
    return CompiledRoute(app, path, hit)
