"""Compile per-path request pipelines once and cache them.

CherryPy applies a path's config to every request: it walks the ``tools``, ``hooks``,
``request``, ``response`` and ``error_page`` namespaces and asks each switched-on tool to attach
its hooks.  That work depends only on the path's merged config, so the kernel does it once per
(application, config trail, generation) and caches the result as a :class:`Pipeline`: the
sorted hooks of each phase, the request/response attributes to set, error pages, and the
tools' collected arguments.  A request installs a pipeline with a few attribute assignments and
makes no pluggy call.

Tools compile from explicit arguments: :meth:`~cherrypy.kernel.tools.Tool.compile` receives
the path's settings and a :class:`~cherrypy.kernel.tools.PipelineBuilder`.  Only a tool that
overrides CherryPy's ``_setup`` (a user's legacy tool) is run against recording stand-ins of
the request and response; if it reads live request data (a path, a header) it is detected and
set up per request instead, as CherryPy does.  So are custom config namespaces, whose
handlers may have side effects the kernel cannot record.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cherrypy.kernel import config as _config
from cherrypy.kernel.context import serving
from cherrypy.kernel.requesthooks import HOOKPOINTS, Hook, HookMap
from cherrypy.kernel.runtime import boot
from cherrypy.kernel.selection import normalize
from cherrypy.kernel.tools import PipelineBuilder, Tool, Toolbox, on_tools_changed

if TYPE_CHECKING:
    from cherrypy.kernel.tree import Application

__all__ = [
    "NeedsLiveRequest",
    "Pipeline",
    "compile_pipeline",
    "entry_for_config",
    "entry_for_sources",
    "error_page_namespace",
    "hooks_namespace",
    "invalidate",
    "request_namespace",
    "response_namespace",
    "stats",
]

MAX_ENTRIES = 2048

_generation = 0
_cache: dict[Any, Any] = {}
_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0, "compiles": 0}


def invalidate() -> None:
    """Drop every compiled pipeline (config updates, mounts and plugin changes call this)."""
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


on_tools_changed(invalidate)


def stats() -> dict[str, int]:
    """Cache counters, for benchmarks and tests."""
    return dict(_stats, entries=len(_cache), generation=_generation)


class NeedsLiveRequest(AttributeError):
    """Raised at compile time when a tool's ``_setup`` reads per-request data."""


# -- config namespace handlers of the request scope ------------------------------------------


def hooks_namespace(key: str, value: Any) -> None:
    """``hooks.<point>[.<anything>] = callable`` attaches a bare hook."""
    point = key.split(".", 1)[0]
    if isinstance(value, str):
        from cherrypy.kernel.reprconf import attributes

        value = attributes(value)
    if not isinstance(value, Hook):
        value = Hook(value)
    serving.request.hooks[point].append(value)


def request_namespace(key: str, value: Any) -> None:
    """``request.<attr> = value`` sets a request attribute; ``request.body.<attr>`` one of its body."""
    if key.startswith("body."):
        setattr(serving.request.body, key[5:], value)
    else:
        setattr(serving.request, key, value)


def response_namespace(key: str, value: Any) -> None:
    """``response.<attr> = value``; ``response.headers.<Name> = value`` sets a default header."""
    if key.startswith("headers."):
        serving.response.headers[key.split(".", 1)[1]] = value
    else:
        setattr(serving.response, key, value)


def error_page_namespace(key: str, value: Any) -> None:
    """``error_page.<code> = path or callable`` (or ``error_page.default``)."""
    if key != "default":
        key = int(key)  # type: ignore[assignment]
    serving.request.error_page[key] = value


def plugins_namespace(key: str, value: Any) -> None:
    """``plugins.NAME.on`` (and the global ``plugins.*`` keys): read when compiling, not here."""


BUILTIN_NAMESPACE_HANDLERS = (
    plugins_namespace,
    hooks_namespace,
    request_namespace,
    response_namespace,
    error_page_namespace,
)


# -- recording stand-ins used while compiling -------------------------------------------------


class _Recorder:
    """Records attribute assignments; refuses reads of anything not prepared."""

    _allowed: tuple[str, ...] = ()

    def __init__(self, **prepared: Any) -> None:
        object.__setattr__(self, "_prepared", dict(prepared))
        object.__setattr__(self, "_set", {})

    def __getattr__(self, name: str) -> Any:
        prepared = object.__getattribute__(self, "_prepared")
        if name in prepared:
            return prepared[name]
        assigned = object.__getattribute__(self, "_set")
        if name in assigned:
            return assigned[name]
        raise NeedsLiveRequest(name)

    def __setattr__(self, name: str, value: Any) -> None:
        prepared = object.__getattribute__(self, "_prepared")
        if name in prepared and name in ("hooks", "toolmaps", "error_page"):
            prepared[name] = value
            return
        object.__getattribute__(self, "_set")[name] = value


