"""Every hook a cherrypy plugin may implement.

Plugins are plain modules (or objects) whose functions are marked with :data:`hookimpl` and
named after one of the specifications below.  They are found through the ``cherrypy.plugins``
entry-point group and registered by :mod:`cherrypy.kernel.pluginmanager`; the kernel's own features
register through the same mechanism.

The hooks fall in four families:

* **registration** hooks are *historic*: the kernel calls each of them once, early, with a
  registry object, and pluggy replays that call to every plugin registered later, so the order
  of loading never matters;
* **factory** hooks are *firstresult*: the first plugin that returns something other than
  ``None`` wins, and the kernel resolves them once and keeps the answer;
* **engine event** hooks mirror the channels of ``cherrypy.engine`` (start, stop, ...);
* **request phase** hooks are never called by pluggy while serving: the pipeline compiler
  *reads* their implementations once per (application, path, config generation) and stores the
  plain functions in per-phase tuples.  A request then loops over those tuples with no pluggy
  call at all.

A phase implementation may carry two optional attributes, set by hand or with
:func:`phase_options`: ``priority`` (an int, lower runs first, default ``50``) and ``failsafe``
(a bool, default ``False``: a failsafe callback still runs after an earlier callback of the same
phase raised).  These are the semantics of CherryPy's request hooks.

Example plugin module::

    from cherrypy.kernel.hookspecs import hookimpl, phase_options

    @hookimpl
    def cherrypy_register_tools(toolbox):
        toolbox.shout = Tool("before_finalize", make_body_uppercase)

    @hookimpl
    @phase_options(priority=10)
    def cherrypy_on_end_request():
        count_requests()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    from cherrypy.kernel.bus import Bus
    from cherrypy.kernel.configkeys import KeyDeclarer
    from cherrypy.kernel.tools import PipelineBuilder, Toolbox
    from cherrypy.kernel.tree import Application

__all__ = [
    "DEFAULT_PRIORITY",
    "ENGINE_CHANNELS",
    "PLUGIN_API_ATTRIBUTE",
    "PLUGIN_API_VERSION",
    "PROJECT_NAME",
    "REQUEST_PHASES",
    "RegisterDispatcher",
    "RegisterServer",
    "ServeRunner",
    "hookimpl",
    "hookspec",
    "impl_failsafe",
    "impl_priority",
    "phase_options",
]

PLUGIN_API_VERSION = "1.3"
"""The version of the plugin API (:mod:`cherrypy.plugin`) this kernel provides."""

PLUGIN_API_ATTRIBUTE = "CHERRYPY_PLUGIN_API"
"""The attribute of a plugin's entry-point object that states the API range it supports."""

PROJECT_NAME = "cherrypy"
"""The pluggy project name shared by the markers and the plugin manager."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marker for hook specifications (used in this module and by ``cherrypy_addhooks`` plugins)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker every plugin puts on its hook implementations."""

DEFAULT_PRIORITY = 50
"""Priority of a phase implementation that does not set a ``priority`` attribute."""

REQUEST_PHASES: tuple[str, ...] = (
    "on_start_resource",
    "before_request_body",
    "before_handler",
    "before_finalize",
    "on_end_resource",
    "on_end_request",
    "before_error_response",
    "after_error_response",
)
"""The eight request phases, in the order CherryPy lists them (``cherrypy._cprequest.hookpoints``).

A request runs the first five in order and ``on_end_request`` after its body was sent; the two
error phases run only when a callback or the handler raised, between ``before_finalize`` and
``on_end_resource``.  :data:`cherrypy.kernel.requesthooks.HOOKPOINTS` is this same tuple.
"""

ENGINE_CHANNELS: dict[str, str] = {
    "start": "cherrypy_engine_start",
    "stop": "cherrypy_engine_stop",
    "graceful": "cherrypy_engine_graceful",
    "exit": "cherrypy_engine_exit",
    "main": "cherrypy_engine_main",
    "start_thread": "cherrypy_engine_start_thread",
    "stop_thread": "cherrypy_engine_stop_thread",
    "log": "cherrypy_engine_log",
}
"""Engine bus channel -> the hook that relays it to plugins."""

RegisterDispatcher = Callable[[str, Callable[..., Any]], None]
"""``register(name, factory)``: makes a dispatcher factory available under ``name``."""

ServeRunner = Callable[[Mapping[str, Any]], int]
"""``serve(options)``: serve the applications mounted on ``cherrypy.tree`` until stopped; returns
the exit status of ``python -m cherrypy serve`` (see :func:`cherrypy_register_servers`)."""

RegisterServer = Callable[[str, ServeRunner], None]
"""``register(name, serve)``: offers ``serve`` to ``python -m cherrypy serve --server NAME``."""

_F = TypeVar("_F", bound=Callable[..., Any])


