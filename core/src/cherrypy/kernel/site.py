"""The site: the process-wide singletons behind ``cherrypy.engine``, ``cherrypy.tree`` & co.

Importing this module creates them once and installs them in
:data:`cherrypy.kernel.runtime.site`, where kernel code reads them when it runs;
``cherrypy/__init__.py`` only re-exports them.  It is the top of the kernel: it may import any
kernel module, and no kernel module imports it.
"""

from __future__ import annotations

import types
from typing import Any

from cherrypy.kernel import boot as _boot
from cherrypy.kernel import config as _config
from cherrypy.kernel import pluginmanager, runtime, selection, startcheck
from cherrypy.kernel.bus import Bus as _Bus
from cherrypy.kernel.checker import Checker as _Checker
from cherrypy.kernel.context import RequestProxy as _RequestProxy
from cherrypy.kernel.context import ResponseProxy as _ResponseProxy
from cherrypy.kernel.context import ThreadLocalProxy as _ThreadLocalProxy
from cherrypy.kernel.context import serving
from cherrypy.kernel.engine_plugins import ThreadManager
from cherrypy.kernel.errors import format_exc
from cherrypy.kernel.logs import LogManager as _LogManager
from cherrypy.kernel.reprconf import NamespaceSet as _NamespaceSet
from cherrypy.kernel.request import Request as _Request
from cherrypy.kernel.tools import Toolbox as _Toolbox
from cherrypy.kernel.tree import Tree as _Tree

__all__ = [
    "FACADE_ATTRIBUTES",
    "checker",
    "config",
    "engine",
    "install_facade",
    "log",
    "request",
    "response",
    "session",
    "tools",
    "tree",
]

_PROCESS_DIST = "cherrypy-process"


class _HandleSignalsPlugin:
    """``engine.signals``: subscribes the signal handler if a plugin provides one."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus

    def subscribe(self) -> None:
        """Subscribe the engine's signal handler (no-op without cherrypy-process)."""
        try:
            handler = self.bus.signal_handler
        except AttributeError:
            return
        handler.subscribe()


