"""Plugin discovery and the plugin manager.

Plugins are found in the ``cherrypy.plugins`` entry-point group and registered with one
:class:`CherryPyPluginManager`, shared by the whole process (:func:`get_plugin_manager`).
Nothing is loaded when this module is imported: the first caller of :func:`ensure_loaded`
loads every entry point once, under a lock, then verifies that every hook implementation
matches a specification.

The kernel talks to plugins only through :class:`PluginHooks` (``get_hooks()``), which has one
typed method per hook.  Its registration methods record their call (the hooks are historic), so
they may run before plugins are loaded; every other method loads plugins first.

Environment switches, read when plugins are loaded:

``CHERRYPY_PLUGINS``
    Comma-separated entry-point (or distribution) names: load only these.  Set but empty: load
    none.
``CHERRYPY_BLOCK_PLUGINS``
    Comma-separated entry-point (or distribution) names to skip.
``CHERRYPY_DISABLE_PLUGIN_AUTOLOAD``
    When true (``1``, ``true``, ``yes``, ``on``), load no entry point at all.  Built-in plugins
    registered with :func:`register_builtin` are unaffected.
``CHERRYPY_TRACE_PLUGINS``
    When true, write a trace of every hook call to stderr (read when the manager is created).
"""

from __future__ import annotations

import difflib
import functools
import inspect
import operator
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .entrypoints import PluginLoadWarning, clear_cache, distribution_version, iter_entry_points
from .hookspecs import (
    ENGINE_CHANNELS,
    PLUGIN_API_ATTRIBUTE,
    PLUGIN_API_VERSION,
    PROJECT_NAME,
    REQUEST_PHASES,
)
from .selection import (
    ENV_BLOCK,
    ENV_DISABLE_AUTOLOAD,
    ENV_ONLY,
    ENV_STRICT,
    ENV_TRACE,
    env_flag,
    skip_reason,
)

if TYPE_CHECKING:
    from .bus import Bus
    from .configkeys import KeyDeclarer
    from .tools import PipelineBuilder, Toolbox
    from .tree import Application

__all__ = [
    "ENV_BLOCK",
    "ENV_DISABLE_AUTOLOAD",
    "ENV_ONLY",
    "ENV_TRACE",
    "KERNEL_DISTRIBUTION",
    "PLUGINS_GROUP",
    "CherryPyPluginManager",
    "FailedPlugin",
    "IncompatiblePluginError",
    "PluginHooks",
    "PluginInfo",
    "PluginLoadWarning",
    "PluginSource",
    "PluginValidationWarning",
    "PluginWarningRecord",
    "SkippedPlugin",
    "api_range_problem",
    "ensure_loaded",
    "failed_plugins",
    "get_hooks",
    "get_plugin_manager",
    "iter_entry_points",
    "list_plugins",
    "plugin_problems",
    "plugins_generation",
    "register_builtin",
    "reset_for_tests",
]

PLUGINS_GROUP = "cherrypy.plugins"
"""Entry-point group whose entries are registered with the plugin manager."""