def phase_options(priority: int = DEFAULT_PRIORITY, failsafe: bool = False) -> Callable[[_F], _F]:
    """Return a decorator that sets ``priority`` and ``failsafe`` on a phase implementation."""

    def decorate(func: _F) -> _F:
        func.priority = priority  # type: ignore[attr-defined]
        func.failsafe = failsafe  # type: ignore[attr-defined]
        return func

    return decorate


def impl_priority(func: Callable[..., Any]) -> int:
    """The priority of a phase callback: its ``priority`` attribute, else 50."""
    return int(getattr(func, "priority", DEFAULT_PRIORITY))


def impl_failsafe(func: Callable[..., Any]) -> bool:
    """Whether a phase callback runs even after an earlier one failed (``failsafe``)."""
    return bool(getattr(func, "failsafe", False))


# --------------------------------------------------------------------------- registration


@hookspec(historic=True)
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add tools to the default toolbox, ``cherrypy.tools``.

    Called once with the toolbox when the kernel builds it, and replayed for every plugin
    registered later.  Set tools as attributes (``toolbox.gzip = Tool(...)``) or use
    ``toolbox.register(point, **kwargs)`` as a decorator.  The return value is ignored.
    """


@hookspec(historic=True)
def cherrypy_register_dispatchers(register: RegisterDispatcher) -> None:
    """Make dispatchers available by name.

    Called once with a ``register(name, factory)`` callback; ``factory`` is the class or
    function users put in config as ``request.dispatch`` (e.g. ``"MethodDispatcher"``).
    The return value is ignored.
    """


@hookspec(historic=True)
def cherrypy_config_namespaces(namespaces: MutableMapping[str, Any], scope: str) -> None:
    """Add config namespace handlers.

    Called once per scope, ``scope`` being ``"global"``, ``"app"`` or ``"request"``, with the
    dict-like namespace registry of that scope.  Add handlers with
    ``namespaces["server"] = handler`` where ``handler(key, value)`` receives the part of each
    config key after the namespace (a handler may also be a context manager, as in CherryPy).
    The return value is ignored.
    """


@hookspec(historic=True)
def cherrypy_engine_setup(engine: Bus) -> None:
    """Attach engine plugins to ``cherrypy.engine``.

    Called once with the engine bus; subscribe ``SimplePlugin`` instances or add attributes
    such as ``engine.autoreload`` here.  Must not start threads: the engine starts them on
    ``engine.start()``.  The return value is ignored.
    """


@hookspec
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare the config namespaces and keys a plugin reads.

    ``checker`` is a :class:`~cherrypy.plugin.KeyDeclarer` crediting the plugin's
    distribution: call ``checker.declare_namespace(name, doc, scope=..., open=...)``,
    ``checker.declare_key(namespace, key, type, default, doc)``,
    ``checker.declare_attributes(namespace, owner, names)`` or
    ``checker.declare_tool(name, tool, docs)``.  The config checker warns about keys of a
    declared namespace that nobody declared (``tools.sessions.timout``), and the
    configuration reference of the documentation is rendered from these declarations.

    Unlike the other registration hooks it is not historic: the kernel calls every
    implementation directly each time it needs the declarations (the checker at engine
    start, the documentation build), so an implementation must only declare, nothing else.
    The return value is ignored.
    """


@hookspec
def cherrypy_check_config(
    path: str, section: Mapping[str, Any], report: Callable[[str, str], None]
) -> None:
    """Check a config section for what only this plugin can judge, before the engine starts.

    Called by the start-up check (and ``python -m cherrypy check``) for the global config
    (``path`` is ``"global"``) and every path section of every mounted application.  Call
    ``report(key, message)`` once per problem, ``message`` naming the fix (``"no session
    backend 'redis': pip install ..."``); any report stops the engine from starting.  Only
    look at keys of your own namespace.  The return value is ignored.
    """


@hookspec
def cherrypy_register_servers(register: RegisterServer) -> None:
    """Offer HTTP servers to ``python -m cherrypy serve --server NAME``.

    Called with a ``register(name, serve)`` callback when ``serve`` is given a ``--server``
    other than the built-in ``cherrypy`` (cherrypy-server); an unknown name is an error that
    lists the registered ones.  Like :func:`cherrypy_config_keys` it is not historic: the
    kernel calls every implementation each time it needs the list, so only register here.

    The command has applied the config and mounted the target on ``cherrypy.tree`` (the engine
    is not started, no signal handler is installed) before it calls ``serve(options)``, which
    runs until the server stops and returns the command's exit status.  ``options`` holds
    ``host``, ``port``, ``workers`` (``--workers N``, ``None`` when not given), ``target``,
    ``script_name``, ``config`` (the ``-c`` file or ``None``), ``environment`` (``-e`` or
    ``None``) and ``load``: a picklable callable that, run with no arguments in a fresh
    interpreter (a worker process started with multiprocessing's ``spawn``), applies the same
    config and mounts the target there, as the command did; a forked worker has it all
    already.  The return value is ignored.
    """


