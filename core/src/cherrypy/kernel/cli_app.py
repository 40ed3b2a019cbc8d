"""The ``python -m cherrypy routes`` and ``python -m cherrypy serve`` subcommands.

Both take the application as ``module:object`` (a CherryPy root object or class, an
:class:`~cherrypy.kernel.tree.Application`, ``cherrypy.tree`` or any WSGI callable), or as a
bare module name or ``.py`` file that mounts its applications itself with
``cherrypy.tree.mount`` or ``cherrypy.quickstart``.  While the target is imported,
``quickstart`` only mounts and ``engine.start``/``engine.block`` do nothing, so a tutorial that
calls ``quickstart()`` under ``if __name__ == "__main__"`` can be inspected without serving.

``routes`` walks each mounted application's object tree the way the default dispatcher does
and prints, per URL, the handler, its ``default``/``_cp_dispatch`` markers and the tools
switched on there, compiled with :mod:`cherrypy.kernel.pipeline` exactly as a request to that
URL would see them.  ``serve`` mounts (or grafts) the target and runs the engine with the
``cherrypy-server`` HTTP server, or hands the mounted applications to another server that a
plugin registered with the ``cherrypy_register_servers`` hook (``--server NAME``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import inspect
import json
import os
import runpy
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from cherrypy.kernel.hookspecs import ServeRunner
from cherrypy.kernel.runtime import site

__all__ = [
    "BUILTIN_SERVER",
    "Route",
    "available_servers",
    "collect_routes",
    "load_target",
    "routes_command",
    "serve_command",
]

BUILTIN_SERVER = "cherrypy"
"""The ``--server`` name of the built-in HTTP server (cherrypy-server), the default."""

_MAX_DEPTH = 12


@dataclass
class Route:
    """One reachable URL of a mounted application, as listed by ``routes``."""

    path: str
    handler: str
    markers: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    hooks: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None


# -- loading the target ------------------------------------------------------------------------


@contextlib.contextmanager
def _inert_engine() -> Iterator[None]:
    """Make ``quickstart`` mount only and ``engine.start``/``block`` no-ops, then restore."""
    import cherrypy  # the facade's quickstart is what the target module calls

    def mount_only(root: Any = None, script_name: str = "", config: Any = None) -> None:
        if config:
            site.config.update(config)
        site.tree.mount(root, script_name, config)

    engine = site.engine
    saved_quickstart = cherrypy.__dict__.get("quickstart")
    saved_engine = {name: engine.__dict__.get(name) for name in ("start", "block")}
    cherrypy.quickstart = mount_only  # type: ignore[assignment]
    setattr(engine, "start", lambda *a, **k: None)  # noqa: B010 - an instance override
    setattr(engine, "block", lambda *a, **k: None)  # noqa: B010
    try:
        yield
    finally:
        if saved_quickstart is None:
            cherrypy.__dict__.pop("quickstart", None)
        else:
            cherrypy.quickstart = saved_quickstart  # type: ignore[assignment]
        for name, value in saved_engine.items():
            if value is None:
                engine.__dict__.pop(name, None)
            else:
                setattr(engine, name, value)


def load_target(spec: str) -> Any:
    """Import ``spec`` with an inert engine; return the named object, or None for a module.

    ``module:attr.sub`` returns that attribute.  A bare ``module`` or ``file.py`` is run as
    ``__main__`` (so its ``quickstart()`` call mounts its applications) and None is returned.
    """
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    module_name, colon, attr = spec.partition(":")
    with _inert_engine():
        if not colon:
            if module_name.endswith(".py") or os.sep in module_name:
                runpy.run_path(module_name, run_name="__main__")
            else:
                runpy.run_module(module_name, run_name="__main__", alter_sys=True)
            return None
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    if inspect.isclass(obj) and _looks_like_root(obj):
        obj = obj()
    return obj


def _looks_like_root(obj: Any) -> bool:
    """Whether ``obj`` is a CherryPy page-handler tree rather than a bare WSGI callable."""
    if getattr(obj, "exposed", False) or hasattr(obj, "_cp_config"):
        return True
    for name in dir(obj):
        if name in ("_cp_dispatch", "default", "index") or not name.startswith("_"):
            try:
                value = inspect.getattr_static(obj, name)
            except AttributeError:
                continue
            if getattr(value, "exposed", False) or name == "_cp_dispatch":
                return True
    return False


def _mount_target(obj: Any, script_name: str, config: Any) -> None:
    """Mount ``obj`` on ``cherrypy.tree`` as a CherryPy app, or graft it as WSGI."""
    from cherrypy.kernel.tree import Application, Tree

    if obj is None or obj is site.tree or isinstance(obj, Tree):
        if isinstance(obj, Tree) and obj is not site.tree:
            site.tree.apps.update(obj.apps)
        return
    if isinstance(obj, Application) or _looks_like_root(obj):
        site.tree.mount(obj, script_name, config)
    elif callable(obj):
        site.tree.graft(obj, script_name)
    else:
        raise TypeError(f"{obj!r} is neither a CherryPy root object nor a WSGI callable")


# -- walking the object tree -------------------------------------------------------------------


def _describe_callable(obj: Any) -> str:
    name = str(getattr(obj, "__qualname__", None) or type(obj).__qualname__)
    return name.split(".<locals>")[0]


def _is_branch(obj: Any) -> bool:
    """Whether the dispatcher could descend into ``obj`` looking for handlers."""
    if obj is None or inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
        return False
    kind = type(obj)
    return kind.__module__ not in ("builtins", "functools") and hasattr(obj, "__dict__")


def _children(node: Any) -> Iterator[tuple[str, Any]]:
    for name in sorted(dir(node)):
        if name.startswith("_") or name in ("index", "default", "exposed"):
            continue
        try:
            yield name, getattr(node, name)
        except Exception:
            continue


def _walk(
    node: Any,
    segments: list[str],
    confs: list[dict[str, Any]],
    seen: set[int],
    sections: dict[str, Any],
) -> Iterator[tuple[list[str], Any, list[str], list[dict[str, Any]]]]:
    """Yield ``(segments, handler, markers, config sources)`` for every handler below ``node``.

    ``confs`` are the config sources that apply at ``node`` in the dispatcher's order: each
    node's ``_cp_config`` followed by the application's section for the path consumed so far.
    """
    if id(node) in seen or len(segments) > _MAX_DEPTH:
        return
    seen = seen | {id(node)}

    def step(name: str, obj: Any) -> list[dict[str, Any]]:
        extra = [getattr(obj, "_cp_config", None), sections.get("/" + "/".join([*segments, name]))]
        return [*confs, *(conf for conf in extra if conf)]

    if getattr(node, "exposed", False) and not inspect.isroutine(node):
        verbs = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        methods = [m for m in verbs if hasattr(node, m)]
        markers = [f"methods: {', '.join(methods)}"] if methods else []
        yield segments, node, ["exposed object", *markers], confs
    index = getattr(node, "index", None)
    if index is not None and getattr(index, "exposed", False):
        yield [*segments, ""], index, [], step("index", index)
    default = getattr(node, "default", None)
    if default is not None and getattr(default, "exposed", False):
        own = getattr(default, "_cp_config", None)
        yield [*segments, "*"], default, ["default"], [*confs, own] if own else confs
    dispatch = getattr(node, "_cp_dispatch", None)
    if dispatch is not None and callable(dispatch):
        yield [*segments, "<_cp_dispatch>"], dispatch, ["_cp_dispatch"], confs
    for name, child in _children(node):
        if inspect.isroutine(child) or (callable(child) and not _is_branch(child)):
            if getattr(child, "exposed", False):
                yield [*segments, name], child, [], step(name, child)
        elif _is_branch(child):
            yield from _walk(child, [*segments, name], step(name, child), seen, sections)


def compile_path(app: Any, path: str, config: dict[str, Any]) -> Any:
    """The pipeline a request to ``path`` of ``app`` would run with ``config`` (merged)."""
    from cherrypy.kernel import pipeline
    from cherrypy.kernel.boot import boot
    from cherrypy.kernel.request import Request

    boot()

    def namespace_pairs() -> list[tuple[str, Any]]:
        pairs = list(Request.namespaces.items())
        for name, toolbox in app.toolboxes.items():
            pairs = [(n, h) for n, h in pairs if n != name]
            pairs.append((name, toolbox))
        return pairs

    return pipeline.entry_for_config(app, config, path).get_pipeline(app, namespace_pairs)


def _pipeline_summary(app: Any, path: str, config: dict[str, Any]) -> dict[str, Any]:
    return dict(compile_path(app, path, config).describe())


def collect_routes(script_name: str, app: Any) -> list[Route]:
    """List the routes of one mounted application (``app`` may be a grafted WSGI callable)."""
    from cherrypy.kernel.tree import Application

    if not isinstance(app, Application):
        return [Route(script_name or "/", _describe_callable(app), ["WSGI application"])]
    if app.root is None:
        return [Route(script_name or "/", "None", ["no root: tools and static config only"])]
    routes: list[Route] = []
    sections = app.config
    start = [site.config, getattr(app.root, "_cp_config", None), sections.get("/")]
    start_confs = [conf for conf in start if conf]
    for segments, handler, markers, confs in _walk(app.root, [], start_confs, set(), sections):
        shown = ["favicon.ico" if seg == "favicon_ico" else seg for seg in segments]
        path = script_name + "/" + "/".join(shown)
        route = Route(path, _describe_callable(handler), list(markers))
        try:
            config: dict[str, Any] = {}
            for conf in confs:
                config.update(conf)
            dispatcher = config.get("request.dispatch")
            if dispatcher is not None and type(dispatcher).__name__ != "Dispatcher":
                route.markers.append(f"dispatch: {_describe_callable(dispatcher)}")
            summary = _pipeline_summary(app, path, config)
            route.tools = [name.partition(".")[2] or name for name in summary["tools"]]
            route.hooks = summary["hooks"]
        except Exception as exc:
            route.error = f"{type(exc).__name__}: {exc}"
        routes.append(route)
    routes.sort(key=lambda r: r.path)
    return routes


# -- routes ------------------------------------------------------------------------------------


def _routes_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cherrypy routes",
        description=(
            "List the URL tree of each mounted application: exposed handlers, default and "
            "_cp_dispatch markers and the tools switched on for each path. The target is "
            "imported without starting the server."
        ),
        epilog=(
            "examples: python -m cherrypy routes myapp:Root   "
            "python -m cherrypy routes cherrypy.tutorial.tut04_complex_site"
        ),
    )
    parser.add_argument(
        "target",
        help="module:object (root object or class, Application, WSGI callable) or a module "
        "or .py file that mounts its apps (cherrypy.tree.mount or quickstart)",
    )
    parser.add_argument(
        "--script-name", default="", help="where to mount a module:object root (default '')"
    )
    parser.add_argument("-c", "--config", help="config file applied as when mounting the root")
    parser.add_argument("--hooks", action="store_true", help="also list the hooks per phase")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _render_routes(apps: list[tuple[str, list[Route]]], hooks: bool) -> str:
    lines: list[str] = []
    for script_name, routes in apps:
        lines.append(f"application {script_name or '/'}")
        everywhere = set.intersection(*(set(r.tools) for r in routes)) if routes else set()
        if len(routes) > 1 and everywhere:
            lines.append(f"  tools on every path: {', '.join(sorted(everywhere))}")
        else:
            everywhere = set()
        width = max((len(r.path) for r in routes), default=0)
        hwidth = max((len(r.handler) for r in routes), default=0)
        for route in routes:
            extra = f" [{'; '.join(route.markers)}]" if route.markers else ""
            own = [name for name in route.tools if name not in everywhere]
            label = "more tools" if everywhere else "tools"
            tools = f"  {label}: {', '.join(own)}" if own else ""
            line = f"  {route.path:<{width}}  {route.handler:<{hwidth}}{extra}{tools}"
            lines.append(line.rstrip())
            if route.error:
                lines.append(f"      error: {route.error}")
            if hooks:
                for point, names in route.hooks.items():
                    lines.append(f"      {point}: {', '.join(names)}")
        lines.append("")
    if not apps:
        lines.append("No application is mounted.")
    return "\n".join(lines).rstrip("\n") + "\n"


def routes_command(argv: Sequence[str], out: TextIO | None = None) -> int:
    """Run ``python -m cherrypy routes`` with ``argv``; print to ``out`` (stdout).

    Returns 0, 1 when the target cannot be loaded or a path's pipeline fails to compile, and
    2 on bad usage.
    """
    stream = out if out is not None else sys.stdout
    try:
        options = _routes_parser().parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if options.config:
            site.config.update(options.config)
        _mount_target(load_target(options.target), options.script_name, options.config)
    except Exception as exc:
        print(f"error: cannot load {options.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    apps = [(name, collect_routes(name, app)) for name, app in sorted(site.tree.apps.items())]
    if options.json:
        document = {name or "/": [asdict(route) for route in routes] for name, routes in apps}
        stream.write(json.dumps(document, indent=2) + "\n")
    else:
        stream.write(_render_routes(apps, options.hooks))
    failed = any(route.error for _name, routes in apps for route in routes)
    return 1 if failed else 0


# -- serve -------------------------------------------------------------------------------------


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cherrypy serve",
        description=(
            "Serve a CherryPy root object or any WSGI callable with the cherrypy-server HTTP "
            "server (or the --server a plugin offers) and the CherryPy engine (Ctrl-C or "
            "SIGTERM stops it)."
        ),
        epilog="example: python -m cherrypy serve myapp:Root --port 8000",
    )
    parser.add_argument(
        "target",
        help="module:object (root object or class, Application, WSGI callable) or a module "
        "or .py file that mounts its apps",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (8080)")
    parser.add_argument("--script-name", default="", help="mount point of the target ('')")
    parser.add_argument("-c", "--config", help="config file (global and application sections)")
    parser.add_argument(
        "-e",
        "--environment",
        help="config environment, e.g. production (no autoreload, no screen log)",
    )
    parser.add_argument(
        "--server",
        default=BUILTIN_SERVER,
        metavar="NAME",
        help=f"the HTTP server: {BUILTIN_SERVER!r} (cherrypy-server, the default) or one a "
        "plugin registers (granian with cherrypy-granian)",
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="worker processes, each with its own engine (servers that run several; the "
        "built-in server runs in one process)",
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def available_servers() -> dict[str, ServeRunner]:
    """The servers plugins offer to ``serve --server`` (``cherrypy_register_servers``).

    Maps each name to its ``serve(options)`` callable; the built-in server is not listed.
    Loads the plugins, so apply the config that disables plugins first.
    """
    from cherrypy.kernel import pluginmanager
    from cherrypy.kernel.runtime import boot

    boot()
    found: dict[str, ServeRunner] = {}

    def register(name: str, serve: ServeRunner) -> None:
        if name != BUILTIN_SERVER:
            found.setdefault(name, serve)

    pluginmanager.get_plugin_manager().hook.cherrypy_register_servers(register=register)
    return found


def _prepare(target: str, script_name: str, config: str | None, environment: str | None) -> None:
    """Apply ``serve``'s config and mount its target in this process (``options["load"]``)."""
    if environment:
        site.config.update({"environment": environment})
    if config:
        site.config.update(config)
    _mount_target(load_target(target), script_name, config)


