"""Fixtures for cherrypy-process's tests: real subprocesses serving over real HTTP."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent


def use_wsgiref() -> bool:
    """True when the subprocesses serve with the wsgiref test server, not cherrypy-server."""
    if os.environ.get("CHERRYPY_PROCESS_TEST_SERVER") == "wsgiref":
        return True
    return importlib.util.find_spec("cherrypy_server") is None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Harness:
    """Starts application subprocesses in ``tmp_path`` and cleans them up afterwards."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.pidfiles: list[Path] = []
        self.extra_pids: list[int] = []
        self.wsgiref = use_wsgiref()
        """True when the subprocesses serve with the wsgiref test server (see procsupport)."""

    def env(self, **extra: str) -> dict[str, str]:
        """The subprocess environment: this directory on PYTHONPATH, APP_PORT set."""
        env = dict(os.environ)
        paths = [str(TESTS_DIR), str(self.tmp_path)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["APP_PORT"] = str(self.port)
        env["PYTHONUNBUFFERED"] = "1"
        if self.wsgiref:
            # Only this distribution's plugin, as with just the kernel installed beside it.
            env["CHERRYPY_PROCESS_TEST_SERVER"] = "wsgiref"
            env["CHERRYPY_PLUGINS"] = "process"
        env.update(extra)
        return env

    def write(self, name: str, text: str) -> Path:
        """Write ``text`` to ``tmp_path/name`` (creating folders) and return the path."""
        path = self.tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def launch(
        self, args: list[str], log: str = "output.log", **env: str
    ) -> subprocess.Popen[bytes]:
        """Start ``args`` in ``tmp_path``; stdout and stderr go to ``tmp_path/log``."""
        with open(self.tmp_path / log, "wb") as output:
            process = subprocess.Popen(
                args,
                cwd=self.tmp_path,
                env=self.env(**env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def output(self, log: str = "output.log") -> str:
        """What the subprocess wrote so far."""
        return (self.tmp_path / log).read_text(errors="replace")

    def get(self, path: str = "/") -> tuple[int, str] | None:
        """GET ``path``; ``(status, body)``, or None when nothing answers."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return None

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20, what: str = "") -> Any:
        """Poll ``predicate`` until it returns something true; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            time.sleep(0.05)

    def wait_output(self, text: str, count: int = 1, log: str = "output.log") -> None:
        """Wait until ``text`` appears ``count`` times in the output ``log``."""
        self.wait_for(lambda: self.output(log).count(text) >= count, what=f"{count} x {text!r}")

    def wait_serving(self, expect: str | None = None, timeout: float = 20) -> str:
        """Wait until ``/`` answers 200 (containing ``expect``); return the body."""

        def answered() -> str | None:
            result = self.get("/")
            if result is None or result[0] != 200:
                return None
            if expect is not None and expect not in result[1]:
                return None
            return result[1]

        return str(self.wait_for(answered, timeout, f"a 200 containing {expect!r}"))

    def cleanup(self) -> None:
        pids = list(self.extra_pids)
        for pidfile in self.pidfiles:
            try:
                pids.append(int(pidfile.read_text().strip()))
            except (OSError, ValueError):
                pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)


@pytest.fixture
def clean_config() -> Iterator[None]:
    """Reset the global config around the test, and put back what its environments change."""
    import cherrypy
    from cherrypy.testing import reset

    saved = (cherrypy.checker.on, cherrypy.log.screen)
    reset()
    try:
        yield
    finally:
        reset()
        cherrypy.checker.on, cherrypy.log.screen = saved


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """A :class:`Harness` whose processes are killed at the end of the test."""
    h = Harness(tmp_path)
    try:
        yield h
    finally:
        h.cleanup()
