"""Bring the plugin machinery up on first need (never at import).

:func:`boot` registers the kernel's own features as built-in plugins, offers the registries
(tools, config namespaces, dispatchers) to every plugin through the registration hooks, loads
the ``cherrypy.plugins`` entry points and bridges engine channels to the engine hooks.  It is
idempotent and thread-safe; the kernel calls it lazily (first unknown tool, first pipeline
compile, first engine start, first use of a plugin-provided name).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from cherrypy.kernel import builtin_tools, pipeline
from cherrypy.kernel import pluginmanager as plugins
from cherrypy.kernel.request import Request
from cherrypy.kernel.runtime import site
from cherrypy.kernel.tree import Application

__all__ = ["boot", "dispatchers", "has_impls", "is_booted", "prepare_engine"]

_lock = threading.RLock()
_booted = False
_engine_prepared = False
_impl_cache: dict[str, bool] = {}

dispatchers: dict[str, Callable[..., Any]] = {}
"""Dispatcher factories registered by plugins (``cherrypy_register_dispatchers``)."""


def _register_dispatcher(name: str, factory: Callable[..., Any]) -> None:
    dispatchers[name] = factory


def boot() -> plugins.PluginHooks:
    """Load plugins once and run the registration hooks; return the typed hook facade."""
    global _booted
    if _booted:
        return plugins.get_hooks()
    with _lock:
        if _booted:
            return plugins.get_hooks()
        plugins.register_builtin(builtin_tools, "cherrypy.kernel.builtin_tools")
        hooks = plugins.get_hooks()
        hooks.register_tools(site.tools)
        hooks.config_namespaces(site.config.namespaces, "global")
        hooks.config_namespaces(Application.namespaces, "app")
        hooks.config_namespaces(Request.namespaces, "request")
        hooks.register_dispatchers(_register_dispatcher)
        plugins.ensure_loaded()
        _booted = True
        _impl_cache.clear()
        pipeline.invalidate()
        return hooks


def is_booted() -> bool:
    """Whether :func:`boot` has run (plugins loaded, registries offered)."""
    return _booted


def has_impls(hook_name: str) -> bool:
    """True if any loaded plugin implements ``hook_name`` (cached until the next boot)."""
    found = _impl_cache.get(hook_name)
    if found is None:
        boot()
        caller = getattr(plugins.get_plugin_manager().hook, hook_name, None)
        found = bool(caller and caller.get_hookimpls())
        _impl_cache[hook_name] = found
    return found


def prepare_engine(engine: Any) -> None:
    """Let plugins attach to the engine (``cherrypy_engine_setup``), once per process."""
    global _engine_prepared
    if _engine_prepared:
        return
    with _lock:
        if _engine_prepared:
            return
        hooks = boot()
        _engine_prepared = True
        hooks.engine_setup(engine)
        if any(has_impls(name) for name in plugins.ENGINE_CHANNELS.values()):
            engine.hook_relay = hooks.engine_event


def reset_for_tests() -> None:
    """Forget that plugins were booted (tests that swap the plugin set use this)."""
    global _booted, _engine_prepared
    with _lock:
        _booted = False
        _engine_prepared = False
        _impl_cache.clear()
        dispatchers.clear()
        plugins.reset_for_tests()
