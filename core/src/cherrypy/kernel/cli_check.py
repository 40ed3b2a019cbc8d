"""``python -m cherrypy check TARGET``: the pre-deploy check of an application's configuration.

The target is loaded as ``python -m cherrypy routes`` loads it (mounted, nothing started).
Then every problem the engine's start-up check would stop on is reported (see
:mod:`cherrypy.kernel.startcheck`), and the request pipeline of every configured path is
compiled: each handler the object tree exposes and each path section of the application's
config, config-only sections (a ``tools.staticdir`` section with no handler) included.  One
line per problem; the exit status is 1 when there is any, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

from cherrypy.kernel import cli_app, startcheck
from cherrypy.kernel.runtime import site
from cherrypy.kernel.tree import Application

__all__ = ["check_command", "path_problems"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cherrypy check",
        description=(
            "Check an application's configuration before deploying it: what the engine's "
            "start-up check stops on, and the request pipeline of every configured path. "
            "Exits with status 1 on any problem."
        ),
    )
    parser.add_argument("target", help="module:object, module, or path/to/app.py")
    parser.add_argument("--script-name", default="", help="mount point of a root object")
    parser.add_argument("-c", "--config", default=None, help="a config file (INI)")
    return parser


def _configured_paths(app: Application) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each path section of ``app`` with the config a request there would merge."""
    root_config = getattr(app.root, "_cp_config", None) or {}
    for path in sorted(p for p in app.config if isinstance(p, str) and p.startswith("/")):
        merged: dict[str, Any] = dict(site.config)
        merged.update(root_config)
        atoms = [atom for atom in path.split("/") if atom]
        trail = ["/"] + ["/" + "/".join(atoms[: i + 1]) for i in range(len(atoms))]
        for section_path in trail:
            section = app.config.get(section_path)
            if isinstance(section, Mapping):
                merged.update(section)
        yield path, merged


def path_problems(script_name: str, app: Application) -> list[str]:
    """Compile the pipeline of every configured path and exposed handler of ``app``."""
    found: list[str] = []
    for path, config in _configured_paths(app):
        label = (script_name + path) if path != "/" else (script_name or "/")
        try:
            cli_app.compile_path(app, label, config)
        except Exception as exc:
            found.append(f"{label}: {type(exc).__name__}: {exc}")
    for route in cli_app.collect_routes(script_name, app):
        if route.error:
            found.append(f"{route.path}: {route.error}")
    return list(dict.fromkeys(found))


def check_command(argv: Sequence[str], out: TextIO | None = None) -> int:
    """Run ``python -m cherrypy check`` with ``argv``; return 0, 1 on problems, 2 on usage."""
    stream = out if out is not None else sys.stdout
    try:
        options = _parser().parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if options.config:
            site.config.update(options.config)
        target = cli_app.load_target(options.target)
        cli_app._mount_target(target, options.script_name, options.config)
    except Exception as exc:
        print(f"error: cannot load {options.target}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    problems = startcheck.problems()
    apps = [(name, app) for name, app in sorted(site.tree.apps.items())]
    for name, app in apps:
        if isinstance(app, Application):
            reported = {line.split(": ", 1)[0] for line in problems}
            problems.extend(
                line for line in path_problems(name, app) if line.split(": ", 1)[0] not in reported
            )
    for line in problems:
        stream.write(f"{line}\n")
    if problems:
        stream.write(f"{len(problems)} problem(s) found\n")
        return 1
    stream.write(f"ok: {len(apps)} application(s) checked\n")
    return 0