class _HeaderRecorder(dict):
    def __getitem__(self, key: str) -> Any:
        raise NeedsLiveRequest(f"headers[{key!r}]")

    def get(self, key: str, default: Any = None) -> Any:
        raise NeedsLiveRequest(f"headers.get({key!r})")


class Pipeline:
    """What a path's config compiles to; installed on each request for that path."""

    __slots__ = (
        "body_attrs",
        "custom_namespaces",
        "dynamic_tools",
        "error_page",
        "error_response",
        "filled_hooks",
        "hooks",
        "request_attrs",
        "response_attrs",
        "response_headers",
        "toolmaps",
    )

    def __init__(self) -> None:
        self.hooks: dict[str, tuple[Hook, ...]] = {}
        # (the hooks dict, its points that have hooks, their hooks in the same order, the
        # sorted lists of points with three hooks or more): worked out on first use
        self.filled_hooks: tuple[
            Any, tuple[str, ...], tuple[tuple[Hook, ...], ...], dict[str, list[Hook]]
        ] = (None, (), (), {})
        self.toolmaps: dict[str, dict[str, dict[str, Any]]] = {}
        self.request_attrs: tuple[tuple[str, Any], ...] = ()
        self.body_attrs: tuple[tuple[str, Any], ...] = ()
        self.response_attrs: tuple[tuple[str, Any], ...] = ()
        self.response_headers: tuple[tuple[str, Any], ...] = ()
        self.error_page: dict[Any, Any] = {}
        self.error_response: Callable[[], Any] | None = None
        self.dynamic_tools: tuple[tuple[Toolbox, str], ...] = ()
        self.custom_namespaces: tuple[tuple[Any, dict[str, Any]], ...] = ()

    def new_hookmap(self) -> HookMap:
        """A fresh per-request :class:`HookMap` holding this pipeline's sorted hooks."""
        hookmap = dict.__new__(HookMap)
        source, points, lists, presorted = self.filled_hooks
        if source is not self.hooks:
            source = self.hooks
            filled = tuple((point, hooks) for point, hooks in source.items() if hooks)
            points = tuple(point for point, _hooks in filled)
            lists = tuple(hooks for _point, hooks in filled)
            # Points HookMap.run would sort (three hooks or more) get the sorted list to
            # compare with, so an untouched point is not sorted again on every request.
            presorted = {point: list(hooks) for point, hooks in filled if len(hooks) > 2}
            self.filled_hooks = (source, points, lists, presorted)
        # A new list of each point's hooks (a request may attach more), in one C-level pass.
        dict.update(hookmap, zip(points, map(list, lists), strict=True))
        if presorted:
            hookmap._presorted = presorted
        return hookmap

    @property
    def only_hooks_and_attributes(self) -> bool:
        """Whether installing this pipeline only sets ``toolmaps``, the hooks and request
        attributes (what :class:`~cherrypy.kernel.compiled.CompiledRoute` does itself)."""
        return not (
            self.body_attrs
            or self.error_page
            or self.error_response is not None
            or self.response_attrs
            or self.response_headers
            or self.dynamic_tools
            or self.custom_namespaces
        )

    def install(self, request: Any, response: Any) -> None:
        """Apply this pipeline to ``request`` and ``response`` (called once per request)."""
        request.toolmaps = self.toolmaps
        early = request.hooks
        hookmap = request.hooks = self.new_hookmap()
        if early:
            for point, hooks in early.items():
                if hooks:
                    hookmap.setdefault(point, []).extend(hooks)
        for name, value in self.request_attrs:
            setattr(request, name, value)
        if self.body_attrs:
            body = request.body
            for name, value in self.body_attrs:
                setattr(body, name, value)
        if self.error_page:
            request.error_page = dict(self.error_page)
        if self.error_response is not None:
            request.error_response = self.error_response
        for name, value in self.response_attrs:
            setattr(response, name, value)
        if self.response_headers:
            headers = response.headers
            for name, value in self.response_headers:
                headers[name] = value
        for toolbox, name in self.dynamic_tools:
            getattr(toolbox, name)._setup()
        for handler, conf in self.custom_namespaces:
            apply_namespace(handler, conf)

    def describe(self) -> dict[str, Any]:
        """A plain summary (tools on and hooks per phase), for ``python -m cherrypy routes``."""
        return {
            "tools": sorted(
                f"{ns}.{name}"
                for ns, tm in self.toolmaps.items()
                for name, s in tm.items()
                if s.get("on")
            ),
            "hooks": {
                p: [getattr(h.callback, "__qualname__", repr(h.callback)) for h in hs]
                for p, hs in self.hooks.items()
                if hs
            },
        }


