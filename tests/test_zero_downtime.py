"""Zero-downtime operations with real processes under a bounded load loop (~200 requests/s).

- graceful reload (SIGHUP with ``engine.sighup = "reload"``): a new process takes over the
  listening socket; the old one finishes its requests in flight and exits 0;
- ``engine.restart()``: the process re-executes, keeping its listening socket;
- graceful stop (SIGTERM): requests accepted before the stop are answered, the process exits 0;
- systemd socket activation (``LISTEN_FDS``) and ``server.socket_fd``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from zero_downtime_load import LoadLoop, free_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and descriptors")

APP = """
import os
import sys
import time

import cherrypy

STARTED = time.time()


class Root:
    @cherrypy.expose
    def index(self):
        return f"pid={{os.getpid()}} started={{STARTED}}"

    @cherrypy.expose
    def slow(self, seconds="1.5"):
        time.sleep(float(seconds))
        return f"slow done by {{os.getpid()}}"

    @cherrypy.expose
    def restart(self):
        cherrypy.engine.restart()
        return "restarting"


cherrypy.config.update({{
    "environment": "production",
    "log.screen": True,
    "engine.autoreload.on": False,
    "engine.sighup": "reload",
    "server.shutdown_timeout": 5,
    {extra}
}})
cherrypy.quickstart(Root())
"""


def _write_app(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "app.py"
    path.write_text(textwrap.dedent(APP.format(extra=extra)))
    return path


def _get(port: int, path: str = "/", timeout: float = 10) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _wait_serving(port: int, proc: subprocess.Popen | None = None, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the app exited with {proc.returncode}")
        try:
            status, body = _get(port, timeout=2)
            if status == 200:
                return body
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"nothing served on port {port}")


def _wait_started(log: Path, timeout: float = 20) -> None:
    """Wait for the engine's STARTED line (a signal before it ends the process with 70)."""
    deadline = time.monotonic() + timeout
    while "Bus STARTED" not in log.read_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"the engine did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)


def _pid_of(body: str) -> int:
    return int(body.split()[0].split("=")[1])


def _kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


