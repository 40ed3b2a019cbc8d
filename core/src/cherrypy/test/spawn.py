"""Run a CherryPy server in a child process (``python -m cherrypy``), for tests of whole
processes: start-up, signals, daemonizing, config files.  :class:`CPProcess` is re-exported by
:mod:`cherrypy.test.helper`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import cherrypy

__all__ = ["CPProcess", "serverpem", "thisdir"]

thisdir = os.path.abspath(os.path.dirname(__file__))
"""The directory of this package (where :class:`CPProcess` writes its files)."""
serverpem = os.path.join(thisdir, "test.pem")
"""The PEM file (certificate and key) used when a test class sets ``scheme = 'https'``."""


class CPProcess:
    """Runs ``python -m cherrypy`` (cherryd) in a subprocess, for tests of whole processes.

    :meth:`write_conf` writes the config file (address, logs, optional TLS and ``extra``
    lines); :meth:`start` launches the process and waits until it listens.
    """

    pid_file = os.path.join(thisdir, "test.pid")
    config_file = os.path.join(thisdir, "test.conf")
    error_log = os.path.join(thisdir, "test.error.log")
    access_log = os.path.join(thisdir, "test.access.log")

    def __init__(
        self,
        wait: bool = False,
        daemonize: bool = False,
        ssl: bool = False,
        socket_host: str | None = None,
        socket_port: int | None = None,
    ) -> None:
        """``wait`` runs the process to completion in :meth:`start`; ``daemonize`` adds -d."""
        self.wait = wait
        self.daemonize = daemonize
        self.ssl = ssl
        self.host = socket_host or cherrypy.server.socket_host
        self.port = socket_port or cherrypy.server.socket_port
        self.exit_code: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def write_conf(self, extra: str = "") -> None:
        """Write :attr:`config_file`, appending the config lines in ``extra``."""
        lines = [
            "[global]",
            f"server.socket_host: {self.host!r}",
            f"server.socket_port: {self.port}",
            "checker.on: False",
            "log.screen: False",
            f"log.error_file: {self.error_log!r}",
            f"log.access_file: {self.access_log!r}",
        ]
        if self.ssl:
            lines.append(f"server.ssl_certificate: {serverpem!r}")
            lines.append(f"server.ssl_private_key: {serverpem!r}")
        lines.append(extra)
        with open(self.config_file, "w", encoding="utf-8") as stream:
            stream.write("\n".join(lines) + "\n")

    def start(self, imports: Any = None) -> None:
        """Launch cherryd with the config file, importing ``imports`` (a name or a list)."""
        from cherrypy_server.servers import wait_for_free_port, wait_for_occupied_port

        wait_for_free_port(self.host, self.port, timeout=1)
        args = ["-m", "cherrypy", "-c", self.config_file, "-p", self.pid_file]
        if not isinstance(imports, (list, tuple)):
            imports = [imports]
        for name in imports:
            if name:
                args += ["-i", name]
        if self.daemonize:
            args.append("-d")
        self._proc = subprocess.Popen([sys.executable, *args], env=self._child_env())
        if self.wait:
            self.exit_code = self._proc.wait()
        else:
            wait_for_occupied_port(self.host, self.port, timeout=5)
        time.sleep(2 if self.daemonize else 1)

    def _child_env(self) -> dict[str, str]:
        """The server's environment: this ``cherrypy`` first on ``PYTHONPATH``, and the
        directories of scaffolding modules this process placed under ``cherrypy.test``.
        """
        env = os.environ.copy()
        src_dir = os.path.dirname(os.path.dirname(thisdir))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src_dir, env.get("PYTHONPATH")]))
        extra_dirs = _outside_test_dirs()
        if extra_dirs:
            env["CHERRYPY_TEST_PATH"] = os.pathsep.join(
                filter(None, [*extra_dirs, env.get("CHERRYPY_TEST_PATH")])
            )
        return env

    def get_pid(self) -> int:
        """The process id of the server (read from the pid file when daemonized)."""
        if self.daemonize:
            with open(self.pid_file, "rb") as stream:
                return int(stream.read())
        assert self._proc is not None, "start() first"
        return self._proc.pid

    def join(self) -> None:
        """Wait for the server process to end."""
        if self.daemonize:
            try:
                os.waitpid(self.get_pid(), 0)
            except OSError:
                pass
            return
        assert self._proc is not None, "start() first"
        self._proc.wait()


def _outside_test_dirs() -> list[str]:
    """Directories of ``cherrypy.test.*`` modules loaded here from outside this package.

    A test process may place its own scaffolding modules under ``cherrypy.test``; the spawned
    server finds them through ``CHERRYPY_TEST_PATH`` (read by ``cherrypy/test/__init__.py``).
    """
    package = sys.modules.get("cherrypy.test")
    known = {os.path.abspath(entry) for entry in getattr(package, "__path__", ())}
    known.add(thisdir)
    found: list[str] = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("cherrypy.test.") or module is None:
            continue
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str):
            continue
        directory = os.path.dirname(os.path.abspath(filename))
        if directory not in known and directory not in found:
            found.append(directory)
    return found
