"""The ``cherryd`` command (also ``python -m cherrypy [options]`` and ``cherrypy.daemon``).

It imports the modules that mount the applications, applies config files, optionally
daemonizes and writes a PID file, installs the signal handlers and runs the engine until it
exits::

    cherryd -c site.conf -i myapp -e production -d -p /run/myapp.pid

The exit status is 0 after a normal shutdown and 1 when start-up fails; the reason is printed
on stderr (by the original process when ``-d`` is given, once the daemon has failed; the
kernel's start-up check, which runs before the process daemonizes, writes one line per problem).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from cherrypy_process.daemonizer import startup_failure

__all__ = ["main", "run", "start"]

_DESCRIPTION = (
    "Run the CherryPy engine: import the modules that mount your applications, apply config "
    "files, and serve until SIGTERM (or Ctrl-C). Exits with status 1 when start-up fails."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cherryd", description=_DESCRIPTION)
    parser.add_argument(
        "-c", "--config", action="append", dest="config", help="config file (repeatable)"
    )
    parser.add_argument(
        "-d", action="store_true", dest="daemonize", help="run the server as a daemon"
    )
    parser.add_argument(
        "-e", "--environment", dest="environment", help="apply the given config environment"
    )
    parser.add_argument(
        "-i", "--import", action="append", dest="imports", help="module to import (repeatable)"
    )
    parser.add_argument("-p", "--pidfile", dest="pidfile", help="write the process id to this file")
    parser.add_argument(
        "-P", "--Path", action="append", dest="Path", help="directory to add to sys.path"
    )
    return parser


class _StartupGuard:
    """An ``exit`` listener that ends the process with status 1 if start-up did not finish.

    The engine exits from inside a failed ``start()`` (and would end the process with status
    70); this listener runs last on that ``exit`` and reports the failure first.
    """

    priority = 100

    def __init__(self) -> None:
        self.started = False

    def __call__(self) -> None:
        if self.started:
            return
        _fail(f"start-up failed: {startup_failure()}")
        os._exit(1)


def _fail(message: str) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    print(f"cherryd: {message}", file=sys.stderr, flush=True)


def _fail_startup(exc: BaseException) -> None:
    """Report why ``engine.start()`` failed.

    The kernel's start-up check refuses a configuration with a ``StartupError`` whose
    ``problems`` it has written on stderr already, one line each: only say how many.
    """
    problems = getattr(exc, "problems", None)
    if isinstance(problems, list) and problems:
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        _fail(f"start-up failed: the configuration has {count} (listed above)")
    else:
        _fail(f"start-up failed: {type(exc).__name__}: {exc}")


def _load(configfiles: Sequence[str], imports: Sequence[str]) -> None:
    """Import the application modules, then apply the config files."""
    import cherrypy

    if "" not in sys.path:
        sys.path.insert(0, "")
    for name in imports:
        importlib.import_module(name)
    for filename in configfiles:
        cherrypy.config.update(filename)
        # With a single application mounted, its sections come from the same file.
        apps = list(cherrypy.tree.apps.values())
        if len(apps) == 1 and isinstance(apps[0], cherrypy.Application):
            apps[0].merge(filename)


def start(
    configfiles: Sequence[str] | None = None,
    daemonize: bool = False,
    environment: str | None = None,
    fastcgi: bool = False,
    scgi: bool = False,
    pidfile: str | None = None,
    imports: Sequence[str] | None = None,
    cgi: bool = False,
) -> None:
    """Set the engine up as the options say, start it and block until it exits.

    The signature is CherryPy's ``cherrypy.daemon.start``.  FastCGI, SCGI and CGI servers
    (flup) are not provided: asking for one raises ValueError.  When the engine fails to
    start, the reason is printed and the process ends with status 1.
    """
    if fastcgi or scgi or cgi:
        raise ValueError("cherryd: FastCGI, SCGI and CGI servers are not supported")
    import cherrypy
    from cherrypy.process.plugins import Daemonizer, PIDFile

    _load(list(configfiles or ()), list(imports or ()))
    engine = cherrypy.engine
    if environment is not None:
        cherrypy.config.update({"environment": environment})
    if daemonize:
        cherrypy.config.update({"log.screen": False})
        Daemonizer(engine).subscribe()
    if pidfile:
        PIDFile(engine, pidfile).subscribe()
    engine.signals.subscribe()
    console = getattr(engine, "console_control_handler", None)
    if console is not None:
        console.subscribe()

    guard = _StartupGuard()
    engine.subscribe("exit", guard)
    try:
        engine.start()
    except Exception as exc:
        _fail_startup(exc)
        sys.exit(1)
    guard.started = True
    engine.block()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cherryd`` and ``python -m cherrypy``: parse ``argv`` and run."""
    options = _parser().parse_args(None if argv is None else list(argv))
    for path in options.Path or ():
        sys.path.insert(0, path)
    try:
        start(
            options.config,
            options.daemonize,
            options.environment,
            pidfile=options.pidfile,
            imports=options.imports,
        )
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1
    except Exception as exc:
        traceback.print_exc()
        _fail(f"start-up failed: {type(exc).__name__}: {exc}")
        return 1
    return 0


def run() -> None:
    """CherryPy's ``cherrypy.daemon.run()``: run ``cherryd`` with ``sys.argv`` and exit."""
    sys.exit(main())


if __name__ == "__main__":
    run()
