"""The ``cherryd`` command and ``python -m cherrypy``, run as real processes."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from cherrypy_process import cherryd
from cherrypy_process.pidfile import read_pid

SITE_APP = """
import os
import cherrypy
import procsupport

class Root:
    @cherrypy.expose
    def index(self):
        greeting = cherrypy.request.config.get("app.greeting")
        return f"{greeting} {cherrypy.config.get('site.name')} {os.getpid()}"

cherrypy.tree.mount(Root(), "/")
procsupport.serve_on(int(os.environ["APP_PORT"]))
"""

SITE_CONF = """
[global]
site.name = "demo"
log.error_file = "error.log"
checker.on = False
# Watch only the application: others may be editing the workspace while the tests run.
engine.autoreload.match = "siteapp"

[/]
app.greeting = "hello"
"""


DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "process.md"


def _cherryd() -> list[str]:
    script = shutil.which("cherryd", path=str(Path(sys.executable).parent))
    assert script is not None, "the cherryd console script is not installed"
    return [script]


@pytest.fixture
def site(harness: Any) -> Any:
    harness.write("apps/siteapp.py", SITE_APP)
    harness.write("site.conf", SITE_CONF)
    return harness


def _block_port(port: int) -> socket.socket:
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", port))
    blocker.listen()
    return blocker


def test_cherryd_d_p_daemonizes_writes_the_pid_and_stops_on_sigterm(site: Any) -> None:
    pidfile = site.tmp_path / "cherryd.pid"
    site.pidfiles.append(pidfile)
    args = [
        *_cherryd(),
        "-d",
        "-p",
        "cherryd.pid",
        "-P",
        "apps",
        "-i",
        "siteapp",
        "-c",
        "site.conf",
    ]
    parent = site.launch(args)
    assert parent.wait(30) == 0
    daemon = read_pid(pidfile)
    assert daemon is not None and daemon != parent.pid
    # Global config, and the [/] section merged into the only mounted application.
    assert site.get("/") == (200, f"hello demo {daemon}")
    assert site.output() == ""  # a daemon prints nothing on the terminal

    os.kill(daemon, signal.SIGHUP)
    new_daemon = site.wait_for(
        lambda: (pid := read_pid(pidfile)) not in (None, daemon) and pid,
        what="a restarted daemon",
    )
    site.extra_pids.append(new_daemon)
    site.wait_serving(f"hello demo {new_daemon}")
    site.wait_output("Bus STARTED", count=2, log="error.log")

    os.kill(new_daemon, signal.SIGTERM)
    site.wait_for(lambda: not pidfile.exists(), what="the PID file to be removed")
    log = (site.tmp_path / "error.log").read_text()
    assert "SIGHUP caught while daemonized. Restarting." in log
    assert log.count("PID file removed") == 2


def test_python_m_cherrypy_runs_cherryd_in_the_foreground(site: Any) -> None:
    process = site.launch(
        [sys.executable, "-m", "cherrypy", "-P", "apps", "-i", "siteapp", "-c", "site.conf"]
    )
    site.wait_serving(f"hello demo {process.pid}")
    site.wait_output("Bus STARTED", log="error.log")
    log = (site.tmp_path / "error.log").read_text()
    assert "Listening for SIGTERM." in log
    assert "Started monitor thread 'Autoreloader'." in log
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0


def test_the_environment_option_applies_a_config_environment(site: Any) -> None:
    process = site.launch(
        [*_cherryd(), "-e", "production", "-P", "apps", "-i", "siteapp", "-c", "site.conf"]
    )
    site.wait_serving(f"hello demo {process.pid}")
    site.wait_output("Bus STARTED", log="error.log")
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    log = (site.tmp_path / "error.log").read_text()
    assert "Autoreloader" not in log  # production turns the autoreloader off
    assert "Bus STARTED" not in site.output()  # and the screen log


def test_a_failing_start_exits_1_with_the_reason(site: Any) -> None:
    with _block_port(site.port):
        process = site.launch([*_cherryd(), "-P", "apps", "-i", "siteapp", "-c", "site.conf"])
        assert process.wait(60) == 1
    output = site.output()
    reason = re.search(r"^cherryd: start-up failed: (.*)$", output, re.MULTILINE)
    assert reason is not None, output
    assert re.search(r"in use|not free", reason.group(1)), reason.group(1)


def test_a_failing_daemon_start_exits_1_with_the_reason(site: Any) -> None:
    with _block_port(site.port):
        args = [*_cherryd(), "-d", "-p", "x.pid", "-P", "apps", "-i", "siteapp", "-c", "site.conf"]
        process = site.launch(args)
        assert process.wait(60) == 1
    reason = re.search(r"^Daemon failed to start: (.*)$", site.output(), re.MULTILINE)
    assert reason is not None, site.output()
    assert re.search(r"in use|not free", reason.group(1)), reason.group(1)
    assert not (site.tmp_path / "x.pid").exists()


def test_an_import_error_exits_1(site: Any) -> None:
    process = site.launch([*_cherryd(), "-i", "no_such_module_anywhere"])
    assert process.wait(30) == 1
    output = site.output()
    assert "ModuleNotFoundError" in output
    assert "cherryd: start-up failed: ModuleNotFoundError" in output


def test_the_documented_example_runs_as_documented(harness: Any) -> None:
    if harness.wsgiref:
        pytest.skip("the documented example configures cherrypy-server, which is not in use")
    example = re.search(r"```python\n(# myapp\.py.*?)```", DOCS_PAGE.read_text(), re.DOTALL)
    assert example is not None
    harness.write("myapp.py", example.group(1))
    pidfile = harness.tmp_path / "myapp.pid"
    harness.pidfiles.append(pidfile)
    command = "cherryd -d -p myapp.pid -i myapp -e production"
    assert f"\n{command}\n" in DOCS_PAGE.read_text()
    process = harness.launch([*_cherryd(), *command.split()[1:]], PORT=str(harness.port))
    assert process.wait(30) == 0
    daemon = read_pid(pidfile)
    assert daemon is not None
    assert harness.get("/") == (200, "Hello from a daemon")
    os.kill(daemon, signal.SIGTERM)
    harness.wait_for(lambda: not pidfile.exists(), what="the PID file to be removed")


def test_start_refuses_the_flup_servers() -> None:
    with pytest.raises(ValueError, match="not supported"):
        cherryd.start(fastcgi=True)


def test_cherrypy_daemon_and_cherrypy_cherryd_are_this_module() -> None:
    import cherrypy.cherryd
    import cherrypy.daemon
    from cherrypy.kernel.compat import resolve

    assert cherrypy.daemon.start is cherryd.start
    assert cherrypy.cherryd.main is cherryd.main
    assert resolve("cherrypy.cherryd.main") is cherryd.main


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cherryd.main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--config", "-d", "--environment", "--import", "--pidfile", "--Path"):
        assert option in text
