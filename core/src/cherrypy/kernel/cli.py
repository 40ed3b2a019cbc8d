"""The ``python -m cherrypy plugins`` subcommand: what plugins are installed and what they add.

``cherrypy/__main__.py`` dispatches to :func:`plugins_command` with the arguments that follow
the subcommand name.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

import pluggy

from . import pluginmanager as plugins

__all__ = ["plugins_command"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cherrypy plugins",
        description=(
            "List the cherrypy plugins: their distribution and version, and the tools, "
            "dispatchers, session backends and hooks each one provides. Exits with status 1 "
            "when a plugin failed to load."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _boot() -> plugins.CherryPyPluginManager:
    """Boot the kernel (registries offered, plugins loaded) and return the manager."""
    from . import site  # noqa: F401 - the singletons the registries live on
    from .runtime import boot

    boot()
    return plugins.ensure_loaded()


def _namespaces() -> dict[str, list[str]]:
    from .request import Request
    from .runtime import site as state
    from .tree import Application

    return {
        "global": sorted(state.config.namespaces),
        "app": sorted(Application.namespaces),
        "request": sorted(Request.namespaces),
    }


def _conflicts() -> tuple[dict[str, list[str]], dict[str, str]]:
    """Tool name -> the distributions providing it; tool name -> the one in use."""
    from . import startcheck
    from .runtime import site as state

    found = startcheck.conflicts(state.tools)
    startcheck.apply_preferences(state.tools, found)  # "in use" is then the chosen one
    in_use = {}
    for name, offers in found.items():
        current = vars(state.tools).get(name)
        in_use[name] = next((dist for dist, tool in offers if tool is current), "?")
    return {name: [dist for dist, _tool in offers] for name, offers in found.items()}, in_use


def _foreign() -> str | None:
    from .startcheck import foreign_cherrypy

    return foreign_cherrypy()


def _builtin_tools() -> list[str]:
    from .runtime import site as state
    from .tools import Tool

    return sorted(
        name
        for name, value in vars(state.tools).items()
        if isinstance(value, Tool)
        and (offers := state.tools.offers(name))
        and offers[-1][0].startswith("cherrypy.")
    )


def plugins_command(argv: Sequence[str], out: TextIO | None = None) -> int:
    """Run ``python -m cherrypy plugins`` with ``argv``; print to ``out`` (stdout) and return
    the exit status: 0, 1 when a plugin failed to load or two plugins provide the same tool
    and config chose none, 2 on bad usage."""
    stream = out if out is not None else sys.stdout
    try:
        options = _parser().parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        manager = _boot()
    except pluggy.PluginValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    infos = manager.list_plugins()
    failed = list(manager.failed_plugins)
    conflicts, in_use = _conflicts()
    from .startcheck import preferences

    unresolved = {name for name in conflicts if name not in preferences()}
    foreign = _foreign()
    if options.json:
        document = {
            "plugins": [info.to_dict() for info in infos],
            "builtin_tools": _builtin_tools(),
            "namespaces": _namespaces(),
            "skipped": [skipped.to_dict() for skipped in manager.skipped_plugins],
            "failed": [failure.to_dict() for failure in failed],
            "warnings": [warning.to_dict() for warning in manager.plugin_warnings],
            "foreign_cherrypy": _foreign(),
            "conflicts": [
                {"tool": name, "distributions": dists, "in_use": in_use[name]}
                for name, dists in sorted(conflicts.items())
            ],
        }
        stream.write(json.dumps(document, indent=2) + "\n")
    else:
        stream.write(_render_text(infos, failed))
        stream.write(_render_more(manager, conflicts, in_use))
    return 1 if failed or unresolved or foreign else 0


def _render_more(
    manager: plugins.CherryPyPluginManager,
    conflicts: dict[str, list[str]],
    in_use: dict[str, str],
) -> str:
    from .startcheck import foreign_cherrypy

    lines = ["", f"Built-in tools (cherrypy-kernel): {', '.join(_builtin_tools())}"]
    foreign = foreign_cherrypy()
    if foreign is not None:
        lines.insert(0, f"WARNING: {foreign}")
    lines.append("Config namespaces:")
    for scope, names in _namespaces().items():
        lines.append(f"  {scope}: {', '.join(names)}")
    if manager.skipped_plugins:
        lines.append("")
        lines.append("Not loaded:")
        for skipped in manager.skipped_plugins:
            lines.append(
                f"  {skipped.name} ({skipped.distribution} {skipped.version}): {skipped.reason}"
            )
    if manager.plugin_warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  {warning.message}" for warning in manager.plugin_warnings)
    if conflicts:
        lines.append("")
        lines.append('Conflicts (choose with plugins.prefer.NAME = "<distribution>"):')
        for name, dists in sorted(conflicts.items()):
            lines.append(
                f"  tools.{name}: provided by {' and '.join(dists)}; in use: {in_use[name]}"
            )
    return "\n".join(lines) + "\n"


def _render_text(infos: list[plugins.PluginInfo], failed: list[plugins.FailedPlugin]) -> str:
    lines: list[str] = []
    if not infos:
        lines.append("No cherrypy plugins are registered.")
    for info in infos:
        if info.distribution is None:
            origin = "registered at run time"
        else:
            origin = f"{info.distribution} {info.version or '(unknown version)'}"
            if info.builtin:
                origin += ", built-in"
        lines.append(f"{info.name} ({origin})")
        lines.append(f"  module: {info.module}")
        if not info.builtin:
            if info.api_range is None:
                lines.append("  plugin API: no range declared (CHERRYPY_PLUGIN_API)")
            else:
                lines.append(f"  plugin API: {info.api_range}")
        for label, names in (
            ("tools", info.tools),
            ("dispatchers", info.dispatchers),
            ("session backends", info.session_backends),
            ("hooks", info.hooks),
        ):
            if names:
                lines.append(f"  {label}: {', '.join(names)}")
        for error in info.errors:
            lines.append(f"  error while inspecting: {error}")
    if failed:
        lines.append("")
        lines.append("Failed to load:")
        lines.extend(f"  {failure.message}" for failure in failed)
    return "\n".join(lines) + "\n"
