"""``python -m cherrypy``: subcommands (``plugins``) or, with options only, ``cherryd``."""

from __future__ import annotations

import sys

__all__ = ["main"]

_SUBCOMMANDS = ("plugins", "routes", "serve", "check")

_USAGE = """usage: python -m cherrypy plugins [--json]
       python -m cherrypy routes TARGET [--script-name S] [-c CONFIG] [--hooks] [--json]
       python -m cherrypy serve TARGET [--host H] [--port P] [--script-name S] [-c CONFIG] [-e ENV]
                                [--server NAME] [--workers N]
       python -m cherrypy check TARGET [--script-name S] [-c CONFIG]
       python -m cherrypy [cherryd options]   (-c CONFIG, -d, -e ENV, -i MODULE, -p PIDFILE, -P PATH)

subcommands:
  plugins   list installed plugins, their distributions, tools, dispatchers and hooks
  routes    list an application's URL tree and the tools switched on for each path
  serve     serve module:object (a CherryPy root or any WSGI callable) with cherrypy-server,
            or another registered server (--server granian --workers N: cherrypy-granian)
  check     check an application's configuration (the start-up check, every path); exit 1 on
            any problem

Every subcommand also takes --disable-plugin NAME (repeatable): that plugin is not loaded.
"""


def _take_disabled(args: list[str]) -> list[str]:
    """Remove ``--disable-plugin NAME`` (or ``=NAME``) options; disable those plugins."""
    rest: list[str] = []
    names: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--disable-plugin":
            value = next(items, None)
            if value is None:
                raise SystemExit("--disable-plugin needs a plugin or distribution name")
            names.append(value)
        elif arg.startswith("--disable-plugin="):
            names.append(arg.partition("=")[2])
        else:
            rest.append(arg)
    if names:
        from cherrypy.kernel import selection

        selection.disable(names, "the command line (--disable-plugin)")
    return rest


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand, or hand the options to ``cherryd`` (from cherrypy-process)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in _SUBCOMMANDS:
        try:
            args = [args[0], *_take_disabled(args[1:])]
        except SystemExit as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args and args[0] in ("-h", "--help") and len(args) == 1:
        print(_USAGE)
        return 0
    if args and args[0] == "plugins":
        from cherrypy.kernel.cli import plugins_command

        return plugins_command(args[1:])
    if args and args[0] in ("routes", "serve"):
        from cherrypy.kernel import cli_app

        command = cli_app.routes_command if args[0] == "routes" else cli_app.serve_command
        return command(args[1:])
    if args and args[0] == "check":
        from cherrypy.kernel.cli_check import check_command

        return check_command(args[1:])
    if args and not args[0].startswith("-"):
        print(f"unknown subcommand {args[0]!r}\n\n{_USAGE}", file=sys.stderr)
        return 2
    try:
        from cherrypy.kernel.compat import resolve

        cherryd = resolve("cherrypy.cherryd.main")
    except ImportError as exc:
        print(f"{exc}", file=sys.stderr)
        return 1
    result = cherryd(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