def apply_namespace(handler: Any, conf: dict[str, Any]) -> None:
    """Feed ``conf`` (keys without the namespace) to a namespace handler, CherryPy style."""
    exit_ = getattr(handler, "__exit__", None)
    if exit_ is None:
        for key, value in conf.items():
            handler(key, value)
        return
    feed = handler.__enter__()
    try:
        for key, value in conf.items():
            feed(key, value)
    except BaseException:
        if not exit_(*sys.exc_info()):
            raise
    else:
        exit_(None, None, None)


def split_namespaces(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Group ``ns.rest`` keys of ``config`` by namespace."""
    grouped: dict[str, dict[str, Any]] = {}
    for key, value in config.items():
        ns, dot, rest = key.partition(".")
        if dot:
            grouped.setdefault(ns, {})[rest] = value
    return grouped


def compile_pipeline(
    app: Application, path: str, config: dict[str, Any], namespaces: Iterable[tuple[str, Any]]
) -> Pipeline:
    """Compile ``config`` (a path's merged request config) into a :class:`Pipeline`.

    ``namespaces`` are the request-scope (name, handler) pairs in the order they apply.
    """
    _stats["compiles"] += 1
    pipe = Pipeline()
    body = _Recorder()
    request = _Recorder(
        hooks=HookMap(HOOKPOINTS),
        toolmaps={},
        error_page={},
        config=config,
        app=app,
        body=body,
        path_info=None,
    )
    object.__getattribute__(request, "_prepared").pop("path_info")
    response = _Recorder(headers=_HeaderRecorder())
    saved = serving.request, serving.response
    serving.request, serving.response = request, response
    dynamic: list[tuple[Toolbox, str]] = []
    custom: list[tuple[Any, dict[str, Any]]] = []
    try:
        grouped = split_namespaces(config)
        off = plugins_off(grouped.get("plugins"))
        for ns, handler in namespaces:
            conf = grouped.get(ns)
            if isinstance(handler, Toolbox):
                _compile_toolbox(handler, conf or {}, request, dynamic, off)
            elif not conf:
                continue
            elif handler in BUILTIN_NAMESPACE_HANDLERS:
                for key, value in conf.items():
                    handler(key, value)
            else:
                custom.append((handler, conf))
        _add_plugin_phase_hooks(request.hooks, off)
        _call_build_hook(app, path, config, request)
    finally:
        serving.request, serving.response = saved
    hookmap: HookMap = request.hooks
    pipe.hooks = {point: tuple(sorted(hooks)) for point, hooks in hookmap.items()}
    pipe.toolmaps = request.toolmaps
    pipe.error_page = request.error_page
    assigned = dict(object.__getattribute__(request, "_set"))
    pipe.error_response = assigned.pop("error_response", None)
    pipe.request_attrs = tuple(assigned.items())
    pipe.body_attrs = tuple(object.__getattribute__(body, "_set").items())
    pipe.response_attrs = tuple(object.__getattribute__(response, "_set").items())
    pipe.response_headers = tuple(
        dict.items(object.__getattribute__(response, "_prepared")["headers"])
    )
    pipe.dynamic_tools = tuple(dynamic)
    pipe.custom_namespaces = tuple(custom)
    return pipe


def plugins_off(conf: dict[str, Any] | None) -> frozenset[str]:
    """The normalized plugin names ``plugins.NAME.on`` switches off in a path's config."""
    if not conf:
        return frozenset()
    return frozenset(
        normalize(key[: -len(".on")])
        for key, value in conf.items()
        if key.endswith(".on") and not key.startswith("prefer.") and not value
    )


def _switched_off(module_or_plugin: str, off: frozenset[str], by_module: bool) -> bool:
    hooks = boot()
    provider = (
        hooks.plugin_of_module(module_or_plugin)
        if by_module
        else hooks.plugin_named(module_or_plugin)
    )
    if provider is None:
        return False
    name, distribution = provider
    return normalize(name) in off or (distribution is not None and normalize(distribution) in off)


def _compile_toolbox(
    toolbox: Toolbox,
    conf: dict[str, Any],
    request: Any,
    dynamic: list[tuple[Toolbox, str]],
    off: frozenset[str] = frozenset(),
) -> None:
    toolmap: dict[str, dict[str, Any]] = {}
    for key, value in conf.items():
        toolname, _, arg = key.partition(".")
        toolmap.setdefault(toolname, {})[arg] = value
    request.toolmaps[toolbox.namespace] = toolmap
    hooks: HookMap = request.hooks
    builder = PipelineBuilder(request)
    for name, settings in toolmap.items():
        if not settings.get("on", False):
            continue
        if off:
            offers = toolbox.offers(name)
            if offers and _switched_off(offers[-1][0], off, by_module=True):
                continue
        tool = getattr(toolbox, name)
        before = {point: len(lst) for point, lst in hooks.items()}
        assigned_before = dict(object.__getattribute__(request, "_set"))
        try:
            if type(tool)._setup is Tool._setup and "_setup" not in vars(tool):
                # The explicit path: the tool compiles from its settings.
                explicit = dict(settings)
                explicit.pop("on", None)
                tool.compile(builder, explicit)
            else:
                # A legacy tool that overrides _setup: run it against the recorder.
                tool._setup()
        except NeedsLiveRequest:
            for point, count in before.items():
                del hooks[point][count:]
            object.__setattr__(request, "_set", assigned_before)
            dynamic.append((toolbox, name))


def _add_plugin_phase_hooks(hookmap: HookMap, off: frozenset[str] = frozenset()) -> None:
    hooks = boot()
    for point in HOOKPOINTS:
        for plugin_name, impl in hooks.named_phase_impls(point):
            if off and _switched_off(plugin_name, off, by_module=False):
                continue
            hookmap[point].append(Hook(impl))


def _call_build_hook(app: Application, path: str, config: dict[str, Any], request: Any) -> None:
    from cherrypy.kernel.runtime import boot

    boot().build_pipeline(app=app, path=path, config=config, pipeline=PipelineBuilder(request))


# -- the cache ---------------------------------------------------------------------------------


def _config_generation() -> int:
    return _config.generation()


class Entry:
    """A cached config trail: its merged config and, once compiled, its pipeline."""

    __slots__ = ("config", "path", "pipeline", "sources")

    def __init__(self, sources: tuple[Any, ...], config: dict[str, Any], path: str) -> None:
        self.sources = sources
        self.config = config
        self.path = path
        self.pipeline: Pipeline | None = None

    def get_pipeline(
        self, app: Application, namespaces_of: Callable[[], Iterable[tuple[str, Any]]]
    ) -> Pipeline:
        """The compiled pipeline of this entry (compiled on first use)."""
        pipe = self.pipeline
        if pipe is None:
            pipe = self.pipeline = compile_pipeline(app, self.path, self.config, namespaces_of())
        return pipe


def _store(key: Any, entry: Entry) -> None:
    if len(_cache) >= MAX_ENTRIES:
        _cache.clear()
    _cache[key] = entry


def entry_for_sources(app: Application, sources: tuple[dict[str, Any], ...], path: str) -> Entry:
    """Return the cache entry for config ``sources`` merged in order (default dispatcher).

    Keyed by the identity of the source dicts plus the generations; the entry keeps the
    sources alive so their ids cannot be reused while it is cached.
    """
    key = (id(app), _generation, _config.generation(), *map(id, sources))
    entry = _cache.get(key)
    if entry is not None:
        _stats["hits"] += 1
        return entry
    _stats["misses"] += 1
    merged: dict[str, Any] = {}
    for source in sources:
        merged.update(source)
    entry = Entry(sources, merged, path)
    _store(key, entry)
    return entry


def entry_for_config(app: Application, config: dict[str, Any], path: str) -> Entry:
    """Return the cache entry for an already merged ``config`` (custom dispatchers)."""
    values = tuple(config.values())
    key = (id(app), _generation, _config_generation(), "cfg", tuple(config), *map(id, values))
    entry = _cache.get(key)
    if entry is not None:
        _stats["hits"] += 1
        return entry
    _stats["misses"] += 1
    entry = Entry(values, dict(config), path)
    _store(key, entry)
    return entry
