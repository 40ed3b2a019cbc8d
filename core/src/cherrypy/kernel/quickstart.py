"""``cherrypy.quickstart()``: mount an app, start the server and the engine, block.

It also holds what ``python -m cherrypy serve`` shares with it: :func:`server_problem` says
why no HTTP server would run (``cherrypy-server`` not installed, or its plugin blocked,
disabled or broken), and :func:`report_problems` prints start-up problems on stderr, whatever
``log.screen`` says.  Both commands exit with status 1 at once in those cases, and when
``engine.start()`` raises :class:`~cherrypy.kernel.errors.StartupError`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any, NoReturn

from cherrypy.kernel import compat, pluginmanager
from cherrypy.kernel.errors import StartupError
from cherrypy.kernel.runtime import boot, get_server, site
from cherrypy.kernel.selection import normalize

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
    raises :class:`~cherrypy.kernel.errors.StartupError`, the reason is printed on stderr and
    :class:`SystemExit` with status 1 is raised; nothing is left running.
    """
    if config:
        site.config.update(config)
    problem = server_problem()
    if problem is not None:
        _exit([problem])
    site.tree.mount(root, script_name, config)
    signals = getattr(site.engine, "signals", None)
    if signals is not None:
        signals.subscribe()
    try:
        site.engine.start()
    except StartupError as exc:
        _exit(exc.problems)
    site.engine.block()


def _exit(problems: Sequence[str]) -> NoReturn:
    report_problems(problems)
    raise SystemExit(1)


def report_problems(problems: Sequence[str], prefix: str = "error: ") -> None:
    """Print each start-up problem on its own line of stderr, after ``prefix``.

    Written straight to ``sys.stderr`` (not through the log), so that the lines show whatever
    ``log.screen`` says.
    """
    try:
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):
        pass
    for problem in problems:
        print(f"{prefix}{problem}", file=sys.stderr)
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
    install when it is missing (:func:`server_missing`); when that distribution's plugin was
    not loaded, the reason :func:`cherrypy.kernel.selection.skip_reason` gave ("blocked by
    CHERRYPY_BLOCK_PLUGINS", ...) or the error that stopped it from loading.  Loads the
    plugins, so apply the config that disables plugins first.
    """
    missing = server_missing()
    if missing is not None:
        return missing
    distribution = compat.provider_of(SERVER_NAME)
    boot()
    manager = pluginmanager.get_plugin_manager()
    if distribution is not None:
        key = normalize(distribution)

        def provides(dist: str | None) -> bool:
            return dist is not None and normalize(dist) == key

        if not any(provides(source.distribution) for source in manager.sources.values()):
            for skipped in manager.skipped_plugins:
                if provides(skipped.distribution):
                    return (
                        f"no HTTP server: {distribution} is installed, but its plugin "
                        f"{skipped.name!r} is not loaded ({skipped.reason})"
                    )
            for failed in manager.failed_plugins:
                if provides(failed.distribution):
                    return f"no HTTP server: {failed.message}"
    try:
        get_server()
    except compat.MissingPluginError as exc:
        return str(exc)
    except (AttributeError, ImportError):
        return str(compat.missing_name_error(SERVER_NAME))
    return None