def _serve_elsewhere(options: argparse.Namespace) -> int:
    """Hand the mounted applications to the server a plugin registered as ``--server``."""
    servers = available_servers()
    serve = servers.get(options.server)
    if serve is None:
        known = ", ".join(sorted([BUILTIN_SERVER, *servers]))
        print(f"error: unknown server {options.server!r} (known: {known})", file=sys.stderr)
        return 2
    load = functools.partial(
        _prepare, options.target, options.script_name, options.config, options.environment
    )
    return int(
        serve(
            {
                "host": options.host,
                "port": options.port,
                "workers": options.workers,
                "target": options.target,
                "script_name": options.script_name,
                "config": options.config,
                "environment": options.environment,
                "load": load,
            }
        )
    )


def serve_command(argv: Sequence[str]) -> int:
    """Run ``python -m cherrypy serve`` with ``argv``; blocks until the engine exits.

    Returns 0 after a clean stop (SIGTERM, SIGINT); 1 at once when no HTTP server would run
    (cherrypy-server missing, or its plugin blocked, disabled or broken), when the target
    cannot be loaded, or when ``engine.start()`` raises
    :class:`~cherrypy.kernel.errors.StartupError` (the start-up check wrote its lines on
    stderr); 2 on bad usage (an unknown ``--server`` among them).  With ``--server NAME``
    other than ``cherrypy`` the mounted applications go to the ``serve(options)`` callable a
    plugin registered under that name (``cherrypy_register_servers``), and its return value
    is the exit status.
    """
    from cherrypy.kernel.errors import StartupError
    from cherrypy.kernel.quickstart import report_problems, server_missing, server_problem

    try:
        options = _serve_parser().parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    builtin = options.server == BUILTIN_SERVER
    if builtin and options.workers not in (None, 1):
        print(
            f"error: --workers {options.workers}: the built-in server runs in one process; "
            "choose a server that runs workers (e.g. --server granian)",
            file=sys.stderr,
        )
        return 2
    missing = server_missing() if builtin else None
    if missing is not None:
        report_problems([missing])
        return 1
    try:
        _prepare(options.target, options.script_name, options.config, options.environment)
    except Exception as exc:
        print(f"error: cannot load {options.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not site.tree.apps:
        print(f"error: {options.target} mounted no application", file=sys.stderr)
        return 1
    if not builtin:
        return _serve_elsewhere(options)
    problem = server_problem()
    if problem is not None:
        report_problems([problem])
        return 1
    site.config.update({"server.socket_host": options.host, "server.socket_port": options.port})
    signals = getattr(site.engine, "signals", None)
    if signals is not None:
        signals.subscribe()
    try:
        site.engine.start()
    except StartupError:
        return 1  # the start-up check wrote its lines on stderr
    site.engine.block()
    return 0