@hookspec(historic=True)
def cherrypy_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add new hook specifications.

    Called by the plugin manager for every plugin as it is registered, with the manager
    itself: call ``pluginmanager.add_hookspecs(module_or_class)`` to let plugins extend other
    plugins.  The return value is ignored.
    """


# --------------------------------------------------------------------------- factories


@hookspec(firstresult=True)
def cherrypy_error_page(status: str, message: str, traceback: str, version: str) -> str | None:
    """Render the body of an HTTP error page.

    Called when the kernel builds an error page for which no ``error_page.<status>`` config
    applies (never on the success path).  Return the full page as ``str``, or ``None`` for the
    kernel's default page.  ``traceback`` is empty unless tracebacks are shown.
    """


# --------------------------------------------------------------------------- engine events


@hookspec
def cherrypy_engine_start() -> None:
    """Called when ``cherrypy.engine`` publishes ``start``.  The return value is ignored."""


@hookspec
def cherrypy_engine_stop() -> None:
    """Called when ``cherrypy.engine`` publishes ``stop``.  The return value is ignored."""


@hookspec
def cherrypy_engine_graceful() -> None:
    """Called when ``cherrypy.engine`` publishes ``graceful``.  The return value is ignored."""


@hookspec
def cherrypy_engine_exit() -> None:
    """Called when ``cherrypy.engine`` publishes ``exit``.  The return value is ignored."""


@hookspec
def cherrypy_engine_main() -> None:
    """Called on each ``main`` tick of ``engine.block()`` (about every 0.1 s).

    Keep it quick.  The return value is ignored.
    """


@hookspec
def cherrypy_engine_start_thread(thread_index: int) -> None:
    """Called in a worker thread the first time it serves a request.

    ``thread_index`` numbers the worker threads from 1.  The return value is ignored.
    """


@hookspec
def cherrypy_engine_stop_thread(thread_index: int) -> None:
    """Called for each worker thread when the engine stops or restarts.

    The return value is ignored.
    """


@hookspec
def cherrypy_engine_log(msg: str, level: int) -> None:
    """Called for every message the engine logs, ``level`` being a :mod:`logging` level.

    The return value is ignored.
    """


# --------------------------------------------------------------------------- request phases


@hookspec
def cherrypy_build_pipeline(
    app: Application, path: str, config: dict[str, Any], pipeline: PipelineBuilder
) -> None:
    """Adjust a request pipeline while it is being compiled.

    Called once per (application, path, config generation), never per request, with the
    merged ``config`` for ``path`` and the pipeline under construction: attach phase callbacks
    with ``pipeline.attach(point, callback, priority=...)`` or replace the error response with
    ``pipeline.set_error_response(callback)``, as :meth:`~cherrypy.plugin.Tool.compile` does.
    The return value is ignored.
    """


@hookspec
def cherrypy_on_start_resource() -> None:
    """Phase callback run before the handler is looked up.

    Read at compile time: the function itself goes into the compiled pipeline and is called
    with no arguments for each request; honours ``priority`` and ``failsafe`` attributes.
    """


@hookspec
def cherrypy_before_request_body() -> None:
    """Phase callback run before the request body is read.

    Read at compile time and then called with no arguments per request; honours ``priority``
    and ``failsafe`` attributes.
    """


@hookspec
def cherrypy_before_handler() -> None:
    """Phase callback run just before the page handler; may replace ``request.handler``.

    Read at compile time and then called with no arguments per request; honours ``priority``
    and ``failsafe`` attributes.
    """


@hookspec
def cherrypy_before_finalize() -> None:
    """Phase callback run after the handler, before status and headers are finalized.

    Read at compile time and then called with no arguments per request; honours ``priority``
    and ``failsafe`` attributes.
    """


@hookspec
def cherrypy_on_end_resource() -> None:
    """Phase callback run once the response is finalized (also after errors).

    Read at compile time and then called with no arguments per request; honours ``priority``
    and ``failsafe`` attributes.
    """


@hookspec
def cherrypy_before_error_response() -> None:
    """Phase callback run when an unexpected error is about to be turned into a response.

    Read at compile time and then called with no arguments per failing request; honours
    ``priority`` and ``failsafe`` attributes.
    """


@hookspec
def cherrypy_after_error_response() -> None:
    """Phase callback run after the error response was set.

    Read at compile time and then called with no arguments per failing request; honours
    ``priority`` and ``failsafe`` attributes.
    """


@hookspec
def cherrypy_on_end_request() -> None:
    """Phase callback run when the request is closed, after the body was sent.

    Read at compile time and then called with no arguments per request; honours ``priority``
    and ``failsafe`` attributes.
    """
