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


def plugins_command(argv: Sequence[str], out: TextIO | None = None) -> int:
    """Run ``python -m cherrypy plugins`` with ``argv``; print to ``out`` (stdout) and return
    the exit status: 0, 1 when a plugin failed to load, 2 on bad usage."""
    stream = out if out is not None else sys.stdout
    try:
        options = _parser().parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        manager = plugins.ensure_loaded()
    except pluggy.PluginValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    infos = manager.list_plugins()
    failed = list(manager.failed_plugins)
    if options.json:
        document = {
            "plugins": [info.to_dict() for info in infos],
            "failed": [failure.to_dict() for failure in failed],
        }
        stream.write(json.dumps(document, indent=2) + "\n")
    else:
        stream.write(_render_text(infos, failed))
    return 1 if failed else 0


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
