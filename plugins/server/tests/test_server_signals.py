"""SIGTERM and SIGINT stop a served application cleanly, with or without cherrypy-process.

Each test serves a small application in a real process (``quickstart`` or ``python -m cherrypy
serve``), waits until it answers HTTP and the engine has STARTED, sends the signal with
``os.kill`` and checks the exit status and the engine's log.  ``CHERRYPY_BLOCK_PLUGINS=process``
stands for an install without cherrypy-process: the server plugin's own
:class:`~cherrypy_server.signals.StopSignalHandler` handles SIGTERM then.  With cherrypy-process,
its ``SignalHandler`` does, and only it.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypy
from cherrypy.process.wspbus import Bus
from cherrypy_server.signals import StopSignalHandler

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

APP = textwrap.dedent(
    """
    import os

    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            return "hello"

    def report():
        handler = cherrypy.engine.signal_handler
        listeners = cherrypy.engine.listeners.get("SIGTERM", ())
        with open(os.environ["SIGNALS_REPORT"], "w") as out:
            out.write(f"{type(handler).__module__} {len(listeners)}")

    cherrypy.engine.subscribe("start", report, priority=90)
    cherrypy.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": int(os.environ["APP_PORT"]),
            "log.error_file": os.environ["APP_LOG"],
            "log.screen": False,
            "checker.on": False,
            "engine.autoreload.on": False,
        }
    )
    """
)

QUICKSTART = "import app\nimport cherrypy\n\ncherrypy.quickstart(app.Root())\n"

HAS_PROCESS = importlib.util.find_spec("cherrypy_process") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sigint_as_in_a_terminal() -> None:
    """Let the child turn SIGINT into KeyboardInterrupt even if our parent ignores SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Served:
    """The application served in a subprocess, its log and its signal report."""

    def __init__(self, tmp_path: Path, how: str, without_process: bool) -> None:
        (tmp_path / "app.py").write_text(APP)
        (tmp_path / "run.py").write_text(QUICKSTART)
        self.port = _free_port()
        self.log = tmp_path / "error.log"
        self.report = tmp_path / "signals.txt"
        env = dict(
            os.environ,
            APP_PORT=str(self.port),
            APP_LOG=str(self.log),
            SIGNALS_REPORT=str(self.report),
            PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        )
        env.pop("CHERRYPY_BLOCK_PLUGINS", None)
        if without_process:
            env["CHERRYPY_BLOCK_PLUGINS"] = "process"
        if how == "quickstart":
            argv = [sys.executable, "run.py"]
        else:
            argv = [sys.executable, "-m", "cherrypy", "serve", "app:Root", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            argv,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_sigint_as_in_a_terminal,
        )

    def logged(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_until_serving(self, timeout: float = 30.0) -> None:
        """Wait for a 200 from the server and for the engine to be STARTED."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200 and response.read() == b"hello"
                break
            except OSError:
                self._still_running(deadline)
        # A signal while the bus is still STARTING ends the process with status 70, by design.
        while "Bus STARTED" not in self.logged():
            self._still_running(deadline)

    def _still_running(self, deadline: float) -> None:
        if self.proc.poll() is not None:
            _out, err = self.proc.communicate()
            pytest.fail(f"exited with {self.proc.returncode}:\n{err}\n{self.logged()}")
        if time.monotonic() > deadline:
            pytest.fail(f"not serving after the deadline:\n{self.logged()}")
        time.sleep(0.05)

    def stop_with(self, signum: int, timeout: float = 30.0) -> tuple[int, str]:
        """Send ``signum``; return the exit status and stderr."""
        os.kill(self.proc.pid, signum)
        try:
            _out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _out, err = self.proc.communicate()
            pytest.fail(f"still running {timeout} s after signal {signum}:\n{self.logged()}")
        return self.proc.returncode, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def start(how: str, without_process: bool) -> Served:
        served = Served(tmp_path, how, without_process)
        started.append(served)
        served.wait_until_serving()
        return served

    yield start
    for served in started:
        served.kill()


INSTALLS = [
    pytest.param(True, id="without-cherrypy-process"),
    pytest.param(
        False,
        id="with-cherrypy-process",
        marks=pytest.mark.skipif(not HAS_PROCESS, reason="cherrypy-process is not installed"),
    ),
]


@pytest.mark.parametrize("how", ["quickstart", "serve"])
@pytest.mark.parametrize("without_process", INSTALLS)
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_engine_cleanly(
    serve: Any, how: str, without_process: bool, signame: str
) -> None:
    served = serve(how, without_process)
    handler_module, sigterm_listeners = served.report.read_text().split()
    expected = "cherrypy_server.signals" if without_process else "cherrypy_process.signals"
    assert handler_module == expected
    assert sigterm_listeners == "1", "one signal handler, subscribed once"

    status, err = served.stop_with(getattr(signal, signame))

    assert status == 0, f"{err}\n{served.logged()}"
    log = served.logged()
    if signame == "SIGTERM":
        assert "ENGINE Caught signal SIGTERM." in log
    else:
        assert "ENGINE Keyboard Interrupt: shutting down bus" in log
    stopping = log.index("ENGINE Bus STOPPING")
    assert stopping < log.index("ENGINE Bus STOPPED") < log.index("ENGINE Bus EXITED")
    assert "shut down" in log[stopping:], "the HTTP server was stopped"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", served.port), timeout=1).close()


# -- StopSignalHandler in this process ----------------------------------------------------------


@pytest.fixture
def bus() -> Iterator[Bus]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1)}
    yield Bus()
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_nothing_is_installed_before_subscribe(bus: Bus) -> None:
    before = signal.getsignal(signal.SIGTERM)
    handler = StopSignalHandler(bus)
    assert signal.getsignal(signal.SIGTERM) is before
    assert set(handler.handlers) == {"SIGTERM", "SIGHUP", "SIGUSR1"}


def test_a_signal_is_published_on_its_channel_and_unsubscribe_restores(bus: Bus) -> None:
    before = signal.getsignal(signal.SIGUSR1)
    handler = StopSignalHandler(bus)
    handler.subscribe()
    heard: list[str] = []
    bus.subscribe("graceful", lambda: heard.append("graceful"))
    bus.subscribe("SIGUSR1", lambda: heard.append("SIGUSR1"))

    signal.raise_signal(signal.SIGUSR1)

    assert sorted(heard) == ["SIGUSR1", "graceful"]
    handler.unsubscribe()
    assert signal.getsignal(signal.SIGUSR1) == before
    assert bus.graceful not in bus.listeners.get("SIGUSR1", set())


def test_sigterm_exits_the_bus(bus: Bus) -> None:
    handler = StopSignalHandler(bus)
    handler.subscribe()
    bus.start()

    signal.raise_signal(signal.SIGTERM)

    assert bus.state is bus.states.EXITING
    handler.unsubscribe()


def test_a_signal_switched_off_in_config_is_left_alone(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(cherrypy.config, "engine.SIGTERM", None)
    before = signal.getsignal(signal.SIGTERM)
    StopSignalHandler(bus).subscribe()
    assert signal.getsignal(signal.SIGTERM) is before
    assert signal.getsignal(signal.SIGHUP) != before


def test_no_signal_is_handled_in_the_embedded_environment(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(cherrypy.config, "environment", "embedded")
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    StopSignalHandler(bus).subscribe()
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_a_signal_during_another_is_handled_after_it(bus: Bus) -> None:
    handler = StopSignalHandler(bus)
    handler.subscribe()
    bus.start()
    order: list[str] = []

    def reload() -> None:
        order.append("graceful starts")
        signal.raise_signal(signal.SIGTERM)  # arrives in the middle of the reload
        order.append("graceful ends")

    bus.subscribe("graceful", reload)
    bus.subscribe("exit", lambda: order.append("exit"))

    signal.raise_signal(signal.SIGUSR1)

    assert order == ["graceful starts", "graceful ends", "exit"]
    assert bus.state is bus.states.EXITING
    handler.unsubscribe()