KERNEL_DISTRIBUTION = "cherrypy-kernel"
"""The distribution that built-in plugins are reported under."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class PluginSource:
    """Where a registered plugin came from."""

    name: str
    distribution: str | None
    version: str | None
    module: str | None = None
    builtin: bool = False
    api_range: str | None = None
    """The plugin API range the plugin declares (``CHERRYPY_PLUGIN_API``), if any."""


class IncompatiblePluginError(Exception):
    """A plugin declares a plugin API range this kernel is outside of (it is not loaded)."""


def api_range_problem(declared: object) -> str | None:
    """Why a plugin declaring ``declared`` cannot load here, or None when it can.

    ``declared`` is the plugin's ``CHERRYPY_PLUGIN_API``: a version specifier such as
    ``">=1.0,<2"`` that :data:`~cherrypy.kernel.hookspecs.PLUGIN_API_VERSION` must satisfy.
    Plain comparisons of release numbers are decided here; anything else by ``packaging``.
    """
    if not isinstance(declared, str):
        return f"its {PLUGIN_API_ATTRIBUTE} must be a version specifier string, not {declared!r}"
    return _range_problem(declared)


@functools.lru_cache(maxsize=64)
def _range_problem(declared: str) -> str | None:
    satisfied = _simple_range_contains(declared, PLUGIN_API_VERSION)
    if satisfied is None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            specifier = SpecifierSet(declared)
        except InvalidSpecifier:
            return f"its {PLUGIN_API_ATTRIBUTE} {declared!r} is not a version specifier"
        satisfied = specifier.contains(PLUGIN_API_VERSION, prereleases=True)
    if not satisfied:
        return (
            f"it supports plugin API {declared}, "
            f"but this kernel provides plugin API {PLUGIN_API_VERSION}"
        )
    return None


_CLAUSE = re.compile(r"\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*")
_COMPARE: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}


def _simple_range_contains(declared: str, version: str) -> bool | None:
    """``version`` in ``declared`` for plain clauses (``>=1.0,<2``); None for anything else."""

    def key(text: str) -> tuple[int, ...]:
        parts = [int(part) for part in text.split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return tuple(parts)

    wanted = key(version)
    for clause in declared.split(","):
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            return None
        if not _COMPARE[match.group(1)](wanted, key(match.group(2))):
            return False
    return True


class PluginValidationWarning(PluginLoadWarning):
    """A loaded plugin has a mistake load-time validation can see (an unmarked hook function,
    a tool on an unknown hook point); an error in strict mode (``CHERRYPY_STRICT_PLUGINS``)."""


@dataclass(frozen=True)
class PluginWarningRecord:
    """One finding of load-time validation about a plugin that loaded."""

    name: str
    distribution: str | None
    version: str | None
    problem: str

    @property
    def message(self) -> str:
        """One line naming the plugin, its distribution and version, and the problem."""
        origin = (
            f"distribution '{self.distribution} {self.version}'"
            if self.distribution
            else "an unknown distribution"
        )
        return f"cherrypy plugin '{self.name}' from {origin}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {**asdict(self), "message": self.message}


def _trace(line: str) -> None:
    """With ``CHERRYPY_TRACE_PLUGINS``: say on stderr what was loaded or skipped, and why."""
    if env_flag(ENV_TRACE):
        sys.stderr.write(f"cherrypy plugins: {line}\n")


def plugin_problems(plugin: Any) -> list[str]:
    """What load-time validation finds wrong in a plugin object (usually its module).

    * a function named ``cherrypy_*`` that is not marked with ``@hookimpl`` (pluggy ignores
      it, so the plugin silently does nothing there);
    * a tool (a module attribute) attached to a hook point that does not exist, such as
      ``before_finalise``.
    """
    from .tools import Tool

    found = []
    marker = PROJECT_NAME + "_impl"
    for attr in sorted(dir(plugin)):
        if not attr.startswith("cherrypy_"):
            continue
        value = getattr(plugin, attr, None)
        if callable(value) and not hasattr(value, marker):
            found.append(f"{attr} is not marked with @hookimpl, so it is never called")
    for attr, value in sorted(vars(plugin).items()) if hasattr(plugin, "__dict__") else ():
        if isinstance(value, Tool):
            point = value._point
            if point is not None and point not in REQUEST_PHASES:
                close = difflib.get_close_matches(point, REQUEST_PHASES, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                found.append(f"tool {attr} attaches to unknown hook point {point!r}{hint}")
    return found


@dataclass(frozen=True)
class SkippedPlugin:
    """An installed entry-point plugin that was not loaded (blocked, disabled, not selected)."""

    name: str
    distribution: str | None
    version: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return asdict(self)


@dataclass(frozen=True)
class FailedPlugin:
    """An entry-point plugin that could not be imported or registered."""

    name: str
    distribution: str | None
    version: str | None
    error: BaseException

    @property
    def message(self) -> str:
        """The warning text naming the plugin, its distribution and the error."""
        if self.distribution is None:
            origin = "an unknown distribution"
        else:
            origin = f"distribution '{self.distribution} {self.version}'"
        error = f"{type(self.error).__name__}: {self.error}"
        return f"cherrypy plugin '{self.name}' from {origin} failed to load: {error}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "error": f"{type(self.error).__name__}: {self.error}",
        }


@dataclass(frozen=True)
class PluginInfo:
    """What one registered plugin is and provides (see :func:`list_plugins`)."""

    name: str
    distribution: str | None
    version: str | None
    module: str | None
    builtin: bool
    hooks: tuple[str, ...]
    tools: tuple[str, ...] = ()
    dispatchers: tuple[str, ...] = ()
    session_backends: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    """Errors raised by the plugin's registration hooks while they were being inspected."""
    api_range: str | None = None
    """The plugin API range it declares; None for built-ins and plugins that declare none."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }


class _ToolboxRecorder:
    """Stands in for the toolbox and notes the names of the tools a plugin sets."""

    namespace = "tools"
    _names: list[str]

    def __init__(self, names: list[str]) -> None:
        object.__setattr__(self, "_names", names)

    def __setattr__(self, name: str, value: Any) -> None:
        self._names.append(name)

    def __setitem__(self, name: str, value: Any) -> None:
        self._names.append(name)

    def register(self, point: Any = None, **kwargs: Any) -> Callable[[Any], Any]:
        def decorate(func: Any) -> Any:
            self._names.append(kwargs.get("name", getattr(func, "__name__", repr(func))))
            return func

        return decorate


def _describe_plugin(
    name: str, plugin: Any, source: PluginSource | None, callers: list[pluggy.HookCaller]
) -> PluginInfo:
    """Build the :class:`PluginInfo` of a plugin by calling its registration hooks directly.

    The hooks receive recording stand-ins, not the kernel's registries, and the calls bypass
    pluggy so they leave no trace in the historic call records.
    """
    tools: list[str] = []
    dispatchers: list[str] = []
    backends: list[str] = []
    errors: list[str] = []
    arguments: dict[str, dict[str, Any]] = {
        "cherrypy_register_tools": {"toolbox": _ToolboxRecorder(tools)},
        "cherrypy_register_dispatchers": {"register": lambda key, value: dispatchers.append(key)},
        "cherrypy_register_session_backends": {"register": lambda key, value: backends.append(key)},
    }
    for caller in callers:
        kwargs = arguments.get(caller.name)
        if kwargs is None:
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames if arg in kwargs})
            except Exception as exc:
                errors.append(f"{caller.name}: {type(exc).__name__}: {exc}")
    if isinstance(plugin, ModuleType):
        module = plugin.__name__
    else:
        module = getattr(plugin, "__module__", None) or type(plugin).__module__
    return PluginInfo(
        name=name,
        distribution=source.distribution if source else None,
        version=source.version if source else None,
        module=source.module if source and source.module else module,
        builtin=bool(source and source.builtin),
        hooks=tuple(sorted(caller.name for caller in callers)),
        tools=tuple(tools),
        dispatchers=tuple(dispatchers),
        session_backends=tuple(backends),
        errors=tuple(errors),
        api_range=source.api_range if source else None,
    )


# --------------------------------------------------------------------------- generation

_generation = 0
_generation_lock = threading.Lock()


def plugins_generation() -> int:
    """A counter bumped on every plugin registration or removal (for pipeline caches)."""
    return _generation


def _bump_generation() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


# --------------------------------------------------------------------------- the manager


class CherryPyPluginManager(pluggy.PluginManager):
    """The pluggy plugin manager of the ``cherrypy`` project.

    Knows every hookspec of :mod:`cherrypy.kernel.hookspecs`, loads the ``cherrypy.plugins``
    entry points on demand, and remembers where each plugin came from and which failed.
    """

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.failed_plugins: list[FailedPlugin] = []
        """Entry-point plugins that could not be imported or registered, in load order."""
        self.skipped_plugins: list[SkippedPlugin] = []
        """Installed entry-point plugins that were not loaded, with the reason."""
        self.plugin_warnings: list[PluginWarningRecord] = []
        """What load-time validation found in plugins that loaded anyway."""
        self.sources: dict[str, PluginSource] = {}
        """Registered plugin name -> where it came from (entry point or built-in)."""
        self.hooks = PluginHooks(self)
        """The typed facade the kernel calls hooks through."""
        self._load_lock = threading.RLock()
        self._loaded = False
        self._loading = False
        self._undo_tracing: Callable[[], None] | None = None
        if env_flag(ENV_TRACE):
            self.enable_stderr_tracing()
        self.hook.cherrypy_addhooks.call_historic(kwargs={"pluginmanager": self})

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        """Skip module attributes that cannot be hook implementations before pluggy looks.

        pluggy inspects every attribute of a plugin module; most are classes, constants and
        imported modules, never functions marked with ``@hookimpl``.
        """
        if isinstance(plugin, ModuleType) and not inspect.isroutine(vars(plugin).get(name)):
            return None
        return super().parse_hookimpl_opts(plugin, name)

    @property
    def loaded(self) -> bool:
        """Whether the entry-point plugins have been loaded."""
        return self._loaded

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        """Register ``plugin`` (see :meth:`pluggy.PluginManager.register`).

        Also rejects wrapper implementations of request-phase hooks, which are read as plain
        callables, and bumps :func:`plugins_generation`.
        """
        registered = super().register(plugin, name)
        if registered is None:
            return None
        _bump_generation()
        for caller in self.get_hookcallers(plugin) or ():
            if caller.name.removeprefix("cherrypy_") not in REQUEST_PHASES:
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                    self.unregister(name=registered)
                    raise pluggy.PluginValidationError(
                        plugin, f"request phase hook {caller.name!r} cannot be a wrapper"
                    )
        return registered

    def unregister(self, plugin: Any | None = None, name: str | None = None) -> Any | None:
        """Unregister a plugin (see :meth:`pluggy.PluginManager.unregister`)."""
        if name is None and plugin is not None:
            name = self.get_name(plugin)
        removed = super().unregister(plugin, name)
        if removed is not None:
            _bump_generation()
            self.sources.pop(name or "", None)
        return removed

    def register_builtin(self, plugin: Any, name: str) -> str:
        """Register one of the kernel's own plugins under ``name``; idempotent.

        Its hooks are checked at once: a misspelled hook name raises
        :class:`pluggy.PluginValidationError` here rather than at load time.
        """
        if self.get_plugin(name) is plugin:
            return name
        registered = self.register(plugin, name)
        if registered is None:
            raise ValueError(f"built-in plugin name {name!r} is blocked")
        self.sources[name] = PluginSource(
            name, KERNEL_DISTRIBUTION, _kernel_version(), builtin=True
        )
        for caller in self.get_hookcallers(plugin) or ():
            if not caller.has_spec() and any(
                impl.plugin is plugin and not impl.optionalhook for impl in caller.get_hookimpls()
            ):
                self.unregister(name=name)
                raise pluggy.PluginValidationError(plugin, self._unknown_hook_message(caller.name))
        return name

    def load_entrypoint_plugins(self) -> None:
        """Load the ``cherrypy.plugins`` entry points once, then run :meth:`check_pending`.

        Thread-safe and idempotent.  A call made while loading is in progress on the same
        thread (a plugin importing something that needs plugins) returns at once.
        """
        if self._loaded:
            return
        with self._load_lock:
            if self._loaded or self._loading:
                return
            self._loading = True
            try:
                for entry_point in self._selected_entry_points():
                    self._load_entry_point(entry_point)
                self._reject_unknown_hooks()
            finally:
                self._loading = False
                self._loaded = True
            self.check_pending()

    def _selected_entry_points(self) -> Iterable[metadata.EntryPoint]:
        """The entry points to load; the others are recorded in :attr:`skipped_plugins`."""
        for entry_point in iter_entry_points(PLUGINS_GROUP):
            reason = skip_reason(entry_point)
            if reason is None:
                yield entry_point
                continue
            dist = entry_point.dist
            skipped = SkippedPlugin(
                entry_point.name,
                dist.name if dist is not None else None,
                dist.version if dist is not None else None,
                reason,
            )
            self.skipped_plugins.append(skipped)
            _trace(f"skipped {skipped.name} ({skipped.distribution} {skipped.version}): {reason}")

    def _load_entry_point(self, entry_point: metadata.EntryPoint) -> None:
        dist = entry_point.dist
        source = PluginSource(
            name=entry_point.name,
            distribution=dist.name if dist is not None else None,
            version=dist.version if dist is not None else None,
            module=entry_point.value,
        )
        try:
            plugin = entry_point.load()
        except Exception as exc:
            self._record_failure(source, exc)
            return
        declared = getattr(plugin, PLUGIN_API_ATTRIBUTE, None)
        if declared is not None:
            problem = api_range_problem(declared)
            if problem is not None:
                self._record_failure(source, IncompatiblePluginError(problem))
                return
            source = replace(source, api_range=declared)
        try:
            registered = self.register(plugin, name=entry_point.name)
        except Exception as exc:
            if self.get_plugin(entry_point.name) is plugin:
                # A historic replay raised half-way through registration: undo it.
                self.unregister(name=entry_point.name)
            self._record_failure(source, exc)
            return
        if registered is None:
            return
        self.sources[registered] = source
        _trace(
            f"loaded {registered} ({source.distribution} {source.version}) from {source.module}"
            + (f", plugin API {source.api_range}" if source.api_range else "")
        )
        problems = plugin_problems(plugin)
        if not problems:
            return
        if env_flag(ENV_STRICT):
            self.unregister(name=registered)
            self._record_failure(
                source, PluginValidationWarning("; ".join(problems) + f" (strict: {ENV_STRICT})")
            )
            return
        for problem in problems:
            warning = PluginWarningRecord(source.name, source.distribution, source.version, problem)
            self.plugin_warnings.append(warning)
            warnings.warn(warning.message, PluginValidationWarning, stacklevel=2)

    def _reject_unknown_hooks(self) -> None:
        """Unregister entry-point plugins that implement hooks nobody specified."""
        offenders: dict[str, str] = {}
        for hook_name, caller in list(vars(self.hook).items()):
            if hook_name.startswith("_") or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                source = self.sources.get(impl.plugin_name)
                if impl.optionalhook or source is None or source.builtin:
                    continue
                offenders.setdefault(impl.plugin_name, hook_name)
        for plugin_name, hook_name in offenders.items():
            source = self.sources[plugin_name]
            plugin = self.unregister(name=plugin_name)
            error = pluggy.PluginValidationError(plugin, self._unknown_hook_message(hook_name))
            self._record_failure(source, error)

    def _record_failure(self, source: PluginSource, error: BaseException) -> None:
        failure = FailedPlugin(source.name, source.distribution, source.version, error)
        _trace(f"failed: {failure.message}")
        self.failed_plugins.append(failure)
        warnings.warn(failure.message, PluginLoadWarning, stacklevel=2)

    def _unknown_hook_message(self, hook_name: str) -> str:
        known = [
            name
            for name, caller in vars(self.hook).items()
            if not name.startswith("_") and caller.has_spec()
        ]
        close = difflib.get_close_matches(hook_name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown hook {hook_name!r} (no such hook specification){hint}"

    def enable_stderr_tracing(self) -> None:
        """Write a trace of every hook call (arguments and results) to ``sys.stderr``."""
        if self._undo_tracing is None:
            self.trace.root.setwriter(lambda text: sys.stderr.write(text))
            self._undo_tracing = self.enable_tracing()

    def list_plugins(self) -> list[PluginInfo]:
        """Describe every registered plugin, in registration order (does not load any)."""
        infos = []
        for name, plugin in self.list_name_plugin():
            if plugin is None:
                continue
            callers = self.get_hookcallers(plugin) or []
            infos.append(_describe_plugin(name, plugin, self.sources.get(name), callers))
        return infos


def _kernel_version() -> str | None:
    return distribution_version(KERNEL_DISTRIBUTION)


# --------------------------------------------------------------------------- facade


class PluginHooks:
    """Typed calls into plugins, one method per hook.

    Registration methods record a historic call and never load plugins, so they are safe to
    call early; plugins loaded later receive the same call.  The other methods load plugins
    first (see :func:`ensure_loaded`).
    """

    def __init__(self, manager: CherryPyPluginManager) -> None:
        self._manager = manager
        self._hook = manager.hook

    def has_impls(self, hook_name: str) -> bool:
        """Whether any registered plugin implements ``hook_name`` (does not load plugins)."""
        caller = getattr(self._hook, hook_name, None)
        return bool(caller is not None and caller.get_hookimpls())

    # registration (historic)

    def register_tools(self, toolbox: Toolbox) -> None:
        """Let every plugin add its tools to ``toolbox``."""
        self._hook.cherrypy_register_tools.call_historic(kwargs={"toolbox": toolbox})

    def register_dispatchers(self, register: hookspecs.RegisterDispatcher) -> None:
        """Let every plugin offer dispatchers through ``register(name, factory)``."""
        self._hook.cherrypy_register_dispatchers.call_historic(kwargs={"register": register})

    def config_namespaces(self, namespaces: MutableMapping[str, Any], scope: str) -> None:
        """Let every plugin add config namespace handlers for ``scope``."""
        if scope not in ("global", "app", "request"):
            raise ValueError(f"unknown config scope {scope!r}")
        self._hook.cherrypy_config_namespaces.call_historic(
            kwargs={"namespaces": namespaces, "scope": scope}
        )

    def engine_setup(self, engine: Bus) -> None:
        """Let every plugin attach its engine plugins to ``engine``."""
        self._hook.cherrypy_engine_setup.call_historic(kwargs={"engine": engine})

    def config_keys(self, declarer_for: Callable[[str | None], KeyDeclarer]) -> list[str]:
        """Let every plugin declare the config keys it reads; return the errors raised.

        Loads plugins first.  Each implementation is called directly (not as a historic
        pluggy call, so that asking again does not grow pluggy's call history), in
        registration order, with ``checker=declarer_for(distribution)``: the declarer that
        credits the plugin's distribution (see :mod:`cherrypy.kernel.configkeys`).  A failing
        implementation is reported in the returned list and does not stop the others.
        """
        self._manager.load_entrypoint_plugins()
        errors = []
        for impl in reversed(self._hook.cherrypy_config_keys.get_hookimpls()):
            source = self._manager.sources.get(impl.plugin_name)
            distribution = source.distribution if source else impl.plugin_name
            kwargs = {"checker": declarer_for(distribution)}
            try:
                impl.function(**{name: kwargs[name] for name in impl.argnames if name in kwargs})
            except Exception as exc:
                errors.append(f"{impl.plugin_name}: {type(exc).__name__}: {exc}")
        return errors

    def check_config(
        self, path: str, section: Mapping[str, Any], report: Callable[[str, str], None]
    ) -> None:
        """Let every plugin check a config section (``cherrypy_check_config``)."""
        self._manager.load_entrypoint_plugins()
        self._hook.cherrypy_check_config(path=path, section=section, report=report)

    # factories (firstresult)

    def error_page(self, status: str, message: str, traceback: str, version: str) -> str | None:
        """An error page rendered by a plugin, or ``None`` for the kernel's default."""
        self._manager.load_entrypoint_plugins()
        result: str | None = self._hook.cherrypy_error_page(
            status=status, message=message, traceback=traceback, version=version
        )
        return result

    # engine events

    def engine_event(
        self, channel: str, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> list[Any]:
        """Relay an engine bus ``channel`` to its hook; channels without a hook are ignored.

        Positional ``args`` bind to the hookspec's parameters in order (``start_thread``
        takes ``thread_index``, ``log`` takes ``msg, level``).  Returns the hook results.
        """
        hook_name = ENGINE_CHANNELS.get(channel)
        if hook_name is None:
            return []
        self._manager.load_entrypoint_plugins()
        caller = getattr(self._hook, hook_name)
        if not caller.get_hookimpls():
            return []
        call_kwargs = dict(zip(caller.spec.argnames, args, strict=False))
        if kwargs:
            call_kwargs.update(kwargs)
        results: list[Any] = caller(**call_kwargs)
        return results

    # request pipeline (compile time only)

    def build_pipeline(
        self, app: Application, path: str, config: dict[str, Any], pipeline: PipelineBuilder
    ) -> None:
        """Let every plugin adjust ``pipeline`` while it is compiled for ``path``."""
        self._manager.load_entrypoint_plugins()
        self._hook.cherrypy_build_pipeline(app=app, path=path, config=config, pipeline=pipeline)

    def named_phase_impls(self, phase: str) -> list[tuple[str, Callable[[], Any]]]:
        """``(plugin name, function)`` for :meth:`phase_impls`, in the same order."""
        name = phase.removeprefix("cherrypy_")
        if name not in REQUEST_PHASES:
            raise ValueError(f"unknown request phase {phase!r}")
        self._manager.load_entrypoint_plugins()
        impls = list(reversed(getattr(self._hook, "cherrypy_" + name).get_hookimpls()))
        impls.sort(key=lambda impl: hookspecs.impl_priority(impl.function))
        return [(impl.plugin_name, impl.function) for impl in impls]

    def plugin_named(self, name: str) -> tuple[str, str | None] | None:
        """``(plugin name, distribution)`` of the registered plugin ``name``."""
        source = self._manager.sources.get(name)
        if source is None:
            return (name, None) if self._manager.get_plugin(name) is not None else None
        return name, source.distribution

    def plugin_of_module(self, module: str) -> tuple[str, str | None] | None:
        """``(plugin name, distribution)`` of the plugin whose package holds ``module``.

        The kernel's own modules (``cherrypy.*``) belong to its built-in tools; a module of no
        registered plugin (the application's) gives None.
        """
        top = module.split(".", 1)[0]
        if top == "cherrypy":
            return "cherrypy.kernel.builtin_tools", KERNEL_DISTRIBUTION
        for name, source in self._manager.sources.items():
            origin = (source.module or name).split(":", 1)[0]
            if origin.split(".", 1)[0] == top:
                return name, source.distribution
        return None

    def phase_impls(self, phase: str) -> list[Callable[[], Any]]:
        """The plain functions plugins implement for a request phase, in run order.

        ``phase`` is a name of :data:`~cherrypy.kernel.hookspecs.REQUEST_PHASES` (with or
        without the ``cherrypy_`` prefix).  Functions are sorted by their ``priority``
        attribute (default 50); ties keep pluggy's call order (``tryfirst``/``trylast``,
        then the most recently registered plugin first).
        """
        name = phase.removeprefix("cherrypy_")
        if name not in REQUEST_PHASES:
            raise ValueError(f"unknown request phase {phase!r}")
        self._manager.load_entrypoint_plugins()
        impls = getattr(self._hook, "cherrypy_" + name).get_hookimpls()
        functions = [impl.function for impl in reversed(impls)]
        functions.sort(key=hookspecs.impl_priority)
        return functions


# --------------------------------------------------------------------------- module API

_manager: CherryPyPluginManager | None = None
_manager_lock = threading.Lock()
_builtins: dict[str, Any] = {}


def get_plugin_manager() -> CherryPyPluginManager:
    """The process-wide plugin manager, created (with built-ins, without plugins) on first use."""
    manager = _manager
    if manager is not None:
        return manager
    return _create_manager()


def _create_manager() -> CherryPyPluginManager:
    global _manager
    with _manager_lock:
        if _manager is None:
            manager = CherryPyPluginManager()
            for name, plugin in _builtins.items():
                manager.register_builtin(plugin, name)
            _manager = manager
        return _manager


def get_hooks() -> PluginHooks:
    """The typed hook facade of the process-wide plugin manager."""
    return get_plugin_manager().hooks


def ensure_loaded() -> CherryPyPluginManager:
    """Load the entry-point plugins if not done yet, and return the plugin manager."""
    manager = get_plugin_manager()
    manager.load_entrypoint_plugins()
    return manager


def register_builtin(plugin: Any, name: str) -> str:
    """Register a kernel feature (module or object with hookimpls) as a plugin named ``name``.

    Built-ins survive :func:`reset_for_tests`: each new manager registers them again.
    """
    manager = get_plugin_manager()
    manager.register_builtin(plugin, name)
    _builtins[name] = plugin
    return name


def failed_plugins() -> list[FailedPlugin]:
    """The plugins that failed to load (loading plugins first if needed)."""
    return list(ensure_loaded().failed_plugins)


def list_plugins() -> list[PluginInfo]:
    """Describe every plugin (loading plugins first if needed)."""
    return ensure_loaded().list_plugins()


def reset_for_tests() -> None:
    """Forget the plugin manager and the compat table so the next use starts afresh."""
    global _manager
    from . import compat

    with _manager_lock:
        _manager = None
    compat.reset_table()
    clear_cache()
    _bump_generation()