@contextlib.contextmanager
def _running(
    argv: list[str], log: Path, env: dict[str, str] | None = None, **kwargs
) -> Iterator[subprocess.Popen]:
    """Run ``argv`` (output to ``log``); at the end SIGTERM it, and kill it if it lingers."""
    proc = subprocess.Popen(
        argv,
        cwd=log.parent,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        **kwargs,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
        _kill_quietly(proc.pid)


def _stops_cleanly(proc: subprocess.Popen) -> bool:
    """SIGTERM ``proc``: True when it exits with status 0."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(15) == 0


def _notifications(sock: socket.socket) -> list[str]:
    messages = []
    sock.setblocking(False)
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except BlockingIOError:
            return messages


def test_sighup_reload_loses_nothing(tmp_path):
    port, metrics_port = free_port(), free_port()
    app = _write_app(
        tmp_path,
        f'"server.socket_port": {port}, "metrics.on": True, "metrics.port": {metrics_port},',
    )
    log = tmp_path / "app.log"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify_path = tmp_path / "notify"
    notify.bind(str(notify_path))
    new_pid = None
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(notify.close)
        cleanup.callback(lambda: new_pid and _kill_quietly(new_pid))
        proc = cleanup.enter_context(
            _running([sys.executable, str(app)], log, env={"NOTIFY_SOCKET": str(notify_path)})
        )
        old_pid = _pid_of(_wait_serving(port, proc))
        assert old_pid == proc.pid
        slow_result: dict[str, object] = {}

        def slow() -> None:
            slow_result["answer"] = _get(port, "/slow?seconds=1.5")

        with LoadLoop("127.0.0.1", port) as load:
            time.sleep(1.0)
            slow_thread = threading.Thread(target=slow)
            slow_thread.start()
            time.sleep(0.3)  # /slow is in flight in the old process
            proc.send_signal(signal.SIGHUP)
            assert proc.wait(30) == 0, log.read_text()  # the old process drained and exited 0
            slow_thread.join(10)
            time.sleep(1.0)
        result = load.result
        text = log.read_text()
        assert result.failures == [], (result.failures[:5], text[-3000:])
        assert result.resets == 0
        assert slow_result["answer"] == (200, f"slow done by {old_pid}")
        pids = {_pid_of(body) for body in result.bodies}
        assert old_pid in pids and len(pids) == 2, pids
        new_pid = (pids - {old_pid}).pop()
        assert result.ok > 300, result
        assert result.slowest < 1.0, result.slowest  # no request waited a second
        assert "Reload: process" in text and "serves; this one stops" in text
        assert "Serving on the listening socket handed over" in text
        assert _pid_of(_get(port)[1]) == new_pid
        # The metrics port (a server of its own) was handed over too.
        status, page = _get(metrics_port)
        assert status == 200 and "cherrypy_requests_total" in page
        # systemd heard: ready, reloading, ready again with the new main PID.
        told = _notifications(notify)
        assert told[0] == f"READY=1\nMAINPID={old_pid}", told
        assert "RELOADING=1" in told
        assert told[-1] == f"READY=1\nMAINPID={new_pid}", told
        # The new process reloads again, and stops on SIGTERM with status 0.
        os.kill(new_pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(new_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the new process did not stop on SIGTERM")


def test_failed_reload_keeps_serving(tmp_path):
    port = free_port()
    app = _write_app(tmp_path, f'"server.socket_port": {port},')
    log = tmp_path / "app.log"
    with _running([sys.executable, str(app)], log) as proc:
        _wait_serving(port, proc)
        # The next process cannot start: the app file is broken mid-deploy.
        app.write_text("raise SystemExit('broken deploy')\n")
        with LoadLoop("127.0.0.1", port) as load:
            time.sleep(0.5)
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 15
            while "Reload failed" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
        assert "Reload failed" in log.read_text()
        assert proc.poll() is None  # still serving
        assert load.result.failures == []
        assert {_pid_of(body) for body in load.result.bodies} == {proc.pid}


def test_engine_restart_keeps_the_socket(tmp_path):
    port = free_port()
    app = _write_app(tmp_path, f'"server.socket_port": {port},')
    log = tmp_path / "app.log"
    with _running([sys.executable, str(app)], log) as proc:
        first = _wait_serving(port, proc)
        with LoadLoop("127.0.0.1", port) as load:
            time.sleep(0.5)
            assert _get(port, "/restart") == (200, "restarting")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                bodies = set(load.result.bodies)
                if any(body != first for body in bodies):
                    break
                time.sleep(0.1)
            time.sleep(0.5)
        result = load.result
        text = log.read_text()
        assert result.failures == [], (result.failures[:5], text[-3000:])
        assert {_pid_of(body) for body in result.bodies} == {proc.pid}  # execv: same process
        assert len(set(result.bodies)) == 2  # ...a new image
        assert result.slowest < 3.0, result.slowest
        assert "Re-spawning" in text
        assert "Serving on the listening socket handed over" in text


def test_sigterm_under_load_answers_every_accepted_request(tmp_path):
    port = free_port()
    app = _write_app(tmp_path, f'"server.socket_port": {port},')
    log = tmp_path / "app.log"
    with _running([sys.executable, str(app)], log) as proc:
        _wait_serving(port, proc)
        slow_result: dict[str, object] = {}

        def slow() -> None:
            slow_result["answer"] = _get(port, "/slow?seconds=1")

        with LoadLoop("127.0.0.1", port, refused_ok=True) as load:
            time.sleep(0.5)
            slow_thread = threading.Thread(target=slow)
            slow_thread.start()
            time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0
            slow_thread.join(10)
            time.sleep(0.3)
        result = load.result
        assert slow_result["answer"] == (200, f"slow done by {proc.pid}")
        assert result.failures == [], (result.failures[:5], log.read_text()[-2000:])
        assert result.refused > 0  # the load went on after the stop: refused, never dropped


SD_WRAPPER = """
import os
import sys

fd = int(sys.argv[1])
os.dup2(fd, 3)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.executable, [sys.executable, sys.argv[2]])
"""


def test_systemd_socket_activation(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    # The configured address matches the socket systemd made (ListenStream=127.0.0.1:PORT).
    app = _write_app(tmp_path, f'"server.socket_port": {port},')
    wrapper = tmp_path / "sd.py"
    wrapper.write_text(SD_WRAPPER)
    log = tmp_path / "app.log"
    argv = [sys.executable, str(wrapper), str(listener.fileno()), str(app)]
    try:
        with _running(argv, log, pass_fds=[listener.fileno()]) as proc:
            body = _wait_serving(port, proc)
            assert _pid_of(body) == proc.pid
            _wait_started(log)
            text = log.read_text()
            assert "Serving on the listening socket systemd" in text, text[-2000:]
            assert _stops_cleanly(proc)
    finally:
        listener.close()


def test_socket_fd_from_config(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    app = _write_app(tmp_path, f'"server.socket_fd": {fd}, "server.socket_port": {port},')
    log = tmp_path / "app.log"
    try:
        with _running([sys.executable, str(app)], log, pass_fds=[fd]) as proc:
            _wait_serving(port, proc)
            _wait_started(log)
            assert f"Serving on descriptor {fd}" in log.read_text()
            assert _stops_cleanly(proc)
    finally:
        listener.close()


CHERRYD_APP = """
import os

