"""``cherrypy.quickstart()``: mount an app, start the server and the engine, block.

It also holds what ``python -m cherrypy serve`` shares with it.  Both exit with status 1 at
once, leaving nothing running:

* when no HTTP server would run (:func:`server_problem`: ``cherrypy-server`` not installed,
  or its plugin blocked, disabled or broken), with one line on stderr saying why
  (:func:`report_problems`);
* when ``engine.start()`` raises :class:`~cherrypy.kernel.errors.StartupError`, whose lines
  the start-up check (:mod:`cherrypy.kernel.startcheck`) has written on stderr already.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from cherrypy.kernel import compat, pluginmanager
from cherrypy.kernel.entrypoints import iter_entry_points
from cherrypy.kernel.errors import StartupError
from cherrypy.kernel.runtime import boot, get_server, site
from cherrypy.kernel.selection import normalize, skip_reason

__all__ = [
    "SERVER_NAME",
    "quickstart",
    "report_problems",
    "server_missing",
    "server_problem",
]

SERVER_NAME = "cherrypy.server"
"""The CherryPy name of the HTTP server adapter, provided by a plugin (``cherrypy-server``)."""


def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
    """Mount ``root`` at ``script_name`` with ``config``, start the built-in server and block.

    ``config`` (a dict or a config file name) updates the global config too, as in CherryPy.
    When no HTTP server would run (see :func:`server_problem`), or when ``engine.start()``
    raises :class:`~cherrypy.kernel.errors.StartupError`, the reason is on stderr and
    :class:`SystemExit` with status 1 is raised: nothing was started.
    """
    if config:
        site.config.update(config)
    problem = server_problem()
    if problem is not None:
        report_problems([problem])
        raise SystemExit(1)
    site.tree.mount(root, script_name, config)
    signals = getattr(site.engine, "signals", None)
    if signals is not None:
        signals.subscribe()
    try:
        site.engine.start()
    except StartupError:
        raise SystemExit(1) from None  # the start-up check wrote its lines on stderr
    site.engine.block()


def report_problems(problems: Sequence[str], prefix: str = "cherrypy: cannot start: ") -> None:
    """Write each start-up problem on its own line of stderr, after ``prefix``.

    Written straight to ``sys.stderr`` (not through the log), so that the lines show whatever
    ``log.screen`` says, in the start-up check's words.
    """
    try:
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):
        pass
    for problem in problems:
        sys.stderr.write(f"{prefix}{problem}\n")
    sys.stderr.flush()


def server_missing() -> str | None:
    """Why no HTTP server is installed at all ("... pip install cherrypy-server"), or None.

    Reads package metadata only: no plugin is loaded, so it may run before the config that
    disables plugins is applied.  An application that set ``cherrypy.server`` itself has one.
    """
    if site.server is not None:
        return None
    distribution = compat.provider_of(SERVER_NAME)
    if distribution is None:
        return str(compat.missing_name_error(SERVER_NAME))
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return str(compat.missing_name_error(SERVER_NAME))
    return None


def server_problem() -> str | None:
    """Why no HTTP server would run when the engine starts, or None when one would.

    The HTTP server is ``cherrypy.server``, which the plugin of its distribution
    (``cherrypy-server``) subscribes to the engine.  The answer names the distribution to
    install when it is missing (:func:`server_missing`); when that distribution's plugin is not
    loaded, the reason :func:`cherrypy.kernel.selection.skip_reason` gives ("blocked by
    CHERRYPY_BLOCK_PLUGINS", ...) and the setting to change, or the error that stopped it
    from loading.  Loads the plugins, so apply the config that disables plugins first.
    """
    missing = server_missing()
    if missing is not None:
        return missing
    distribution = compat.provider_of(SERVER_NAME)
    boot()
    manager = pluginmanager.get_plugin_manager()
    if distribution is not None:
        key = normalize(distribution)
        if not any(
            normalize(source.distribution or "") == key for source in manager.sources.values()
        ):
            for failed in manager.failed_plugins:
                if normalize(failed.distribution or "") == key:
                    return f"no HTTP server: {failed.message}"
            return f"no HTTP server: {_not_loaded(distribution)}"
    try:
        get_server()
    except compat.MissingPluginError as exc:
        return str(exc)
    except (AttributeError, ImportError):
        return str(compat.missing_name_error(SERVER_NAME))
    return None


def _not_loaded(distribution: str) -> str:
    """Why the installed ``distribution`` registered no plugin, with the setting to change."""
    message = str(compat.missing_name_error(SERVER_NAME))
    key = normalize(distribution)
    for entry_point in iter_entry_points(pluginmanager.PLUGINS_GROUP):
        dist = entry_point.dist
        if dist is None or normalize(dist.name or "") != key:
            continue
        reason = skip_reason(entry_point)
        if reason is not None and reason not in message:
            return (
                f"{distribution} is installed, but its plugin {entry_point.name!r} is not "
                f"loaded ({reason})"
            )
    return message