class _PluginSlot:
    """An engine attribute that a plugin fills during engine setup (e.g. ``autoreload``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__.get("_slot_" + self.name)
        if value is None:
            obj._prepare()
            value = obj.__dict__.get("_slot_" + self.name)
        if value is None:
            raise AttributeError(
                f"cherrypy.engine.{self.name} is provided by {_PROCESS_DIST}: pip install {_PROCESS_DIST}"
            )
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_slot_" + self.name] = value


class _Engine(_Bus):
    """``cherrypy.engine``: the bus, plus plugin slots filled lazily by engine plugins."""

    signal_handler = _PluginSlot()
    autoreload = _PluginSlot()
    timeout_monitor = _PluginSlot()
    console_control_handler = _PluginSlot()

    def __init__(self) -> None:
        super().__init__()
        self.signals = _HandleSignalsPlugin(self)
        self.setup_callbacks.append(lambda bus: bus._prepare())  # type: ignore[attr-defined]

    def start(self) -> None:
        """Check the configuration (:mod:`~cherrypy.kernel.startcheck`), then start the bus.

        A configuration that needs what is not installed raises
        :class:`~cherrypy.kernel.errors.StartupError` before the bus enters STARTING.
        """
        self._run_setup_callbacks()
        startcheck.ensure_startable()
        super().start()

    def _prepare(self) -> None:
        """Subscribe the kernel's engine plugins and let plugins attach theirs (once)."""
        if self.__dict__.get("_prepared"):
            return
        self.__dict__["_prepared"] = True
        if self.thread_manager is None:
            self.thread_manager = ThreadManager(self)
            self.thread_manager.subscribe()
        self.subscribe("start", runtime.site.checker)
        _boot.prepare_engine(self)

    def log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Log ``msg`` to the error log with the ENGINE context and publish it on 'log'."""
        if traceback:
            msg += "\n" + format_exc()
        runtime.site.log.error(msg, "ENGINE", severity=level)
        if self.listeners.get("log"):
            self.publish("log", msg, level)


class _GlobalLogManager(_LogManager):
    """``cherrypy.log``: the site-wide log, deferring to the current app's log in a request."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        """Log to the current application's error log (or the global one)."""
        request = serving.request
        app = getattr(request, "app", None) if request is not None else None
        if app is not None and app.log is not None:
            return app.log.error(*args, **kwargs)
        return self.error(*args, **kwargs)

    def access(self) -> None:
        """Write the access log line of the current request."""
        request = serving.request
        app = getattr(request, "app", None) if request is not None else None
        if app is not None and app.log is not None:
            return app.log.access()
        return _LogManager.access(self)


class _GlobalNamespaces(_NamespaceSet):
    """Global config namespaces; an unknown namespace first loads the plugins (server., ...)."""

    _request_scope = frozenset(
        {"tools", "request", "response", "hooks", "error_page", "wsgi", "json", "plugins"}
    )

    def __call__(self, config: Any) -> None:
        if not _boot.is_booted():
            for key in config:
                ns = key.split(".", 1)[0] if "." in key else None
                if ns and ns not in self and ns not in self._request_scope:
                    _boot.boot()
                    break
        super().__call__(config)

    def copy(self) -> _GlobalNamespaces:
        """A copy of this namespace set."""
        new = type(self)()
        new.update(self)
        return new


def _engine_namespace_handler(key: str, value: Any) -> None:
    """``engine.*`` config: engine attributes, plugin attributes and ``<plugin>.on``."""
    engine = runtime.site.engine
    if key in ("SIGHUP", "SIGTERM"):
        engine.subscribe(key, value)
        return
    if "." not in key:
        setattr(engine, key, value)
        return
    plugin_name, attrname = key.split(".", 1)
    try:
        plugin = getattr(engine, plugin_name)
    except AttributeError:
        if attrname == "on" and not value:
            return
        raise
    if attrname == "on":
        switch = getattr(plugin, "subscribe" if value else "unsubscribe", None)
        if callable(switch):
            switch()
            return
    setattr(plugin, attrname, value)


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value or ()]


def _plugins_namespace_handler(key: str, value: Any) -> None:
    """``plugins.*`` in the global config.

    ``plugins.disabled`` (a list, or a comma-separated string) and ``plugins.enabled`` (load
    only these) choose which installed plugins load; a plugin already loaded when the key is
    read is unregistered and its tools removed.  ``plugins.prefer.NAME`` (read by the start-up
    check) and ``plugins.NAME.on`` (read per path) need nothing here.
    """
    if key == "disabled":
        names = _names(value)
        selection.disable(names, "config (plugins.disabled)")
        _unload(names)
    elif key == "enabled":
        selection.enable_only(None if value is None else _names(value))
        if value is not None:
            manager = pluginmanager.get_plugin_manager()
            keep = {selection.normalize(name) for name in _names(value)}
            loaded = [
                name
                for name, source in manager.sources.items()
                if not source.builtin
                and selection.normalize(name) not in keep
                and selection.normalize(source.distribution or "") not in keep
            ]
            _unload(loaded)


def _unload(names: list[str]) -> None:
    """Unregister plugins that loaded before config disabled them, and drop their tools."""
    manager = pluginmanager.get_plugin_manager()
    if not manager.loaded:
        return
    wanted = {selection.normalize(name) for name in names}
    for name, source in list(manager.sources.items()):
        if source.builtin:
            continue
        if (
            selection.normalize(name) in wanted
            or selection.normalize(source.distribution or "") in wanted
        ):
            package = (source.module or name).split(":", 1)[0].split(".", 1)[0]
            manager.unregister(name=name)
            toolbox = runtime.site.tools
            for tool_name in list(vars(toolbox)):
                offers = toolbox.offers(tool_name)
                if offers and offers[-1][0].split(".", 1)[0] == package:
                    object.__delattr__(toolbox, tool_name)
            runtime.site.engine.log(
                f"Plugin {name!r} ({source.distribution}) was loaded before plugins.* config "
                "disabled it: it is unregistered now (its module stays imported)"
            )


def _tree_namespace_handler(key: str, value: Any) -> None:
    """``tree.<name> = app`` (or a dict of script_name -> app) grafts applications."""
    tree, engine = runtime.site.tree, runtime.site.engine
    if isinstance(value, dict):
        for script_name, app in value.items():
            tree.graft(app, script_name)
            engine.log(f"Mounted: {app} on {script_name or '/'}")
    else:
        tree.graft(value, value.script_name)
        engine.log(f"Mounted: {value} on {value.script_name or '/'}")


engine = _Engine()
"""The process bus: start, stop, block and subscribe to its channels."""

tree = _Tree()
"""The mounted applications; a WSGI callable."""

tools = _Toolbox("tools")
"""The default toolbox (``tools.*`` config)."""
_Request.namespaces["tools"] = tools

request = _RequestProxy()
"""The current request (a proxy to ``serving.request``)."""
response = _ResponseProxy()
"""The current response (a proxy to ``serving.response``)."""
session = _ThreadLocalProxy("session")
"""The current session, when ``tools.sessions`` is on."""

log = _GlobalLogManager()
"""The site-wide error and access log."""
log.screen = True
log.error_file = ""
log.access_file = ""

checker = _Checker()
"""The config checker, run at engine start."""

config = _config.Config()
"""The global (site-wide) config."""
_config.Config.namespaces = _GlobalNamespaces(**dict(_config.Config.namespaces))
config.namespaces = _config.Config.namespaces
config.defaults = {
    "tools.log_tracebacks.on": True,
    "tools.log_headers.on": True,
    "tools.trailing_slash.on": True,
    "tools.encode.on": True,
}
config.namespaces["log"] = lambda k, v: setattr(runtime.site.log, k, v)
config.namespaces["checker"] = lambda k, v: setattr(runtime.site.checker, k, v)
config.namespaces["engine"] = _engine_namespace_handler
config.namespaces["tree"] = _tree_namespace_handler
config.namespaces["plugins"] = _plugins_namespace_handler
config.reset()


runtime.site.engine = engine
runtime.site.tree = tree
runtime.site.tools = tools
runtime.site.log = log
runtime.site.checker = checker
runtime.site.config = config
runtime.site.booter = _boot.boot


FACADE_ATTRIBUTES = ("checker", "config", "engine", "log", "server", "tools", "tree")
"""``cherrypy.<name>`` attributes that live in :data:`runtime.site` (assignable)."""


def _site_attribute(name: str) -> property:
    def get(module: types.ModuleType) -> Any:
        if name == "server":
            return runtime.get_server()
        return getattr(runtime.site, name)

    def set_(module: types.ModuleType, value: Any) -> None:
        setattr(runtime.site, name, value)

    def delete(module: types.ModuleType) -> None:
        setattr(runtime.site, name, None)

    return property(get, set_, delete, doc=f"``cherrypy.{name}``, kept in the kernel's site.")


class _Facade(types.ModuleType):
    """The class of the ``cherrypy`` module: its site attributes read and write the runtime."""


for _name in FACADE_ATTRIBUTES:
    setattr(_Facade, _name, _site_attribute(_name))
del _name


def install_facade(module: types.ModuleType) -> None:
    """Make ``module`` (``cherrypy``) read and assign its site attributes through the runtime.

    ``cherrypy.tree = Tree()`` then replaces the tree for the whole kernel, not just the name.
    """
    for name in FACADE_ATTRIBUTES:
        module.__dict__.pop(name, None)
    module.__class__ = _Facade