import cherrypy


class Root:
    @cherrypy.expose
    def index(self):
        return f"pid={os.getpid()}"


cherrypy.tree.mount(Root(), "/")
"""

CHERRYD_CONF = """
[global]
server.socket_port = {port}
engine.sighup = "reload"
engine.autoreload.on = False
checker.on = False
log.screen = True
"""


def test_cherryd_reload(tmp_path):
    import shutil

    cherryd = shutil.which("cherryd", path=str(Path(sys.executable).parent))
    assert cherryd is not None, "the cherryd console script is not installed"
    port = free_port()
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "reloadapp.py").write_text(CHERRYD_APP)
    (tmp_path / "site.conf").write_text(CHERRYD_CONF.format(port=port))
    log = tmp_path / "cherryd.log"
    new_pid = None
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(lambda: new_pid and _kill_quietly(new_pid))
        argv = [cherryd, "-P", "apps", "-i", "reloadapp", "-c", "site.conf", "-p", "app.pid"]
        proc = cleanup.enter_context(_running(argv, log))
        assert _pid_of(_wait_serving(port, proc)) == proc.pid
        _wait_started(log)
        with LoadLoop("127.0.0.1", port) as load:
            time.sleep(0.5)
            proc.send_signal(signal.SIGHUP)
            assert proc.wait(30) == 0, log.read_text()[-3000:]
            time.sleep(0.5)
        assert load.result.failures == [], load.result.failures[:5]
        new_pid = _pid_of(_get(port)[1])
        assert new_pid != proc.pid
        assert {_pid_of(body) for body in load.result.bodies} == {proc.pid, new_pid}
        # The PID file follows the new process (the old one leaves it alone at its exit).
        assert (tmp_path / "app.pid").read_text().strip() == str(new_pid)
        assert f"taken over from process {proc.pid}" in log.read_text()
        os.kill(new_pid, signal.SIGTERM)


def test_reuse_port_spreads_connections_over_processes(tmp_path):
    port = free_port()
    app = _write_app(tmp_path, f'"server.socket_port": {port}, "server.reuse_port": True,')
    with contextlib.ExitStack() as stack:
        procs = [
            stack.enter_context(_running([sys.executable, str(app)], tmp_path / f"app{i}.log"))
            for i in range(2)
        ]
        for i, proc in enumerate(procs):
            _wait_serving(port, proc)
            _wait_started(tmp_path / f"app{i}.log")
        pids = {_pid_of(_get(port)[1]) for _ in range(40)}  # a new connection each
        assert pids == {proc.pid for proc in procs}
        assert all(_stops_cleanly(proc) for proc in procs)
