"""granian's supervisor process: bind the socket, start the workers, stop them on a signal.

Two ways lead here, and both leave ``cherrypy.engine`` of the supervisor unstarted (each
worker starts its own, :mod:`cherrypy_granian.worker`):

- ``python -m cherrypy serve --server granian``: the kernel calls :func:`serve` (registered
  with the ``cherrypy_register_servers`` hook) once the target is mounted;
- ``granian.on = True`` in the global config: the first ``engine.start()``
  (``cherrypy.quickstart()``) runs :func:`take_over_start` among the engine's setup
  callbacks, which serves on granian and then ends the process with granian's exit status.
"""

from __future__ import annotations

import functools
import ipaddress
import multiprocessing
import socket
import sys
from collections.abc import Callable, Mapping
from typing import Any

import cherrypy

from .settings import settings
from .worker import in_worker, keep_worker_engine_quiet, worker_application

__all__ = ["run_granian", "serve", "take_over_start"]


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}" if port == 80 else f"http://{shown}:{port}"


def _address(host: str, port: int) -> str:
    """An IP address granian can bind for ``host`` ('' means every IPv4 interface)."""
    if not host:
        return "0.0.0.0"
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return str(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0])


def run_granian(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    http: str,
    load: Callable[[], None] | None,
    shutdown_timeout: int = 10,
    title: str = "cherrypy.tree",
) -> int:
    """Serve ``cherrypy.tree`` on granian until SIGINT or SIGTERM; return the exit status.

    ``load`` mounts the applications in a worker that did not inherit them (multiprocessing's
    ``spawn``); a worker still running ``shutdown_timeout`` seconds after it was asked to stop
    is killed; ``title`` names the application in granian's process titles.
    """
    try:
        from granian import Granian
        from granian.constants import HTTPModes, Interfaces
    except ImportError as exc:
        sys.stderr.write(f"cherrypy: cannot start: granian is not importable ({exc})\n")
        return 1
    address = _address(host, port)
    server = Granian(
        target=title,
        address=address,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        http=HTTPModes(http),
        websockets=False,
        workers_kill_timeout=shutdown_timeout,
    )
    server.on_startup(functools.partial(cherrypy.engine.log, f"Serving on {_url(address, port)}"))
    try:
        server.serve(target_loader=functools.partial(worker_application, load), wrap_loader=False)
    except SystemExit as stop:  # granian's way of reporting that a worker failed
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def serve(options: Mapping[str, Any]) -> int:
    """``python -m cherrypy serve --server granian``: the kernel mounted the target already."""
    return run_granian(
        host=str(options["host"]),
        port=int(options["port"]),
        workers=int(options.get("workers") or settings.workers),
        threads=settings.thread_count(),
        http=settings.http,
        load=options.get("load"),
        shutdown_timeout=settings.shutdown_timeout,
        title=str(options.get("target") or "cherrypy.tree"),
    )


def _bind_address() -> tuple[str, int]:
    """``server.socket_host`` and ``server.socket_port``, as the built-in server would bind."""
    try:
        server = cherrypy.server
        return str(server.socket_host), int(server.socket_port)
    except (AttributeError, ImportError):
        config = cherrypy.config
        return str(config.get("server.socket_host", "127.0.0.1")), int(
            config.get("server.socket_port", 8080)
        )


def take_over_start(engine: Any) -> None:
    """Engine setup callback: with ``granian.on``, serve on granian instead of starting.

    In a worker it only keeps the built-in server and the autoreloader off.  In any other
    process with ``granian.on = True`` it runs granian's supervisor (which forks the workers
    from this process, so that they inherit the mounted applications) and raises
    :class:`SystemExit` with its status: the engine of this process never starts.
    """
    if in_worker():
        keep_worker_engine_quiet()
        return
    if not settings.on:
        return
    if "fork" not in multiprocessing.get_all_start_methods():
        sys.stderr.write(
            "cherrypy: cannot start: granian.on needs workers forked from this process; "
            "run 'python -m cherrypy serve --server granian MODULE:APP' instead\n"
        )
        raise SystemExit(1)
    multiprocessing.set_start_method("fork", force=True)
    try:
        handler = engine.signal_handler
    except AttributeError:  # neither cherrypy-process nor cherrypy-server provides one
        handler = None
    if handler is not None:
        handler.unsubscribe()  # granian handles the signals, here and in the workers
    host, port = _bind_address()
    raise SystemExit(
        run_granian(
            host=host,
            port=port,
            workers=settings.workers,
            threads=settings.thread_count(),
            http=settings.http,
            load=None,
            shutdown_timeout=settings.shutdown_timeout,
        )
    )
