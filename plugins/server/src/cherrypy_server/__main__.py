"""``python -m cherrypy_server module:app``: serve any WSGI application.

Examples::

    python -m cherrypy_server myapp:application --bind 0.0.0.0:8000 --threads 16
    python -m cherrypy_server myapp:application --bind unix:/run/myapp.sock
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .server import HTTPServer
from .tls import make_ssl_context

__all__ = ["load_app", "main", "parse_bind"]


def load_app(spec: str) -> Callable[..., Any]:
    """Import ``module:attribute`` (the attribute may be dotted; default ``application``)."""
    module_name, _, attr = spec.partition(":")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    obj: Any = importlib.import_module(module_name)
    for part in (attr or "application").split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec} is not callable")
    return obj  # type: ignore[no-any-return]


def parse_bind(value: str) -> tuple[str, int] | str:
    """``host:port``, ``[v6]:port``, ``:port`` or ``unix:/path`` -> a bind address."""
    if value.startswith("unix:"):
        return value[5:]
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, "8080"
    host = host.strip("[]") or "127.0.0.1"
    return (host, int(port))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cherrypy_server", description="Serve a WSGI application."
    )
    parser.add_argument("app", help="the application, as module:attribute")
    parser.add_argument("--bind", default="127.0.0.1:8080", help="host:port or unix:/path")
    parser.add_argument("--threads", type=int, default=10, help="worker threads (default 10)")
    parser.add_argument(
        "--threads-max", type=int, default=100, help="pool size limit (default 100; -1: none)"
    )
    parser.add_argument("--timeout", type=float, default=10, help="socket timeout in seconds")
    parser.add_argument("--certfile", help="TLS certificate (PEM); enables HTTPS")
    parser.add_argument("--keyfile", help="TLS private key (PEM)")
    args = parser.parse_args(argv)

    app = load_app(args.app)
    context = make_ssl_context(args.certfile, args.keyfile) if args.certfile else None
    bind = parse_bind(args.bind)
    server = HTTPServer(
        bind, app, args.threads, max=args.threads_max, timeout=args.timeout, ssl_context=context
    )

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    server.prepare()
    if isinstance(bind, tuple):
        host, port = server.bound_addr  # type: ignore[misc,str-unpack]
        scheme = "https" if context else "http"
        where = f"{scheme}://{host}:{port}"
    else:
        where = f"socket file: {bind}"
    print(f"Serving {args.app} on {where}", file=sys.stderr, flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
